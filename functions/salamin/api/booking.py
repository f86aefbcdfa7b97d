"""Callables, the Stripe webhook, the hold-expiry task and the sweep of spec §1.3.

main.py declares each function and passes the Stripe secrets' values in; every handler here
turns a request into one domain call with its gateways. Request fields follow the spec's parameter
names (`createBookingRequest` takes the `BookingRequest` fields, bare or as `{request: ...}`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from firebase_functions import https_fn
from pydantic import Field

from salamin.api import _callable
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import Clock, SystemClock
from salamin.core.log import log
from salamin.gateways.stripe_gateway import StripeGateway, WebhookSignatureInvalid
from salamin.gateways.tasks import FirebaseTasks
from salamin.marketplace.booking import (
    booking,
    delivery,
    disputes,
    feedback,
    holds,
    lifecycle,
    packages,
    payments,
    payouts,
    webhooks,
)
from salamin.models.base import SalaminModel
from salamin.models.session import (
    BookingRequest,
    BookingTime,
    DisputeOutcome,
    ExpertFeedback,
    ExpertSession,
    Party,
    SessionId,
    UserFeedback,
)

Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]


@cache
def stripe_gateway(
    api_key: str, webhook_secret: str | None = None, connect_webhook_secret: str | None = None
) -> StripeGateway:
    """One client per key per instance (keeps its HTTP connection pool warm)."""
    return StripeGateway(
        api_key, webhook_secret=webhook_secret, connect_webhook_secret=connect_webhook_secret
    )


@dataclass(frozen=True)
class Services:
    db: Any
    clock: Clock
    payments: StripeGateway
    tasks: FirebaseTasks


def services(stripe_key: str, webhook_secret: str | None = None) -> Services:
    return Services(
        db=firebase.db(),
        clock=SystemClock(),
        payments=stripe_gateway(stripe_key, webhook_secret),
        tasks=FirebaseTasks(firebase.app()),
    )


# --- request models ------------------------------------------------------------------------------


class CreateBookingRequestCall(SalaminModel):
    """`{request: BookingRequest}`, or the BookingRequest fields sent bare."""

    request: BookingRequest

    @classmethod
    def from_call_data(cls, data: Any) -> CreateBookingRequestCall:
        """Bare fields are validated as a BookingRequest, so error paths read `date`, not
        `request.date`."""
        if isinstance(data, dict) and "request" in data:
            return _callable.parse(cls, data)
        return cls(request=_callable.parse(BookingRequest, data))


class ConfirmPaymentRequest(SalaminModel):
    sessionId: SessionId
    paymentIntentId: Annotated[str, Field(pattern=r"^pi_[A-Za-z0-9_]+$", max_length=255)]


class CancelSessionRequest(SalaminModel):
    sessionId: SessionId
    cancelledBy: Party
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class RescheduleSessionRequest(BookingTime):
    """The new time: a slot's `slotId`/`startUtc`, or the expert-local `date` + `startTime`."""

    sessionId: SessionId


class MarkSessionCompletedRequest(SalaminModel):
    sessionId: SessionId
    sessionNotes: Annotated[str, Field(max_length=10000)] | None = None


class ReportNoShowRequest(SalaminModel):
    sessionId: SessionId
    absentParty: Party
    """`user` (reported by the expert) or `expert` (reported by the candidate)."""


class ResolveDisputeRequest(SalaminModel):
    """An admin decides a disputed no-show: `refund_candidate` (full refund, the session becomes
    an expert no-show) or `pay_expert` (no refund; paid out after the dispute window)."""

    sessionId: SessionId
    outcome: DisputeOutcome
    note: Annotated[str, Field(max_length=2000)] | None = None


class SubmitSessionFeedbackRequest(SalaminModel):
    sessionId: SessionId
    userFeedback: UserFeedback | None = None
    expertFeedback: ExpertFeedback | None = None


class CreatePayoutAccountRequest(SalaminModel):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"


class CreatePayoutOnboardingLinkRequest(SalaminModel):
    returnUrl: Url
    refreshUrl: Url
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"


# --- handlers: `(caller, req, *, stripe_key)`, declared in main.py with `_callable.run` ---------


def _session_view(session: ExpertSession) -> dict[str, Any]:
    """What the client gets back: the session minus server bookkeeping."""
    body = session.to_wire()
    for key in ("lockUnits", "capTokens"):
        body.pop(key, None)
    return body


def create_booking_request(
    caller: Caller, req: CreateBookingRequestCall, *, stripe_key: str
) -> Any:
    s = services(stripe_key)
    if req.request.packagePurchaseId is not None:  # paid by a package credit
        return packages.book_with_credit(
            s.db, caller=caller, request=req.request, clock=s.clock, tasks=s.tasks
        )
    return booking.create_booking_request(
        s.db, caller=caller, request=req.request, clock=s.clock, payments=s.payments, tasks=s.tasks
    )


def confirm_payment(caller: Caller, req: ConfirmPaymentRequest, *, stripe_key: str) -> Any:
    s = services(stripe_key)
    outcome = payments.confirm_payment_call(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        payment_intent_id=req.paymentIntentId,
        clock=s.clock,
        payments=s.payments,
        tasks=s.tasks,
    )
    return {
        "sessionId": req.sessionId,
        "result": outcome.result,
        "status": outcome.status,
        "paymentStatus": outcome.paymentStatus,
    }


def cancel_session(
    caller: Caller, req: CancelSessionRequest, *, stripe_key: str
) -> lifecycle.CancelOutcome:
    s = services(stripe_key)
    return lifecycle.cancel_session(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        cancelled_by=req.cancelledBy,
        reason=req.reason,
        clock=s.clock,
        payments=s.payments,
        tasks=s.tasks,
    )


def reschedule_session(caller: Caller, req: RescheduleSessionRequest, *, stripe_key: str) -> Any:
    s = services(stripe_key)
    moved = lifecycle.reschedule_session(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        date=req.date,
        start_time=req.startTime,
        start=req.start_instant(),
        clock=s.clock,
    )
    delivery.schedule_close(s.tasks, moved)  # the window moved with the session
    return _session_view(moved)


def mark_session_completed(
    caller: Caller, req: MarkSessionCompletedRequest, *, stripe_key: str
) -> Any:
    s = services(stripe_key)
    done = lifecycle.mark_session_completed(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        session_notes=req.sessionNotes,
        clock=s.clock,
    )
    return _session_view(done)


def report_no_show(caller: Caller, req: ReportNoShowRequest, *, stripe_key: str) -> Any:
    s = services(stripe_key)
    after = lifecycle.report_no_show(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        absent=req.absentParty,
        clock=s.clock,
        payments=s.payments,
        tasks=s.tasks,
    )
    return _session_view(after)


def resolve_dispute(caller: Caller, req: ResolveDisputeRequest, *, stripe_key: str) -> Any:
    s = services(stripe_key)
    after = disputes.resolve_dispute(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        outcome=req.outcome,
        note=req.note,
        clock=s.clock,
        payments=s.payments,
    )
    return _session_view(after)


def submit_session_feedback(
    caller: Caller, req: SubmitSessionFeedbackRequest, *, stripe_key: str
) -> Any:
    s = services(stripe_key)
    after = feedback.submit_session_feedback(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        user_feedback=req.userFeedback,
        expert_feedback=req.expertFeedback,
        clock=s.clock,
    )
    return {
        "sessionId": after.sessionId,
        "feedback": after.feedback.to_wire() if after.feedback else None,
    }


def create_payout_account(
    caller: Caller, req: CreatePayoutAccountRequest, *, stripe_key: str
) -> payouts.PayoutStatus:
    s = services(stripe_key)
    return payouts.create_payout_account(s.db, s.payments, caller=caller, country=req.country)


def create_payout_onboarding_link(
    caller: Caller, req: CreatePayoutOnboardingLinkRequest, *, stripe_key: str
) -> Any:
    s = services(stripe_key)
    url = payouts.create_onboarding_link(
        s.db,
        s.payments,
        caller=caller,
        return_url=req.returnUrl,
        refresh_url=req.refreshUrl,
        country=req.country,
    )
    return {"url": url}


# --- the Stripe webhook --------------------------------------------------------------------------


def stripe_webhook(
    req: Any, *, stripe_key: str, webhook_secret: str, connect_webhook_secret: str
) -> https_fn.Response:
    """Verify (the platform endpoint's or the Connect endpoint's secret), record once, apply.
    400 (nothing written) on a bad signature; 500 makes Stripe deliver again, which is safe
    because every step is idempotent."""
    if req.method != "POST":
        return https_fn.Response("method not allowed", status=405)
    payload: bytes = req.get_data(cache=True, as_text=False, parse_form_data=False)
    signature = req.headers.get("Stripe-Signature")
    gateway = stripe_gateway(stripe_key, webhook_secret, connect_webhook_secret)
    try:
        event = gateway.parse_webhook(payload, signature)
    except WebhookSignatureInvalid as exc:
        log("stripe.webhook_rejected", severity="WARNING", reason=str(exc)[:200])
        return https_fn.Response("invalid signature", status=400)
    s = services(stripe_key)
    try:
        outcome = webhooks.handle_event(
            s.db, event=event, clock=s.clock, payments=s.payments, tasks=s.tasks
        )
    except Exception as exc:
        log(
            "stripe.webhook_failed",
            severity="ERROR",
            eventId=event.id,
            type=event.type,
            error=f"{type(exc).__name__}: {exc}",
        )
        return https_fn.Response("temporarily unable to apply the event", status=500)
    log("stripe.webhook_applied", eventId=event.id, type=event.type, result=outcome.result)
    body = {"received": True, "eventId": event.id, "result": outcome.result}
    return https_fn.Response(json.dumps(body), status=200, content_type="application/json")


# --- hold expiry -----------------------------------------------------------------------------------


class ExpireHoldTask(SalaminModel):
    sessionId: SessionId


def expire_hold_task(data: Any, *, stripe_key: str) -> dict[str, Any]:
    """The per-hold Cloud Task. Early (e.g. the emulator, which ignores schedule times) or
    repeated deliveries find nothing to do; only a due, still-pending hold is released."""
    task = _callable.parse(ExpireHoldTask, data)
    s = services(stripe_key)
    released = holds.expire_hold(
        s.db, session_id=task.sessionId, clock=s.clock, payments=s.payments, source="task"
    )
    return {"released": released}


class CloseSessionTask(SalaminModel):
    sessionId: SessionId


def close_session_task(data: Any, *, stripe_key: str) -> dict[str, Any]:
    """The per-session Cloud Task at the dispute window's end (delivery.close_session), also
    enqueued for a standing absence report's decision time (lifecycle.decide_absence_report,
    run first): early deliveries and tasks of a moved session find nothing due; repeats refund
    and pay nothing twice."""
    task = _callable.parse(CloseSessionTask, data)
    s = services(stripe_key)
    lifecycle.decide_absence_report(
        s.db, session_id=task.sessionId, clock=s.clock, payments=s.payments
    )
    outcome = delivery.close_session(
        s.db, session_id=task.sessionId, clock=s.clock, payments=s.payments
    )
    return {"result": outcome.result, "transferId": outcome.transfer_id}


def sweep(*, stripe_key: str) -> dict[str, Any]:
    """The scheduled safety net: expired holds, refunds Stripe has not accepted yet, sessions
    whose close task never ran, and payouts decided but not sent."""
    s = services(stripe_key)
    result = holds.sweep_expired_holds(s.db, clock=s.clock, payments=s.payments)
    refunds = payments.retry_pending_refunds(s.db, payments=s.payments, clock=s.clock)
    absences = lifecycle.sweep_absence_reports(s.db, clock=s.clock, payments=s.payments)
    closed = delivery.sweep_unclosed_sessions(s.db, clock=s.clock, payments=s.payments)
    paid = payouts.retry_payable_payouts(s.db, payments=s.payments, clock=s.clock)
    return {
        "examined": result.examined,
        "released": result.released,
        "refundsMade": refunds,
        "absenceReportsRefunded": absences,
        "sessionsClosed": closed,
        "payoutsSent": paid,
    }

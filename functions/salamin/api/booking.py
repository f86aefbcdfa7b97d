"""Callables, the Stripe webhook, the hold-expiry task and the sweep of spec §1.3.

main.py declares each function and passes the Stripe secrets' values in; everything here turns
a request into one domain call with its gateways. Request fields follow the spec's parameter
names (`createBookingRequest` takes the `BookingRequest` fields, bare or as `{request: ...}`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from firebase_functions import https_fn
from pydantic import BaseModel, Field

from salamin.api import _callable
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import Clock, SystemClock
from salamin.core.log import log
from salamin.gateways.stripe_gateway import StripeGateway, WebhookSignatureInvalid
from salamin.gateways.tasks import FirebaseTasks
from salamin.marketplace.booking import booking, feedback, holds, lifecycle, payments, payouts
from salamin.models.base import HHMM, IsoDate, SalaminModel
from salamin.models.session import (
    SESSION_ID_PATTERN,
    BookingRequest,
    ExpertFeedback,
    ExpertSession,
    Party,
    UserFeedback,
)

SessionIdField = Annotated[str, Field(pattern=SESSION_ID_PATTERN)]
Url = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=2000)]


@cache
def stripe_gateway(api_key: str, webhook_secret: str | None = None) -> StripeGateway:
    """One client per key per instance (keeps its HTTP connection pool warm)."""
    return StripeGateway(api_key, webhook_secret=webhook_secret)


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
    request: BookingRequest


class ConfirmPaymentRequest(SalaminModel):
    sessionId: SessionIdField
    paymentIntentId: Annotated[str, Field(pattern=r"^pi_[A-Za-z0-9_]+$", max_length=255)]


class CancelSessionRequest(SalaminModel):
    sessionId: SessionIdField
    cancelledBy: Party
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class RescheduleSessionRequest(SalaminModel):
    sessionId: SessionIdField
    date: IsoDate
    startTime: HHMM


class MarkSessionCompletedRequest(SalaminModel):
    sessionId: SessionIdField
    sessionNotes: Annotated[str, Field(max_length=10000)] | None = None


class ReportNoShowRequest(SalaminModel):
    sessionId: SessionIdField
    absentParty: Party
    """`user` (reported by the expert) or `expert` (reported by the candidate)."""


class SubmitSessionFeedbackRequest(SalaminModel):
    sessionId: SessionIdField
    userFeedback: UserFeedback | None = None
    expertFeedback: ExpertFeedback | None = None


class CreatePayoutAccountRequest(SalaminModel):
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"


class CreatePayoutOnboardingLinkRequest(SalaminModel):
    returnUrl: Url
    refreshUrl: Url
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "US"


# --- handlers ------------------------------------------------------------------------------------


def _session_view(session: ExpertSession) -> dict[str, Any]:
    """What the client gets back: the session minus server bookkeeping."""
    body = session.to_wire()
    for key in ("lockUnits", "capTokens"):
        body.pop(key, None)
    return body


def create_booking_request(s: Services, caller: Caller, req: CreateBookingRequestCall) -> Any:
    return booking.create_booking_request(
        s.db, caller=caller, request=req.request, clock=s.clock, payments=s.payments, tasks=s.tasks
    )


def confirm_payment(s: Services, caller: Caller, req: ConfirmPaymentRequest) -> Any:
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


def cancel_session(s: Services, caller: Caller, req: CancelSessionRequest) -> Any:
    outcome = lifecycle.cancel_session(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        cancelled_by=req.cancelledBy,
        reason=req.reason,
        clock=s.clock,
        payments=s.payments,
        tasks=s.tasks,
    )
    return outcome.__dict__


def reschedule_session(s: Services, caller: Caller, req: RescheduleSessionRequest) -> Any:
    moved = lifecycle.reschedule_session(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        date=req.date,
        start_time=req.startTime,
        clock=s.clock,
    )
    return _session_view(moved)


def mark_session_completed(s: Services, caller: Caller, req: MarkSessionCompletedRequest) -> Any:
    done = lifecycle.mark_session_completed(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        session_notes=req.sessionNotes,
        clock=s.clock,
    )
    return _session_view(done)


def report_no_show(s: Services, caller: Caller, req: ReportNoShowRequest) -> Any:
    after = lifecycle.report_no_show(
        s.db,
        caller=caller,
        session_id=req.sessionId,
        absent=req.absentParty,
        clock=s.clock,
        payments=s.payments,
    )
    return _session_view(after)


def submit_session_feedback(s: Services, caller: Caller, req: SubmitSessionFeedbackRequest) -> Any:
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


def create_payout_account(s: Services, caller: Caller, req: CreatePayoutAccountRequest) -> Any:
    status = payouts.create_payout_account(s.db, s.payments, caller=caller, country=req.country)
    return status.__dict__


def create_payout_onboarding_link(
    s: Services, caller: Caller, req: CreatePayoutOnboardingLinkRequest
) -> Any:
    url = payouts.create_onboarding_link(
        s.db,
        s.payments,
        caller=caller,
        return_url=req.returnUrl,
        refresh_url=req.refreshUrl,
        country=req.country,
    )
    return {"url": url}


CALLABLES: dict[str, tuple[type[BaseModel], Callable[[Services, Caller, Any], Any]]] = {
    "createBookingRequest": (CreateBookingRequestCall, create_booking_request),
    "confirmPayment": (ConfirmPaymentRequest, confirm_payment),
    "cancelSession": (CancelSessionRequest, cancel_session),
    "rescheduleSession": (RescheduleSessionRequest, reschedule_session),
    "markSessionCompleted": (MarkSessionCompletedRequest, mark_session_completed),
    "reportNoShow": (ReportNoShowRequest, report_no_show),
    "submitSessionFeedback": (SubmitSessionFeedbackRequest, submit_session_feedback),
    "createPayoutAccount": (CreatePayoutAccountRequest, create_payout_account),
    "createPayoutOnboardingLink": (
        CreatePayoutOnboardingLinkRequest,
        create_payout_onboarding_link,
    ),
}


def call(req: https_fn.CallableRequest[Any], name: str, *, stripe_key: str) -> Any:
    """Run the booking callable `name` through the shared adapter (auth, parse, errors)."""
    model, handler = CALLABLES[name]
    if name == "createBookingRequest" and not (
        isinstance(req.data, dict) and "request" in req.data
    ):
        # The BookingRequest fields sent bare: validate them as such, so field paths in errors
        # read `date`, not `request.date`.
        def run_bare(caller: Caller, request: BookingRequest) -> Any:
            call = CreateBookingRequestCall(request=request)
            return create_booking_request(services(stripe_key), caller, call)

        return _callable.run(req, BookingRequest, run_bare, name=name)

    def run(caller: Caller, request: Any) -> Any:
        return handler(services(stripe_key), caller, request)

    return _callable.run(req, model, run, name=name)


# --- the Stripe webhook --------------------------------------------------------------------------


def stripe_webhook(req: Any, *, stripe_key: str, webhook_secret: str) -> https_fn.Response:
    """Verify, record once, apply. 400 (nothing written) on a bad signature; 500 makes Stripe
    deliver again, which is safe because every step is idempotent."""
    if req.method != "POST":
        return https_fn.Response("method not allowed", status=405)
    payload: bytes = req.get_data(cache=True, as_text=False, parse_form_data=False)
    signature = req.headers.get("Stripe-Signature")
    gateway = stripe_gateway(stripe_key, webhook_secret)
    try:
        event = gateway.parse_webhook(payload, signature)
    except WebhookSignatureInvalid as exc:
        log("stripe.webhook_rejected", severity="WARNING", reason=str(exc)[:200])
        return https_fn.Response("invalid signature", status=400)
    s = services(stripe_key, webhook_secret)
    try:
        outcome = payments.handle_event(
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
    sessionId: SessionIdField


def expire_hold_task(data: Any, *, stripe_key: str) -> dict[str, Any]:
    """The per-hold Cloud Task. Early (e.g. the emulator, which ignores schedule times) or
    repeated deliveries find nothing to do; only a due, still-pending hold is released."""
    task = _callable.parse(ExpireHoldTask, data)
    s = services(stripe_key)
    released = holds.expire_hold(
        s.db, session_id=task.sessionId, clock=s.clock, payments=s.payments, source="task"
    )
    return {"released": released}


def sweep(*, stripe_key: str) -> dict[str, Any]:
    """The scheduled safety net: expired holds, and refunds Stripe has not accepted yet."""
    s = services(stripe_key)
    result = holds.sweep_expired_holds(s.db, clock=s.clock, payments=s.payments)
    refunds = payments.retry_pending_refunds(s.db, payments=s.payments)
    return {"examined": result.examined, "released": result.released, "refundsMade": refunds}


__all__ = ["CALLABLES", "call", "expire_hold_task", "stripe_webhook", "sweep"]

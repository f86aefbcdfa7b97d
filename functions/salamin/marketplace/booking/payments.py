"""Payment confirmation and Stripe webhook events: the money side of the session lifecycle.

One confirmation path (`confirm_payment`) serves both the webhook (`payment_intent.succeeded`)
and the spec's `confirmPayment` call, which asks Stripe for the intent's real state first.

Exactly-once:
- the state change, the ledger line, the expert counters, the emails (deterministic mail ids)
  and the `stripeEvents/{eventId}` record are written in one transaction; a redelivered event
  finds its record and changes nothing;
- what must happen outside Firestore afterwards (delete the expiry task, make a refund) is
  derived from the stored state by `settle`, and is idempotent (task ids and idempotency keys
  come from our ids), so it is simply redone until the event is marked `done`.

State only moves forward: `pending -> confirmed -> completed | no_show`, `cancelled` is final,
and `paymentStatus` never goes back (`pending < failed < paid < partially_refunded <
refunded`). An event that arrives late (a failure after a success) changes nothing.

A payment that succeeds after its hold expired is confirmed if the time is still free (the locks
and cap tokens are taken again in the same transaction), else it is refunded in full and the
user is told. A hold ends at the session's start at the latest, so a payment that arrives at or
after the start is refunded in full and its still pending session cancelled with the
bookability reason `time_passed`. A payment for a session we do not know is refunded in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock, SystemClock
from salamin.core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    SalaminError,
    Unavailable,
)
from salamin.core.log import log
from salamin.gateways.meetings import new_meeting_link
from salamin.gateways.stripe_gateway import (
    PaymentIntentInfo,
    PaymentsGateway,
    RefundInfo,
    StripeEvent,
)
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import (
    booking,
    delivery,
    holds,
    ledger,
    notifications,
    performance,
)
from salamin.marketplace.booking.events import already_applied, record_event, record_plain
from salamin.marketplace.calendar import occupancy
from salamin.models.notifications import RefundFailedNotification
from salamin.models.session import (
    ExpertSession,
    ExpertTransaction,
    RefundRecord,
    cancellation_update,
)

PAYMENT_RANK = {"pending": 0, "failed": 1, "paid": 2, "partially_refunded": 3, "refunded": 4}
Result = Literal["confirmed", "already", "refunded", "orphan_refunded", "ignored", "duplicate"]


@dataclass(frozen=True)
class Outcome:
    result: Result
    sessionId: str | None = None
    status: str | None = None
    paymentStatus: str | None = None


def with_payment_status(current: str, new: str) -> str:
    """Forward-only: the later of the two payment states."""
    return new if PAYMENT_RANK[new] > PAYMENT_RANK[current] else current


# --- confirmation --------------------------------------------------------------------------------


PaymentStep = Literal["orphan", "already", "occupy", "refund"]


def decide_payment(
    session: ExpertSession | None, *, intent: PaymentIntentInfo, now: datetime
) -> tuple[PaymentStep, str | None]:
    """What a succeeded PaymentIntent does to its session, read in the transaction (pure):
    - `orphan`: no such session, or the intent does not match it (id, amount, currency): the
      money goes back;
    - `already`: the session is paid already;
    - `occupy`: a pending hold, or an expired hold whose time is still ahead: take the time
      (which may still turn out to be gone);
    - `refund` with a reason: the session cannot be booked any more.
    """
    if session is None:
        return "orphan", "unknown_session"
    if (
        (session.paymentIntentId and session.paymentIntentId != intent.id)
        or intent.amount != session.price
        or intent.currency.upper() != session.currency.upper()
    ):
        return "orphan", "mismatch"
    if PAYMENT_RANK[session.paymentStatus] >= PAYMENT_RANK["paid"]:
        return "already", None
    if session.status == "pending" or (
        session.status == "cancelled"
        and session.cancellationReason == "hold_expired"
        and session.scheduledDate > now
    ):
        return "occupy", None
    return "refund", "session_not_bookable"


def confirm_payment(
    db: firestore.Client,
    *,
    intent: PaymentIntentInfo,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
    event: StripeEvent | None = None,
) -> Outcome:
    """Apply a succeeded PaymentIntent to its session, once: read the event record and the
    session, `decide_payment`, then write the confirmation or the late refund with the event
    record; after commit, refund an orphan or `settle`."""
    if intent.status != "succeeded":
        raise FailedPrecondition(
            f"payment not successful (status {intent.status})",
            reason="payment_not_succeeded",
            details={"paymentIntentStatus": intent.status},
        )
    session_id = intent.metadata.get("sessionId")
    if not session_id:
        log("payment.not_ours", severity="WARNING", paymentIntentId=intent.id)
        record_plain(db, event, clock=clock, outcome="ignored")
        return Outcome(result="ignored")
    ref = holds.session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> Outcome:
        if already_applied(transaction, db, event):
            return Outcome(result="duplicate", sessionId=session_id)
        snap = ref.get(transaction=transaction)
        session = holds.load_session(snap) if snap.exists else None
        step, reason = decide_payment(session, intent=intent, now=now)

        def recorded(outcome: Outcome) -> Outcome:
            record_event(
                transaction, db, event, now=now, session_id=session_id, outcome=outcome.result
            )
            return outcome

        if session is None or step == "orphan":
            if reason == "mismatch":
                log(
                    "payment.mismatch",
                    severity="ERROR",
                    sessionId=session_id,
                    paymentIntentId=intent.id,
                    amount=intent.amount,
                    price=session.price if session else None,
                )
            return recorded(Outcome(result="orphan_refunded", sessionId=session_id))
        if step == "already":
            return recorded(Outcome("already", session_id, session.status, session.paymentStatus))
        contacts = (holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict()) or {}
        expert_snap = performance.expert_ref(db, session.expertId).get(transaction=transaction)
        expert = expert_snap.to_dict() or {}
        stats = performance.read_stats(transaction, db, session.expertId)
        session = occupancy.read_claims(transaction, db, session)
        taken: occupancy.Occupancy | None = None
        if step == "occupy" and holds.hold_is_over(session, now=now):  # paid after the hold
            try:
                booking.check_revival(transaction, db, session=session, expert=expert, now=now)
            except (FailedPrecondition, InvalidArgument) as exc:
                step, reason = "refund", str(exc.details.get("reason") or "session_not_bookable")
        if step == "occupy":
            try:
                taken = _read_own_time(transaction, db, session, expert, now)
            except occupancy.TimeUnavailable as exc:
                reason = exc.reason

        if taken is not None:
            confirmed = _write_confirmation(
                transaction,
                db,
                session=session,
                taken=taken,
                intent=intent,
                stats=stats,
                contacts=contacts,
                now=now,
            )
            return recorded(
                Outcome("confirmed", session_id, confirmed.status, confirmed.paymentStatus)
            )
        release = (
            occupancy.read_release(transaction, db, session)
            if session.status == "pending"
            else None
        )
        _write_late_refund(
            transaction,
            db,
            session=session,
            intent=intent,
            contacts=contacts,
            now=now,
            reason=reason or "slot_taken",
            release=release,
        )
        return recorded(Outcome("refunded", session_id, "cancelled", "refunded"))

    outcome = txn(db.transaction())
    if outcome.result == "orphan_refunded":
        refund_orphan(payments, intent)
    elif outcome.sessionId:
        settle(db, session_id=outcome.sessionId, payments=payments, tasks=tasks, clock=clock)
    log("payment.applied", sessionId=session_id, paymentIntentId=intent.id, result=outcome.result)
    return outcome


def _read_own_time(
    transaction: firestore.Transaction,
    db: firestore.Client,
    session: ExpertSession,
    expert: dict[str, Any],
    now: datetime,
) -> occupancy.Occupancy:
    rules = expert.get("availability") or {}
    units = session.lockUnits or occupancy.lock_unit_ids(
        session.scheduledDate, session.blockedUntil
    )
    return occupancy.read_occupancy(
        transaction,
        db,
        session_id=session.sessionId,
        expert_id=session.expertId,
        units=units,
        local_date=session.localDate,
        local_week=session.localWeek,
        max_per_day=int(rules.get("maxSessionsPerDay", 8)),
        max_per_week=int(rules.get("maxSessionsPerWeek", 40)),
        held_tokens=session.capTokens,
        now=now,
    )


def _write_confirmation(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    taken: occupancy.Occupancy,
    intent: PaymentIntentInfo,
    stats: dict[str, Any],
    contacts: dict[str, Any],
    now: datetime,
) -> ExpertSession:
    tokens = occupancy.apply_occupancy(
        transaction,
        taken,
        session_id=session.sessionId,
        status="confirmed",
        expires_at=None,
        now=now,
    )
    confirmed = session.model_copy(
        update={
            "status": "confirmed",
            "paymentStatus": "paid",
            "paymentIntentId": intent.id,
            "confirmedAt": now,
            "meetingLink": session.meetingLink or new_meeting_link(),
            "lockUnits": [r.id for r in taken.lock_refs],
            "capTokens": tokens,
        }
    )
    updates = {
        "status": "confirmed",
        "paymentStatus": "paid",
        "paymentIntentId": intent.id,
        "confirmedAt": now,
        "meetingLink": confirmed.meetingLink,
        "lastPaymentError": firestore.DELETE_FIELD,
    }
    if session.status == "cancelled":  # a late payment revived an expired hold
        updates.update(
            cancelledAt=firestore.DELETE_FIELD,
            cancelledBy=firestore.DELETE_FIELD,
            cancellationReason=firestore.DELETE_FIELD,
            revivedAt=now,
        )
    transaction.update(holds.session_ref(db, session.sessionId), updates)
    occupancy.write_claims(
        transaction, db, session.sessionId, units=confirmed.lockUnits, tokens=confirmed.capTokens
    )
    occupancy.write_busy(transaction, db, confirmed, status="confirmed")
    line = ledger.charge_line(confirmed, payment_intent_id=intent.id, now=now)
    ledger.write_line(transaction, db, line)
    performance.write_stats(
        transaction, db, session.expertId, stats, total_sessions=1, earnings=line.netAmount
    )
    notifications.booking_confirmed(transaction, db, session=confirmed, contacts=contacts, now=now)
    return confirmed


def _write_late_refund(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    intent: PaymentIntentInfo,
    contacts: dict[str, Any],
    now: datetime,
    reason: str,
    release: occupancy.Release | None,
) -> None:
    """The money came in but the time is gone: ledger in and out, refund, tell the user."""
    paid = session.model_copy(update={"paymentIntentId": intent.id})
    charge = ledger.charge_line(paid, payment_intent_id=intent.id, now=now)
    back = ledger.refund_line(paid, amount=paid.price, refunded_before=0, now=now)
    ledger.write_line(transaction, db, charge)
    ledger.write_line(transaction, db, back)
    refund = RefundRecord(
        amount=paid.price,
        reason=f"late_payment_{reason}",
        idempotencyKey=f"{session.sessionId}-refund-late",
    )
    updates: dict[str, Any] = {
        "paymentIntentId": intent.id,
        "paymentStatus": "refunded",
        "refundedAmount": paid.price,
        "refundPercentage": 100,
        "refund": refund.to_firestore(),
    }
    if release is not None:  # a pending session whose time was taken: free what it still has
        occupancy.apply_release(transaction, release)
        updates.update(cancellation_update(by="system", reason=reason, now=now))
    transaction.update(holds.session_ref(db, session.sessionId), updates)
    notifications.late_payment_refunded(transaction, db, session=paid, contacts=contacts, now=now)


def refund_orphan(payments: PaymentsGateway, intent: PaymentIntentInfo) -> None:
    try:
        payments.refund(
            payment_intent_id=intent.id,
            amount=intent.amount_received or intent.amount,
            metadata={"reason": "unknown_session"},
            idempotency_key=f"{intent.id}-orphan-refund",
        )
    except SalaminError as exc:
        if getattr(exc, "stripe_code", None) == "charge_already_refunded":
            return
        raise


# --- after-commit effects ------------------------------------------------------------------------


def settle(
    db: firestore.Client,
    *,
    session_id: str,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
    clock: Clock | None = None,
) -> ExpertSession | None:
    """Redo-safe effects of the stored state: drop the expiry task, enqueue a confirmed
    session's close task (delivery.py), make a pending refund."""
    snap = holds.session_ref(db, session_id).get()
    if not snap.exists:
        return None
    session = holds.load_session(snap)
    if session.status != "pending" and tasks is not None:
        try:
            tasks.delete(queue=holds.EXPIRY_QUEUE, task_id=holds.expiry_task_id(session_id))
        except Exception as exc:  # an expiry task that still runs finds nothing to do
            log("hold.task_delete_failed", severity="WARNING", sessionId=session_id, error=str(exc))
    delivery.schedule_close(tasks, session)
    if session.refund is not None and session.refund.status == "pending":
        session = make_pending_refund(db, session=session, payments=payments, clock=clock)
    return session


# --- refunds: made, tracked, and failed ------------------------------------------------------------

MAX_REFUND_ATTEMPTS = 5
"""Tries with Stripe unreachable before a decided refund is failed to an admin (the sweep runs
every 5 minutes, so about 25 minutes of outage): no refund stays `pending` for ever."""


def make_pending_refund(
    db: firestore.Client,
    *,
    session: ExpertSession,
    payments: PaymentsGateway,
    clock: Clock | None = None,
) -> ExpertSession:
    """Send the decided refund to Stripe (idempotent key) and record Stripe's answer:
    `succeeded`; `processing` (Stripe reports it pending: `refund.updated` finishes it); or
    `failed` (`fail_refund`). Stripe unreachable: raise, to be retried, at most
    `MAX_REFUND_ATTEMPTS` times in all, then failed."""
    refund = session.refund
    if refund is None or refund.status != "pending" or not session.paymentIntentId:
        return session
    now = (clock or SystemClock()).now()
    ref = holds.session_ref(db, session.sessionId)
    result: RefundInfo | None = None
    try:
        result = payments.refund(
            payment_intent_id=session.paymentIntentId,
            amount=refund.amount,
            metadata={"sessionId": session.sessionId, "reason": refund.reason},
            idempotency_key=refund.idempotencyKey,
        )
    except Unavailable:
        attempts = refund.attempts + 1
        log("refund.unreachable", severity="WARNING", sessionId=session.sessionId, attempt=attempts)
        if attempts < MAX_REFUND_ATTEMPTS:
            ref.update({"refund.attempts": attempts})
            raise
        return fail_refund(
            db,
            session_id=session.sessionId,
            failure_id=refund.idempotencyKey,
            refund_id=None,
            amount=refund.amount,
            reason="provider_unreachable",
            now=now,
        )
    except SalaminError as exc:
        code = getattr(exc, "stripe_code", None)
        if code != "charge_already_refunded":
            return fail_refund(
                db,
                session_id=session.sessionId,
                failure_id=refund.idempotencyKey,
                refund_id=None,
                amount=refund.amount,
                reason=code or "refund_rejected",
                now=now,
            )
    if result is not None and result.status in ("failed", "canceled"):
        return fail_refund(
            db,
            session_id=session.sessionId,
            failure_id=result.id,
            refund_id=result.id,
            amount=refund.amount,
            reason=result.failure_reason or result.status,
            now=now,
        )
    status = "succeeded" if result is None or result.status == "succeeded" else "processing"
    refund_id = result.id if result is not None else None
    ref.update({"refund.status": status, "refund.refundId": refund_id})
    log("refund.made", sessionId=session.sessionId, amount=refund.amount, status=status)
    done = refund.model_copy(update={"status": status, "refundId": refund_id})
    return session.model_copy(update={"refund": done})


@dataclass(frozen=True)
class RefundFailure:
    """A refund whose money did not move, and what that undoes, read in a transaction."""

    failure_id: str
    """The Stripe refund id, or our idempotency key when Stripe made none."""
    refund_id: str | None
    amount: int
    reason: str
    line: ExpertTransaction | None
    """The refund line that claimed the money (None: nothing was ledgered for it)."""
    stats: dict[str, Any]


def read_refund_failure(
    transaction: firestore.Transaction,
    db: firestore.Client,
    session: ExpertSession,
    *,
    failure_id: str,
    refund_id: str | None,
    amount: int,
    reason: str,
) -> RefundFailure | None:
    """The reads `write_refund_failure` needs (before any write), or None when this failure
    was applied already."""
    if failure_id in session.failedRefundIds:
        return None
    query = db.collection(col.EXPERT_TRANSACTIONS).where(
        filter=firestore.FieldFilter("sessionId", "==", session.sessionId)
    )
    docs = [snap.to_dict() or {} for snap in query.stream(transaction=transaction)]
    lines = [
        ExpertTransaction.model_validate(d)
        for d in docs
        if d.get("type") in ("refund", "refund_failed")
    ]
    reversed_ids = {
        x.transactionId.removesuffix("_failed") for x in lines if x.type == "refund_failed"
    }
    candidates = [
        x
        for x in lines
        if x.type == "refund" and x.grossAmount == -amount and x.transactionId not in reversed_ids
    ]
    line = max(candidates, key=lambda x: x.createdAt) if candidates else None
    stats = performance.read_stats(transaction, db, session.expertId) if line else {}
    return RefundFailure(failure_id, refund_id, amount, reason, line, stats)


def write_refund_failure(
    transaction: firestore.Transaction,
    db: firestore.Client,
    session: ExpertSession,
    failure: RefundFailure,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The money did not move: reverse its ledger line (and the expert's earnings), take it off
    `refundedAmount`, mark our refund record failed, and open an admin notification. Returns
    the session fields written."""
    updates: dict[str, Any] = {"failedRefundIds": firestore.ArrayUnion([failure.failure_id])}
    if failure.line is not None:
        back = ledger.failed_refund_line(failure.line, now=now)
        ledger.write_line(transaction, db, back)
        performance.write_stats(
            transaction, db, session.expertId, failure.stats, earnings=back.netAmount
        )
        refunded = max(0, session.refundedAmount - failure.amount)
        updates["refundedAmount"] = refunded
        # the one step back of `paymentStatus`: a refund that failed was never a refund
        updates["paymentStatus"] = "partially_refunded" if refunded else "paid"
    record = session.refund
    if record is not None and failure.failure_id in (record.idempotencyKey, record.refundId):
        updates.update(
            {
                "refund.status": "failed",
                "refund.failureReason": failure.reason,
                "refund.refundId": failure.refund_id or record.refundId,
            }
        )
    notice = RefundFailedNotification(
        createdAt=now,
        sessionId=session.sessionId,
        expertId=session.expertId,
        userId=session.userId,
        amount=failure.amount,
        currency=session.currency,
        refundId=failure.refund_id,
        failureReason=failure.reason,
    )
    notice_id = f"refund-failed-{session.sessionId}-{failure.failure_id}"
    transaction.create(
        db.collection(col.ADMIN_NOTIFICATIONS).document(notice_id), notice.to_firestore()
    )
    transaction.update(holds.session_ref(db, session.sessionId), updates)
    log(
        "refund.failed",
        severity="ERROR",
        sessionId=session.sessionId,
        amount=failure.amount,
        reason=failure.reason,
        reversed=failure.line is not None,
    )
    return updates


def fail_refund(
    db: firestore.Client,
    *,
    session_id: str,
    failure_id: str,
    refund_id: str | None,
    amount: int,
    reason: str,
    now: datetime,
) -> ExpertSession:
    """`write_refund_failure` in its own transaction (a refund Stripe refused or never took)."""
    ref = holds.session_ref(db, session_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        session = holds.load_session(ref.get(transaction=transaction))
        failure = read_refund_failure(
            transaction,
            db,
            session,
            failure_id=failure_id,
            refund_id=refund_id,
            amount=amount,
            reason=reason,
        )
        if failure is not None:
            write_refund_failure(transaction, db, session, failure, now=now)

    txn(db.transaction())
    return holds.load_session(ref.get())


def retry_pending_refunds(
    db: firestore.Client,
    *,
    payments: PaymentsGateway,
    clock: Clock | None = None,
    limit: int = 100,
) -> int:
    """Sweep helper: refunds decided but not yet accepted by Stripe (e.g. it was down); each
    is tried at most `MAX_REFUND_ATTEMPTS` times before it fails to an admin."""
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("refund.status", "==", "pending"))
        .limit(limit)
    )
    made = 0
    for snap in query.stream():
        try:
            after = make_pending_refund(
                db, session=holds.load_session(snap), payments=payments, clock=clock
            )
        except SalaminError:
            continue
        if after.refund is not None and after.refund.status in ("succeeded", "processing"):
            made += 1
    return made


# --- the spec's confirmPayment call ---------------------------------------------------------------


def confirm_payment_call(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    payment_intent_id: str,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
) -> Outcome:
    """Ask Stripe for the intent's real state, then take the same path as the webhook."""
    snap = holds.session_ref(db, session_id).get()
    if not snap.exists:
        raise NotFound("no such session", reason="session_not_found")
    session = holds.load_session(snap)
    if caller.uid != session.userId and not caller.is_admin:
        raise PermissionDenied("only the person who booked can confirm this payment")
    if session.paymentIntentId and session.paymentIntentId != payment_intent_id:
        raise InvalidArgument.at("paymentIntentId", "does not belong to this session")
    intent = payments.retrieve_payment_intent(payment_intent_id)
    if intent.metadata.get("sessionId") != session_id:
        raise InvalidArgument.at("paymentIntentId", "does not belong to this session")
    return confirm_payment(db, intent=intent, clock=clock, payments=payments, tasks=tasks)

"""Hold expiry: an unpaid hold gives its time back (docs/calendar-model.md).

Each hold gets one Cloud Task (`<sessionId>-hold`, at expiry) and a scheduled sweep is the
safety net. Both call `expire_hold`, whose transaction moves the session from `pending` to
`cancelled` at most once; only the call that made that move cancels the PaymentIntent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import SalaminError
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentsGateway
from salamin.marketplace.calendar import occupancy
from salamin.models.session import ExpertSession, cancellation_update

HOLD_DURATION = timedelta(minutes=30)
EXPIRY_QUEUE = "expireHold"
EXPIRY_GRACE = timedelta(seconds=30)
"""The task runs this long after expiry, so a slightly early clock never finds it not yet due."""

ExpirySource = Literal["task", "sweep", "booking"]


def hold_expiry(*, booked_at: datetime, start: datetime) -> datetime:
    """Policy (pure): a hold lasts 30 minutes, and never past the session's start, so a session
    that has begun can never be confirmed by a payment on a still-live hold."""
    return min(booked_at + HOLD_DURATION, start)


def hold_is_over(session: ExpertSession, *, now: datetime) -> bool:
    """An unpaid hold whose time is up, released already or not yet (pure): a payment for it
    is a new booking of that time and gets the full bookability check."""
    if session.status == "cancelled":
        return session.cancellationReason == "hold_expired"
    return (
        session.status == "pending"
        and session.holdExpiresAt is not None
        and session.holdExpiresAt <= now
    )


def expiry_task_id(session_id: str) -> str:
    """Deterministic, and starts with the random session id as Cloud Tasks recommends."""
    return f"{session_id}-hold"


def session_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_SESSIONS).document(session_id)


def contacts_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    """Server-only: both parties' names and emails, for notifications."""
    return (
        session_ref(db, session_id).collection(col.SESSION_PRIVATE).document(col.SESSION_CONTACTS)
    )


def load_session(snapshot: firestore.DocumentSnapshot) -> ExpertSession:
    return ExpertSession.model_validate(snapshot.to_dict() or {})


def expire_hold(
    db: firestore.Client,
    *,
    session_id: str,
    clock: Clock,
    payments: PaymentsGateway | None,
    source: ExpirySource,
) -> bool:
    """Release an unpaid hold whose time is up. True only for the one call that released it."""
    ref = session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession | None:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return None
        session = load_session(snap)
        if session.status != "pending":
            return None
        if session.holdExpiresAt is None or session.holdExpiresAt > now:
            return None
        release = occupancy.read_release(transaction, db, session)
        occupancy.apply_release(transaction, release)
        transaction.update(
            ref,
            {
                **cancellation_update(by="system", reason="hold_expired", now=now),
                "expiredBy": source,
            },
        )
        return session

    released = txn(db.transaction())
    if released is None:
        return False
    log("hold.expired", sessionId=session_id, expertId=released.expertId, source=source)
    if payments is not None and released.paymentIntentId:
        cancel_intent_quietly(payments, released.paymentIntentId, session_id=session_id)
    return True


def cancel_intent_quietly(
    payments: PaymentsGateway, payment_intent_id: str, *, session_id: str
) -> None:
    """Best effort: an intent that was paid meanwhile is handled by the late-payment path."""
    try:
        payments.cancel_payment_intent(payment_intent_id, idempotency_key=f"{session_id}-pi-cancel")
    except SalaminError as exc:
        log(
            "hold.intent_cancel_failed",
            severity="WARNING",
            sessionId=session_id,
            paymentIntentId=payment_intent_id,
            reason=exc.message,
        )


@dataclass(frozen=True)
class SweepResult:
    examined: int
    released: int


def sweep_expired_holds(
    db: firestore.Client, *, clock: Clock, payments: PaymentsGateway | None, limit: int = 200
) -> SweepResult:
    """The safety net behind the per-hold tasks: release every pending hold past its expiry."""
    now = clock.now()
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("status", "==", "pending"))
        .where(filter=firestore.FieldFilter("holdExpiresAt", "<=", now))
        .order_by("holdExpiresAt")
        .limit(limit)
    )
    examined = released = 0
    for snap in query.stream():
        examined += 1
        if expire_hold(db, session_id=snap.id, clock=clock, payments=payments, source="sweep"):
            released += 1
    if examined:
        log("hold.sweep", examined=examined, released=released)
    return SweepResult(examined=examined, released=released)

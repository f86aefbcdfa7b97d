"""Calendar storage for holds and bookings, and hold expiry (docs/calendar-model.md).

A booking occupies, under `expertCalendars/{expertId}`:
- `busy/{sessionId}`: the interval, as availability reads it;
- `locks/{unit}`: one doc per 5-minute unit of `[start, end + bufferTime)`
  (the same units the slot rules in availability.py count conflicts in); two bookings that
  come closer than the buffer share a unit, so a create-precondition on these docs is the
  mutual exclusion (no hot document: disjoint times touch disjoint docs);
- one cap token in `days/{YYYY-MM-DD}/tokens/{k}` and one in `weeks/{YYYY-Www}/tokens/{k}`
  (k < maxSessionsPerDay/Week), so the caps hold exactly under concurrency, plus `{count}` on
  the day/week doc (kept with increments) for availability to read.

The session stores what it took (`lockUnits`, `capTokens`), so every release path frees exactly
that, and only docs that still belong to it.

Expiry: each hold gets one Cloud Task (`<sessionId>-hold`, at expiry) and a scheduled sweep is
the safety net. Both call `expire_hold`, whose transaction moves the session from `pending` to
`cancelled` at most once; only the call that made that move cancels the PaymentIntent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import SalaminError
from salamin.core.log import log
from salamin.marketplace import availability
from salamin.models.session import ExpertSession

HOLD_DURATION = timedelta(minutes=30)
EXPIRY_QUEUE = "expireHold"
EXPIRY_GRACE = timedelta(seconds=30)
"""The task runs this long after expiry, so a slightly early clock never finds it not yet due."""

ExpirySource = Literal["task", "sweep", "booking"]


class PaymentCanceller(Protocol):
    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> Any: ...


# --- names and references ----------------------------------------------------------------------


def unit_id(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def lock_unit_ids(start: datetime, blocked_until: datetime) -> list[str]:
    """Units of `[start, blocked_until)`, rounded out to 5-minute boundaries (UTC), the same
    units `availability` counts conflicts in."""
    step = timedelta(minutes=availability.LOCK_UNIT_MINUTES)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    cursor = epoch + ((start.astimezone(UTC) - epoch) // step) * step
    units = []
    while cursor < blocked_until:
        units.append(unit_id(cursor))
        cursor += step
    return units


def expiry_task_id(session_id: str) -> str:
    """Deterministic, and starts with the random session id as Cloud Tasks recommends."""
    return f"{session_id}-hold"


def calendar_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_CALENDARS).document(expert_id)


def busy_ref(db: firestore.Client, expert_id: str, session_id: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_BUSY).document(session_id)


def lock_ref(db: firestore.Client, expert_id: str, unit: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_LOCKS).document(unit)


def day_ref(db: firestore.Client, expert_id: str, local_date: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_DAYS).document(local_date)


def week_ref(db: firestore.Client, expert_id: str, local_week: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_WEEKS).document(local_week)


def session_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_SESSIONS).document(session_id)


def contacts_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    """Server-only: both parties' names and emails, for notifications."""
    return (
        session_ref(db, session_id).collection(col.SESSION_PRIVATE).document(col.SESSION_CONTACTS)
    )


def lock_is_live(data: dict[str, Any] | None, now: datetime) -> bool:
    """A lock blocks if its booking is confirmed, or its hold has not expired yet."""
    if not data:
        return False
    if data.get("status") == "confirmed":
        return True
    expires = data.get("expiresAt")
    return data.get("status") == "held" and expires is not None and expires > now


def free_token_indexes(existing: Iterable[str], cap: int) -> list[int]:
    taken = {int(i) for i in existing if i.isdigit()}
    return [k for k in range(cap) if k not in taken]


def load_session(snapshot: firestore.DocumentSnapshot) -> ExpertSession:
    return ExpertSession.model_validate(snapshot.to_dict() or {})


# --- release -------------------------------------------------------------------------------------


@dataclass
class Release:
    """What a session still owns, read inside a transaction (reads must precede writes)."""

    session: ExpertSession
    locks: list[firestore.DocumentReference] = field(default_factory=list)
    busy: firestore.DocumentReference | None = None
    tokens: list[firestore.DocumentReference] = field(default_factory=list)


def read_release(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> Release:
    release = Release(session=session)
    lock_refs = [lock_ref(db, session.expertId, u) for u in session.lockUnits]
    token_refs = [db.document(p) for p in session.capTokens]
    busy = busy_ref(db, session.expertId, session.sessionId)
    refs = [*lock_refs, *token_refs, busy]
    by_path = {s.reference.path: s for s in transaction.get_all(refs)} if refs else {}
    for ref in lock_refs:
        snap = by_path.get(ref.path)
        if snap is not None and snap.exists and snap.get("sessionId") == session.sessionId:
            release.locks.append(ref)
    for ref in token_refs:
        snap = by_path.get(ref.path)
        if snap is not None and snap.exists and snap.get("sessionId") == session.sessionId:
            release.tokens.append(ref)
    snap = by_path.get(busy.path)
    if snap is not None and snap.exists:
        release.busy = busy
    return release


def apply_release(transaction: firestore.Transaction, release: Release) -> None:
    for ref in release.locks:
        transaction.delete(ref)
    if release.busy is not None:
        transaction.delete(release.busy)
    for ref in release.tokens:
        transaction.delete(ref)
        # the token's parent is the day/week doc whose count availability reads
        parent = ref.parent.parent
        if parent is not None:
            transaction.set(parent, {"count": firestore.Increment(-1)}, merge=True)


# --- expiry --------------------------------------------------------------------------------------


def expire_hold(
    db: firestore.Client,
    *,
    session_id: str,
    clock: Clock,
    payments: PaymentCanceller | None,
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
        release = read_release(transaction, db, session)
        apply_release(transaction, release)
        transaction.update(
            ref,
            {
                "status": "cancelled",
                "cancelledBy": "system",
                "cancellationReason": "hold_expired",
                "cancelledAt": now,
                "expiredBy": source,
                "lockUnits": [],
                "capTokens": [],
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
    payments: PaymentCanceller, payment_intent_id: str, *, session_id: str
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
    db: firestore.Client, *, clock: Clock, payments: PaymentCanceller | None, limit: int = 200
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


# --- occupying time inside a transaction (late payment, reschedule) -------------------------------


@dataclass
class Occupancy:
    """The docs a session must write to occupy a time, read inside a transaction."""

    lock_refs: list[firestore.DocumentReference]
    new_tokens: list[firestore.DocumentReference]
    kept_tokens: list[str]


class TimeUnavailable(Exception):
    """Inside a transaction: the time is taken (`reason` = slot_taken | day_full | week_full)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _token_for(
    transaction: firestore.Transaction,
    parent: firestore.DocumentReference,
    *,
    cap: int,
    held: list[str],
    what: str,
) -> tuple[firestore.DocumentReference | None, str | None]:
    """(new token to create, or None) and (existing token path to keep, or None)."""
    prefix = parent.path + "/tokens/"
    for path in held:
        if path.startswith(prefix):
            return None, path
    existing = [
        s.id for s in transaction.get(parent.collection(col.CALENDAR_CAP_TOKENS).limit(1000))
    ]
    free = free_token_indexes(existing, cap)
    if not free:
        raise TimeUnavailable(f"{what}_full")
    return parent.collection(col.CALENDAR_CAP_TOKENS).document(str(free[0])), None


def read_occupancy(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session_id: str,
    expert_id: str,
    units: list[str],
    local_date: str,
    local_week: str,
    max_per_day: int,
    max_per_week: int,
    held_tokens: list[str],
    now: datetime,
) -> Occupancy:
    """Check (with transactional reads) that the time is free for `session_id`, or raise."""
    lock_refs = [lock_ref(db, expert_id, u) for u in units]
    for snap in transaction.get_all(lock_refs):
        data = snap.to_dict() if snap.exists else None
        if data and data.get("sessionId") != session_id and lock_is_live(data, now):
            raise TimeUnavailable("slot_taken")
    day_new, day_kept = _token_for(
        transaction,
        day_ref(db, expert_id, local_date),
        cap=max_per_day,
        held=held_tokens,
        what="day",
    )
    week_new, week_kept = _token_for(
        transaction,
        week_ref(db, expert_id, local_week),
        cap=max_per_week,
        held=held_tokens,
        what="week",
    )
    return Occupancy(
        lock_refs=lock_refs,
        new_tokens=[t for t in (day_new, week_new) if t is not None],
        kept_tokens=[t for t in (day_kept, week_kept) if t is not None],
    )


def apply_occupancy(
    transaction: firestore.Transaction,
    occupancy: Occupancy,
    *,
    session_id: str,
    status: Literal["held", "confirmed"],
    expires_at: datetime | None,
    now: datetime,
) -> list[str]:
    """Write the locks and new tokens; returns the session's token paths after the move."""
    body = {"sessionId": session_id, "status": status, "expiresAt": expires_at}
    for ref in occupancy.lock_refs:
        transaction.set(ref, body)
    for token in occupancy.new_tokens:
        transaction.create(token, {"sessionId": session_id, "createdAt": now})
        parent = token.parent.parent
        if parent is not None:
            transaction.set(parent, {"count": firestore.Increment(1)}, merge=True)
    return [*occupancy.kept_tokens, *(t.path for t in occupancy.new_tokens)]

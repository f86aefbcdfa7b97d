"""How a booking occupies an expert's calendar (docs/calendar-model.md).

A booking occupies, under `expertCalendars/{expertId}`:
- `busy/{sessionId}`: the interval, as availability reads it;
- `locks/{unit}`: one doc per 5-minute unit of `[start, end + bufferTime)`
  (the same units the slot rules in availability.py count conflicts in); two bookings that
  come closer than the buffer share a unit, so a create-precondition on these docs is the
  mutual exclusion (no hot document: disjoint times touch disjoint docs);
- one cap token in `days/{YYYY-MM-DD}/tokens/{k}` and one in `weeks/{YYYY-Www}/tokens/{k}`
  (k < maxSessionsPerDay/Week), so the caps hold exactly under concurrency, plus `{count}` on
  the day/week doc (kept with increments) for availability to read.

The session's server-only claims document stores what it took (`lockUnits`, `capTokens`), so every release path frees exactly
that, and only docs that still belong to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.marketplace.calendar import local_time
from salamin.models.calendar import BusyInterval, CalendarLock, CapToken, OccupancyStatus
from salamin.models.session import ExpertSession

Writer = firestore.Transaction | firestore.WriteBatch
"""Both offer `create`/`set`: a booking writes in a batch, later moves in a transaction."""


def unit_id(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def lock_unit_ids(start: datetime, blocked_until: datetime) -> list[str]:
    """Units of `[start, blocked_until)`, rounded out to 5-minute boundaries (UTC), the same
    units `availability` counts conflicts in."""
    step = timedelta(minutes=local_time.LOCK_UNIT_MINUTES)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    cursor = epoch + ((start.astimezone(UTC) - epoch) // step) * step
    units = []
    while cursor < blocked_until:
        units.append(unit_id(cursor))
        cursor += step
    return units


def calendar_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_CALENDARS).document(expert_id)


def busy_ref(db: firestore.Client, expert_id: str, session_id: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_BUSY).document(session_id)


def claims_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    """Server-only `expertSessions/{id}/private/claims`: the lock units and cap-token paths the
    session holds (`lockUnits`, `capTokens`). Kept off the session document its parties read;
    this module is its one writer."""
    return (
        db.collection(col.EXPERT_SESSIONS)
        .document(session_id)
        .collection(col.SESSION_PRIVATE)
        .document(col.SESSION_CLAIMS)
    )


def read_claims(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> ExpertSession:
    """`session` with the claims it holds, read in `transaction` (none when there is no doc)."""
    data = claims_ref(db, session.sessionId).get(transaction=transaction).to_dict() or {}
    return session.model_copy(
        update={
            "lockUnits": list(data.get("lockUnits") or []),
            "capTokens": list(data.get("capTokens") or []),
        }
    )


def write_claims(
    writer: firestore.Transaction | firestore.WriteBatch,
    db: firestore.Client,
    session_id: str,
    *,
    units: list[str],
    tokens: list[str],
) -> None:
    """Record what the session holds now (empty lists once it holds nothing)."""
    writer.set(claims_ref(db, session_id), {"lockUnits": units, "capTokens": tokens})


def lock_ref(db: firestore.Client, expert_id: str, unit: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_LOCKS).document(unit)


def day_ref(db: firestore.Client, expert_id: str, local_date: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_DAYS).document(local_date)


def week_ref(db: firestore.Client, expert_id: str, local_week: str) -> firestore.DocumentReference:
    return calendar_ref(db, expert_id).collection(col.CALENDAR_WEEKS).document(local_week)


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


@dataclass
class Release:
    """What a session still owns, read inside a transaction (reads must precede writes)."""

    session: ExpertSession
    locks: list[firestore.DocumentReference] = field(default_factory=list)
    busy: firestore.DocumentReference | None = None
    tokens: list[firestore.DocumentReference] = field(default_factory=list)
    claims: firestore.DocumentReference | None = None


def read_release(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> Release:
    session = read_claims(transaction, db, session)
    release = Release(session=session, claims=claims_ref(db, session.sessionId))
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


def apply_release(
    transaction: firestore.Transaction, release: Release, *, clear_claims: bool = True
) -> None:
    """Free what `read_release` found; the session's claims become empty unless the caller
    records new ones in the same transaction (reschedule)."""
    for ref in release.locks:
        transaction.delete(ref)
    if release.busy is not None:
        transaction.delete(release.busy)
    if clear_claims and release.claims is not None:
        transaction.set(release.claims, {"lockUnits": [], "capTokens": []})
    for ref in release.tokens:
        transaction.delete(ref)
        # the token's parent is the day/week doc whose count availability reads
        parent = ref.parent.parent
        if parent is not None:
            transaction.set(parent, {"count": firestore.Increment(-1)}, merge=True)


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
    status: OccupancyStatus,
    expires_at: datetime | None,
    now: datetime,
) -> list[str]:
    """Write the locks and new tokens; returns the session's token paths after the move."""
    write_locks(
        transaction,
        occupancy.lock_refs,
        session_id=session_id,
        status=status,
        expires_at=expires_at,
        create=False,
    )
    for token in occupancy.new_tokens:
        write_cap_token(transaction, token, session_id=session_id, now=now)
    return [*occupancy.kept_tokens, *(t.path for t in occupancy.new_tokens)]


# --- the one writer of each calendar document ----------------------------------------------------


def busy_interval(session: ExpertSession, *, status: OccupancyStatus) -> BusyInterval:
    """What the calendar shows of a session: its time, never who booked it."""
    return BusyInterval(
        sessionId=session.sessionId,
        sessionType=session.sessionType,
        start=session.scheduledDate,
        end=session.endDate,
        blockedUntil=session.blockedUntil,
        status=status,
        expiresAt=session.holdExpiresAt if status == "held" else None,
        localDate=session.localDate,
        localWeek=session.localWeek,
    )


def write_busy(
    writer: Writer,
    db: firestore.Client,
    session: ExpertSession,
    *,
    status: OccupancyStatus,
    create: bool = False,
) -> None:
    """`busy/{sessionId}` for the session as it now is (create: fail if it exists)."""
    body = busy_interval(session, status=status).model_dump(mode="python")
    _put(writer, busy_ref(db, session.expertId, session.sessionId), body, create=create)


def write_locks(
    writer: Writer,
    refs: Iterable[firestore.DocumentReference],
    *,
    session_id: str,
    status: OccupancyStatus,
    expires_at: datetime | None,
    create: bool,
) -> None:
    """The session's lock units. `create` is the mutual exclusion of a new booking; a move
    inside a transaction has read the units first and overwrites its own or dead ones."""
    body = CalendarLock(sessionId=session_id, status=status, expiresAt=expires_at).model_dump(
        mode="python"
    )
    for ref in refs:
        _put(writer, ref, body, create=create)


def write_cap_token(
    writer: Writer,
    token: firestore.DocumentReference,
    *,
    session_id: str,
    now: datetime,
    count_fields: dict[str, str] | None = None,
) -> None:
    """Create one cap token and count it on its day/week doc (which availability reads)."""
    writer.create(token, CapToken(sessionId=session_id, createdAt=now).model_dump(mode="python"))
    parent = token.parent.parent
    if parent is not None:
        writer.set(parent, {"count": firestore.Increment(1), **(count_fields or {})}, merge=True)


def _put(
    writer: Writer, ref: firestore.DocumentReference, body: dict[str, Any], *, create: bool
) -> None:
    if create:
        writer.create(ref, body)
    else:
        writer.set(ref, body)

"""Waitlist: `joinWaitlist`, `leaveWaitlist`, and telling waiting users when time frees up.

Time frees up when a busy interval goes away or moves (hold expiry, cancellation, a booking
rolled back, a reschedule away: all of them delete or move `expertCalendars/{id}/busy/{sid}`,
which a Firestore trigger hands to `on_busy_written`), or when the expert opens new hours
(`notify_new_availability`, after `updateExpertProfile`). Booking code is not involved.

For each freed time, the expert's entries are visited in join order; an entry is told when a
slot of its session type and duration is bookable *now* (the same `availability.generate_slots`
as getAvailableSlots), overlaps the freed time and lies inside the entry's window. Being told
reserves nothing: the first to book gets it, through the normal booking path.

Once per freed time: the notice id is derived from the entry and the freed time, and created
in the transaction that sends, so a redelivered trigger sends nothing twice. Per-user rate
limit: at most `MAX_NOTICES_PER_DAY` notices per UTC day (a counter per user per day, in the
same transaction); notices over the limit are recorded as `rate_limited` and not sent.
Each sent notice is a `mail` document (the shared mail writer) and `users/{uid}/notifications`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from salamin.core.log import log
from salamin.gateways.mail import Email, queue_mail
from salamin.marketplace.calendar import availability
from salamin.models.expert import PublicExpert
from salamin.models.notifications import UserNotification
from salamin.models.waitlist import (
    OfferedSlot,
    WaitlistEntry,
    WaitlistNotice,
    WaitlistUser,
    WaitWindow,
)

MAX_ENTRIES_PER_USER = 20
MAX_NOTICES_PER_DAY = 5
MAX_SLOTS_PER_NOTICE = 5
_LIVE = frozenset({"held", "confirmed"})


def entry_id(*, expert_id: str, user_id: str, session_type: str, duration: int) -> str:
    """One entry per user, expert, session type and duration."""
    key = f"{expert_id}|{user_id}|{session_type}|{duration}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def notice_id(entry: str, cause: str) -> str:
    return hashlib.sha256(f"{entry}|{cause}".encode()).hexdigest()[:32]


def _entries(db: firestore.Client) -> firestore.CollectionReference:
    return db.collection(col.WAITLIST_ENTRIES)


def _load_expert(db: firestore.Client, expert_id: str) -> PublicExpert | None:
    snap = db.collection(col.EXPERTS).document(expert_id).get()
    return PublicExpert.model_validate(snap.to_dict() or {}) if snap.exists else None


# --- join / leave ----------------------------------------------------------------------------


def join_waitlist(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str,
    session_type: str,
    duration: int,
    window: WaitWindow,
    clock: Clock,
) -> WaitlistEntry:
    if caller.uid == expert_id:
        raise FailedPrecondition("experts cannot wait for their own sessions", reason="own_expert")
    expert = _load_expert(db, expert_id)
    if expert is None:
        raise NotFound("no such expert", reason="expert_not_found")
    if expert.status != "active":
        raise FailedPrecondition("this expert is not taking bookings", reason="expert_not_bookable")
    schedule = availability.Schedule.of(expert)
    if session_type not in schedule.offered:
        raise InvalidArgument.at("sessionType", "this expert does not offer that session type")
    if not schedule.durations_for(session_type, duration):
        allowed = sorted(schedule.pricing[session_type].allowedDurations)
        raise InvalidArgument.at("duration", f"{session_type} can be booked for {allowed} minutes")
    eid = entry_id(
        expert_id=expert_id, user_id=caller.uid, session_type=session_type, duration=duration
    )
    entry = WaitlistEntry(
        entryId=eid,
        expertId=expert_id,
        userId=caller.uid,
        sessionType=session_type,  # type: ignore[arg-type]
        duration=duration,
        window=window,
        email=caller.email,
        joinedAt=clock.now(),
    )
    entry_ref = _entries(db).document(eid)
    user_ref = _user_ref(db, caller.uid)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        """The cap check and the create commit together: of concurrent joins beyond the cap,
        the ones that lose the race on the user's document re-run and are refused."""
        if entry_ref.get(transaction=transaction).exists:
            raise AlreadyExists("you are already on this waitlist", reason="waitlist_entry_exists")
        ids = _user_entry_ids(transaction, db, caller.uid)
        if len(ids) >= MAX_ENTRIES_PER_USER:
            raise ResourceExhausted(f"at most {MAX_ENTRIES_PER_USER} waitlist entries per user")
        transaction.create(entry_ref, entry.to_firestore())
        member = WaitlistUser(userId=caller.uid, entryIds=[*ids, eid])
        transaction.set(user_ref, member.to_firestore())

    txn(db.transaction())
    return entry


def leave_waitlist(db: firestore.Client, *, caller: Caller, entry: str) -> bool:
    ref = _entries(db).document(entry)
    user_ref = _user_ref(db, caller.uid)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> bool:
        snap = ref.get(transaction=transaction)
        if snap.exists and snap.get("userId") != caller.uid:
            raise PermissionDenied("that is not your waitlist entry")
        ids = _user_entry_ids(transaction, db, caller.uid)
        if entry in ids:
            rest = [i for i in ids if i != entry]
            transaction.set(user_ref, WaitlistUser(userId=caller.uid, entryIds=rest).to_firestore())
        if not snap.exists:
            return False
        transaction.delete(ref)
        return True

    return bool(txn(db.transaction()))


def _user_ref(db: firestore.Client, user_id: str) -> firestore.DocumentReference:
    return db.collection(col.WAITLIST_USERS).document(user_id)


def _user_entry_ids(
    transaction: firestore.Transaction, db: firestore.Client, user_id: str
) -> list[str]:
    """The user's entry ids as `waitlistUsers/{uid}` holds them; for a user who joined before
    that document existed, read from their entries once (in the same transaction)."""
    snap = _user_ref(db, user_id).get(transaction=transaction)
    if snap.exists:
        return list(WaitlistUser.model_validate(snap.to_dict() or {}).entryIds)
    mine = _entries(db).where(filter=firestore.FieldFilter("userId", "==", user_id))
    return sorted(s.id for s in mine.select([]).stream(transaction=transaction))


# --- matching ----------------------------------------------------------------------------------


def in_window(window: WaitWindow, start: datetime, end: datetime) -> bool:
    """Does `[start, end)` fall on one of the window's days, inside its hours, in its zone?"""
    tz = ZoneInfo(window.timeZone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if local_start.date() != local_end.date() and local_end.strftime("%H:%M") != "00:00":
        return False
    if availability.js_weekday(local_start.date()) not in window.daysOfWeek:
        return False
    end_text = "24:00" if local_end.date() != local_start.date() else local_end.strftime("%H:%M")
    return window.startTime <= local_start.strftime("%H:%M") and end_text <= window.endTime


def offered(slot: availability.Slot, window: WaitWindow) -> OfferedSlot:
    wire = slot.to_wire(ZoneInfo(window.timeZone))
    return OfferedSlot(
        startUtc=wire["startUtc"],
        endUtc=wire["endUtc"],
        date=wire["date"],
        startTime=wire["startTime"],
        expertDate=wire["expertDate"],
        expertStartTime=wire["expertStartTime"],
    )


def matching_slots(
    schedule: availability.Schedule,
    entry: WaitlistEntry,
    *,
    busy: availability.Busy,
    now: datetime,
    days_ahead: int,
    accept: Any = None,
) -> list[availability.Slot]:
    """Bookable slots for the entry's type and duration inside its window (and `accept`)."""

    def wanted(start: datetime, end: datetime) -> bool:
        return in_window(entry.window, start, end) and (accept is None or accept(start, end))

    try:
        return availability.generate_slots(
            schedule,
            busy=busy,
            now=now,
            days_ahead=days_ahead,
            session_type=entry.sessionType,
            duration=entry.duration,
            accept=wanted,
        )
    except InvalidArgument:  # the expert no longer offers this type or duration
        return []


def active_entries(db: firestore.Client, expert_id: str) -> list[WaitlistEntry]:
    """In join order (ties by id, so the order is total)."""
    query = (
        _entries(db)
        .where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .order_by("joinedAt")
        .order_by("__name__")
    )
    return [WaitlistEntry.model_validate(s.to_dict() or {}) for s in query.stream()]


# --- telling -----------------------------------------------------------------------------------


def _rate_ref(db: firestore.Client, user_id: str, now: datetime) -> firestore.DocumentReference:
    return db.collection(col.WAITLIST_RATE).document(f"{user_id}_{now.astimezone(UTC):%Y-%m-%d}")


def _tell(
    db: firestore.Client,
    *,
    entry: WaitlistEntry,
    expert: PublicExpert,
    slots: list[availability.Slot],
    cause: str,
    now: datetime,
) -> str:
    """Send one notice, at most once per (entry, cause). Returns sent | rate_limited | repeat."""
    nid = notice_id(entry.entryId, cause)
    notice_ref = db.collection(col.WAITLIST_NOTICES).document(nid)
    rate_ref = _rate_ref(db, entry.userId, now)
    entry_ref = _entries(db).document(entry.entryId)
    inbox_ref = (
        db.collection(col.USERS)
        .document(entry.userId)
        .collection(col.USER_NOTIFICATIONS)
        .document(nid)
    )
    shown = [offered(s, entry.window) for s in slots[:MAX_SLOTS_PER_NOTICE]]
    name = f"{expert.personalInfo.firstName} {expert.personalInfo.lastName}"
    label = entry.sessionType.replace("_", " ")

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> str:
        if notice_ref.get(transaction=transaction).exists:
            return "repeat"
        if not entry_ref.get(transaction=transaction).exists:
            return "left"
        sent_today = int((rate_ref.get(transaction=transaction).to_dict() or {}).get("count", 0))
        status = "sent" if sent_today < MAX_NOTICES_PER_DAY else "rate_limited"
        notice = WaitlistNotice(
            entryId=entry.entryId,
            userId=entry.userId,
            expertId=entry.expertId,
            cause=cause,
            status=status,  # type: ignore[arg-type]
            slots=shown,
            createdAt=now,
        )
        transaction.create(notice_ref, notice.to_firestore())
        if status != "sent":
            return status
        transaction.set(rate_ref, {"count": sent_today + 1, "userId": entry.userId}, merge=True)
        lines = [f"- {s.date} {s.startTime} ({entry.window.timeZone})" for s in shown]
        text = (
            f"A {entry.duration}-minute {label} with {name} just became available:\n"
            + "\n".join(lines)
            + "\nThe first to book gets it. You are told once per freed time; leave the "
            "waitlist from your dashboard to stop these messages.\n"
        )
        transaction.create(
            inbox_ref,
            UserNotification(
                type="waitlist_slot_available",
                title=f"{name} has a free {label} slot",
                body=text,
                expertId=entry.expertId,
                sessionType=entry.sessionType,
                duration=entry.duration,
                slots=shown,
                createdAt=now,
            ).to_firestore(),
        )
        if entry.email:
            queue_mail(
                transaction,
                db,
                mail_id=f"waitlist-{nid}",
                now=now,
                kind="waitlist_slot_available",
                email=Email(to=entry.email, subject=f"Salamin: {name} has a free slot", text=text),
            )
        transaction.update(
            entry_ref, {"lastNotifiedAt": now, "notifiedCount": firestore.Increment(1)}
        )
        return "sent"

    return str(txn(db.transaction()))


def notify_freed_time(
    db: firestore.Client,
    *,
    expert_id: str,
    start: datetime,
    end: datetime,
    cause: str,
    clock: Clock,
) -> dict[str, int]:
    """Tell waiting users, in join order, about bookable slots overlapping `[start, end)`."""
    now = clock.now()
    outcome: dict[str, int] = {}
    entries = active_entries(db, expert_id)
    if not entries or end <= now:
        return outcome
    expert = _load_expert(db, expert_id)
    if expert is None:
        return outcome
    schedule = availability.Schedule.of(expert)
    today = availability.expert_today(schedule, now)
    last_day = end.astimezone(schedule.tz).date()
    days_ahead = min((last_day - today).days + 1, availability.MAX_DAYS_AHEAD)
    if days_ahead < 1:
        return outcome
    busy, _ = availability.load_busy(
        db,
        expert_id=expert_id,
        time_zone=schedule.time_zone,
        first_day=max(today, start.astimezone(schedule.tz).date()),
        last_day=last_day,
        now=now,
    )
    buffer = timedelta(minutes=schedule.availability.bufferTime)

    def overlaps(s: datetime, e: datetime) -> bool:
        return s < end and e + buffer > start

    for entry in entries:
        slots = matching_slots(
            schedule, entry, busy=busy, now=now, days_ahead=days_ahead, accept=overlaps
        )
        if slots:
            result = _tell(db, entry=entry, expert=expert, slots=slots, cause=cause, now=now)
            outcome[result] = outcome.get(result, 0) + 1
    if outcome:
        log("waitlist.notified", expertId=expert_id, cause=cause, outcome=outcome)
    return outcome


def freed_interval(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[datetime, datetime] | None:
    """The time a busy-document write gave back, if any: a live interval that was deleted,
    ended, or moved to another start."""
    if not before or before.get("status") not in _LIVE:
        return None
    start, until = before.get("start"), before.get("blockedUntil") or before.get("end")
    if not isinstance(start, datetime) or not isinstance(until, datetime):
        return None
    if after and after.get("status") in _LIVE and after.get("start") == start:
        return None
    return start, until


def on_busy_written(
    db: firestore.Client,
    *,
    expert_id: str,
    session_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    clock: Clock,
) -> dict[str, int]:
    """The trigger body for `expertCalendars/{expertId}/busy/{sessionId}` writes."""
    freed = freed_interval(before, after)
    if freed is None:
        return {}
    start, end = freed
    cause = f"busy:{session_id}:{start.astimezone(UTC).isoformat()}"
    return notify_freed_time(
        db, expert_id=expert_id, start=start, end=end, cause=cause, clock=clock
    )


def notify_new_availability(
    db: firestore.Client,
    *,
    before: PublicExpert | Any,
    after: PublicExpert | Any,
    clock: Clock,
) -> dict[str, int]:
    """After a profile edit: tell entries about slots bookable under the new schedule that were
    not under the old one. The cause is the slot set, so toggling hours off and on again does
    not re-send the same news."""
    now = clock.now()
    expert_id = after.expertId
    entries = active_entries(db, expert_id)
    if not entries:
        return {}
    public = _load_expert(db, expert_id)
    if public is None:
        return {}
    # a full profile does not carry the payout flag: both schedules take the public one
    ready = public.payoutsEnabled
    old = availability.Schedule.of(before, payouts_enabled=ready)
    new = availability.Schedule.of(after, payouts_enabled=ready)
    today = availability.expert_today(new, now)
    busy, _ = availability.load_busy(
        db,
        expert_id=expert_id,
        time_zone=new.time_zone,
        first_day=today,
        last_day=today + timedelta(days=availability.MAX_DAYS_AHEAD - 1),
        now=now,
    )
    outcome: dict[str, int] = {}
    days = availability.MAX_DAYS_AHEAD
    for entry in entries:
        was = {s.start for s in matching_slots(old, entry, busy=busy, now=now, days_ahead=days)}
        opened = [
            s
            for s in matching_slots(new, entry, busy=busy, now=now, days_ahead=days)
            if s.start not in was
        ]
        if not opened:
            continue
        digest = hashlib.sha256(",".join(s.start.isoformat() for s in opened).encode()).hexdigest()[
            :16
        ]
        result = _tell(
            db, entry=entry, expert=public, slots=opened, cause=f"hours:{digest}", now=now
        )
        outcome[result] = outcome.get(result, 0) + 1
    if outcome:
        log("waitlist.notified", expertId=expert_id, cause="hours", outcome=outcome)
    return outcome

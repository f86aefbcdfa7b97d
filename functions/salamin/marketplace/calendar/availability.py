"""Spec §1.2 slot rules: the one implementation of "when can this expert be booked".

`generate_slots` (getAvailableSlots, search results) and `check_bookable` (createBookingRequest)
share the same candidate grid and the same blocking rules, so a slot that is shown can be booked
and a booking can only take a slot that would be shown.

Time model (docs/calendar-model.md):
- weekly windows (`availability.timeSlots`) are wall-clock times in the expert's `timeZone`;
  each day's window is converted to UTC on its own with `zoneinfo`, so a 09:00 Berlin window stays
  09:00 local across a DST change;
- slots start every `SLOT_STEP_MINUTES` from the window start and must end inside the window
  (durations are real elapsed minutes);
- busy intervals are `expertCalendars/{id}/busy/{sessionId}` docs; a held slot whose `expiresAt`
  has passed does not block; two bookings conflict iff they share a 5-minute lock unit of
  `[start, end + bufferTime)`, exactly as the booking transaction's locks do;
- caps count confirmed sessions and live holds per expert-local day and ISO week.

Prices: `slot_price` = basePrice (minor units per hour) * minutes / 60, rounded half up to a whole
minor unit. The list price, before any discount.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.errors import FailedPrecondition, InvalidArgument, NotFound, Reason
from salamin.marketplace.calendar.bookability import NotBookable, not_bookable
from salamin.marketplace.calendar.intervals import Busy, load_busy
from salamin.marketplace.calendar.local_time import (
    iso_week,
    js_weekday,
    local_instant,
    resolve_local,
    slot_price,
)
from salamin.models.base import wire_instant
from salamin.models.expert import (
    SESSION_TYPES,
    AvailabilitySlot,
    ExpertAvailability,
    ExpertProfile,
    PublicExpert,
    SessionTypePricing,
)
from salamin.models.session import slot_id

SLOT_STEP_MINUTES = 30
"""Slot starts are this far apart, counted from each window's start."""
MAX_DAYS_AHEAD = 60
"""How far ahead availability is shown and bookings are accepted, in expert-local days."""


# --- the expert's schedule -------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """What the slot rules need from an expert document."""

    expert_id: str
    time_zone: str
    status: str
    payouts_enabled: bool
    """The public `payoutsEnabled` mirror of the expert's payout account."""
    availability: ExpertAvailability
    pricing: dict[str, SessionTypePricing]
    offered: tuple[str, ...]
    """Session types the expert offers (in some specialty) and has priced, in spec order."""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def active(self) -> bool:
        return self.status == "active"

    def not_bookable(self) -> NotBookable | None:
        """The one bookability policy (`bookability.not_bookable`) on this expert."""
        return not_bookable(
            status=self.status,
            vacation_mode=self.availability.vacationMode,
            payouts_enabled=self.payouts_enabled,
        )

    @property
    def currency(self) -> str:
        return next(iter(self.pricing.values())).currency if self.pricing else "USD"

    @classmethod
    def of(
        cls, expert: PublicExpert | ExpertProfile, *, payouts_enabled: bool | None = None
    ) -> Schedule:
        """`payouts_enabled` defaults to the public document's flag; a full `ExpertProfile`
        does not carry it, so pass it (else the expert counts as not ready for payouts)."""
        if payouts_enabled is None:
            payouts_enabled = isinstance(expert, PublicExpert) and expert.payoutsEnabled
        in_specialties = {t for s in expert.interviewSpecialties for t in s.sessionTypes}
        priced = dict(expert.pricing.sessionTypes)
        offered = tuple(t for t in SESSION_TYPES if t in in_specialties and t in priced)
        return cls(
            expert_id=expert.expertId,
            time_zone=expert.personalInfo.timeZone,
            status=expert.status,
            payouts_enabled=payouts_enabled,
            availability=expert.availability,
            pricing={t: priced[t] for t in offered},
            offered=offered,
        )

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> Schedule:
        return cls.of(PublicExpert.model_validate(data))

    def durations_for(self, session_type: str, duration: int | None) -> list[int]:
        """The requested duration if allowed, else the type's shortest allowed duration."""
        pricing = self.pricing[session_type]
        allowed = sorted(d for d in pricing.allowedDurations if d >= pricing.minimumDuration)
        if duration is None:
            return allowed[:1]
        return [duration] if duration in allowed else []


# --- candidates and the blocking rules -------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    duration: int
    session_types: tuple[str, ...]
    prices: dict[str, int]
    currency: str
    expert_date: str
    expert_start: str
    expert_end: str

    def to_wire(self, tz: ZoneInfo) -> dict[str, Any]:
        """Spec `AvailableSlot` in the requester's zone, plus UTC instants and expert-local time.

        `price` is the price of the first listed session type (the only one when the request
        named a session type); `prices` has every listed type's price.
        """
        local_start = self.start.astimezone(tz)
        local_end = self.end.astimezone(tz)
        return {
            "date": local_start.date().isoformat(),
            "startTime": local_start.strftime("%H:%M"),
            "endTime": local_end.strftime("%H:%M"),
            "sessionTypes": list(self.session_types),
            "price": self.prices[self.session_types[0]],
            "prices": dict(self.prices),
            "currency": self.currency,
            "duration": self.duration,
            "slotId": slot_id(self.start, self.duration),
            "startUtc": _iso_z(self.start),
            "endUtc": _iso_z(self.end),
            "timeZone": tz.key,
            "expertDate": self.expert_date,
            "expertStartTime": self.expert_start,
            "expertEndTime": self.expert_end,
        }


def _iso_z(t: datetime) -> str:
    return wire_instant(t)


@dataclass(frozen=True)
class _Candidate:
    start: datetime
    end: datetime
    duration: int
    session_type: str
    window: AvailabilitySlot


def _window_bounds(day: date, window: AvailabilitySlot, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A window's UTC bounds on one expert-local day. A repeated end hour counts to its last
    occurrence, so every instant whose wall clock is inside the window is covered."""
    return (
        local_instant(day, window.startTime, tz, fold=0),
        local_instant(day, window.endTime, tz, fold=1),
    )


def _day_candidates(
    schedule: Schedule, day: date, *, types: Iterable[str], duration: int | None
) -> Iterator[_Candidate]:
    """Every grid point of `day`'s windows, per offered session type, before blocking rules."""
    tz = schedule.tz
    dow = js_weekday(day)
    step = timedelta(minutes=SLOT_STEP_MINUTES)
    wanted = list(types)
    for window in schedule.availability.timeSlots:
        if window.dayOfWeek != dow:
            continue
        w_start, w_end = _window_bounds(day, window, tz)
        for session_type in wanted:
            if session_type not in window.sessionTypes:
                continue
            for minutes in schedule.durations_for(session_type, duration):
                length = timedelta(minutes=minutes)
                start = w_start
                while start + length <= w_end:
                    yield _Candidate(start, start + length, minutes, session_type, window)
                    start += step


Blocked = tuple[Reason, str]
"""Why a time cannot be booked: the `details.reason` and a message for people."""


def _day_closed_reason(schedule: Schedule, day: date, busy: Busy, *, today: date) -> Blocked | None:
    """Why nothing can be booked on expert-local `day`, or None."""
    availability = schedule.availability
    if day < today:
        return "date_passed", "that date has passed"
    if day > today + timedelta(days=MAX_DAYS_AHEAD - 1):
        return "beyond_booking_window", f"bookings open at most {MAX_DAYS_AHEAD} days ahead"
    if day.isoformat() in availability.blackoutDates:
        return "blackout_date", f"the expert is unavailable on {day.isoformat()}"
    if js_weekday(day) not in availability.workingDays:
        return "non_working_day", f"the expert does not work on {day.strftime('%A')}s"
    if busy.day_counts.get(day.isoformat(), 0) >= availability.maxSessionsPerDay:
        return "day_full", f"the expert's day {day.isoformat()} is fully booked"
    if busy.week_counts.get(iso_week(day), 0) >= availability.maxSessionsPerWeek:
        return "week_full", f"the expert's week {iso_week(day)} is fully booked"
    return None


def _slot_blocked_reason(
    schedule: Schedule, start: datetime, end: datetime, busy: Busy, *, now: datetime
) -> Blocked | None:
    """Why this particular time cannot be booked (notice, overlap), or None."""
    notice = timedelta(hours=schedule.availability.advanceBookingRequired)
    if start < now + notice:
        if notice:
            hours = schedule.availability.advanceBookingRequired
            return "insufficient_notice", f"the expert needs {hours} hours' notice"
        return "time_passed", "that time has passed"
    blocked_until = end + timedelta(minutes=schedule.availability.bufferTime)
    if busy.blocking(start, blocked_until) is not None:
        return "slot_taken", "that time is no longer available"
    return None


def _check_request(schedule: Schedule, session_type: str | None, duration: int | None) -> list[str]:
    """Validate sessionType/duration against the expert; return the session types to offer."""
    if session_type is not None:
        if session_type not in schedule.offered:
            offered = ", ".join(schedule.offered) or "none"
            raise InvalidArgument.at(
                "sessionType", f"this expert does not offer {session_type} (offers: {offered})"
            )
        if duration is not None and not schedule.durations_for(session_type, duration):
            allowed = schedule.pricing[session_type].allowedDurations
            raise InvalidArgument.at(
                "duration", f"{session_type} can be booked for {sorted(allowed)} minutes"
            )
        return [session_type]
    types = list(schedule.offered)
    if duration is not None:
        types = [t for t in types if schedule.durations_for(t, duration)]
        if not types:
            raise InvalidArgument.at("duration", f"no session type of this expert lasts {duration}")
    return types


def expert_today(schedule: Schedule, now: datetime) -> date:
    return now.astimezone(schedule.tz).date()


def has_window_overlap(
    schedule: Schedule,
    intervals: list[tuple[datetime, datetime]],
    *,
    session_types: Iterable[str] | None = None,
) -> bool:
    """Does the weekly schedule (working days, hours, blackouts) leave, inside one of the UTC
    `intervals`, room for the shortest allowed session of a wanted type? Bookings are not
    considered: this is search's "available on these days and hours" filter."""
    if not intervals or schedule.not_bookable():
        return False
    wanted = [t for t in (session_types or schedule.offered) if t in schedule.offered]
    if not wanted:
        return False
    tz = schedule.tz
    first = min(a for a, _ in intervals).astimezone(tz).date() - timedelta(days=1)
    last = max(b for _, b in intervals).astimezone(tz).date() + timedelta(days=1)
    blackout = set(schedule.availability.blackoutDates)
    working = set(schedule.availability.workingDays)
    day = first
    while day <= last:
        if js_weekday(day) in working and day.isoformat() not in blackout:
            for window in schedule.availability.timeSlots:
                if window.dayOfWeek != js_weekday(day):
                    continue
                lengths = [
                    schedule.durations_for(t, None)[0]
                    for t in wanted
                    if t in window.sessionTypes and schedule.durations_for(t, None)
                ]
                if not lengths:
                    continue
                need = timedelta(minutes=min(lengths))
                w_start, w_end = _window_bounds(day, window, tz)
                for a, b in intervals:
                    if min(w_end, b) - max(w_start, a) >= need:
                        return True
        day += timedelta(days=1)
    return False


def generate_slots(
    schedule: Schedule,
    *,
    busy: Busy,
    now: datetime,
    days_ahead: int,
    session_type: str | None = None,
    duration: int | None = None,
    limit: int | None = None,
    accept: Any = None,
) -> list[Slot]:
    """Bookable slots on the next `days_ahead` expert-local days (today first), in time order.

    Slots with the same start and duration are merged, listing every session type they fit.
    `accept(start, end) -> bool` optionally narrows them (search's time-of-day windows).
    """
    if schedule.not_bookable():
        return []
    types = _check_request(schedule, session_type, duration)
    tz = schedule.tz
    today = expert_today(schedule, now)
    merged: dict[tuple[datetime, int], dict[str, Any]] = {}
    for offset in range(days_ahead):
        day = today + timedelta(days=offset)
        if _day_closed_reason(schedule, day, busy, today=today):
            continue
        day_slots: dict[tuple[datetime, int], dict[str, Any]] = {}
        for cand in _day_candidates(schedule, day, types=types, duration=duration):
            if _slot_blocked_reason(schedule, cand.start, cand.end, busy, now=now):
                continue
            if accept is not None and not accept(cand.start, cand.end):
                continue
            key = (cand.start, cand.duration)
            entry = day_slots.setdefault(key, {"end": cand.end, "types": {}})
            entry["types"][cand.session_type] = slot_price(
                schedule.pricing[cand.session_type].basePrice, cand.duration
            )
        merged.update(day_slots)
        if limit is not None and len(merged) >= limit:
            break
    slots: list[Slot] = []
    for (start, minutes), entry in sorted(merged.items(), key=lambda kv: kv[0]):
        ordered = tuple(t for t in SESSION_TYPES if t in entry["types"])
        local_start = start.astimezone(tz)
        slots.append(
            Slot(
                start=start,
                end=entry["end"],
                duration=minutes,
                session_types=ordered,
                prices={t: entry["types"][t] for t in ordered},
                currency=schedule.currency,
                expert_date=local_start.date().isoformat(),
                expert_start=local_start.strftime("%H:%M"),
                expert_end=entry["end"].astimezone(tz).strftime("%H:%M"),
            )
        )
    return slots[:limit] if limit is not None else slots


# --- booking's check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BookableSlot:
    """What booking needs to write the session, its busy doc, its locks and its cap keys."""

    start: datetime
    end: datetime
    blocked_until: datetime
    duration: int
    session_type: str
    price: int
    """List price in minor units (`slot_price`), before discounts."""
    currency: str
    local_date: str
    local_week: str


def check_slot(
    schedule: Schedule,
    *,
    busy: Busy,
    start: datetime,
    session_type: str,
    duration: int,
    now: datetime,
) -> BookableSlot:
    """The pure rule: raise `FailedPrecondition` (taken, closed, too soon, full) or
    `InvalidArgument` (not a valid request for this expert) with a readable reason; otherwise
    return the slot. `busy` must cover `start`'s expert-local day and ISO week (`load_busy`)."""
    refused = schedule.not_bookable()
    if refused:
        raise refused.error()
    _check_request(schedule, session_type, duration)
    if start.tzinfo is None:
        raise InvalidArgument.at("startTime", "must carry a time zone")
    start = start.astimezone(UTC)
    end = start + timedelta(minutes=duration)
    tz = schedule.tz
    today = expert_today(schedule, now)
    day = start.astimezone(tz).date()
    blocked = _day_closed_reason(schedule, day, busy, today=today)
    if blocked:
        raise FailedPrecondition(blocked[1], reason=blocked[0])
    on_grid = any(
        c.start == start and c.duration == duration
        for c in _day_candidates(schedule, day, types=[session_type], duration=duration)
    )
    if not on_grid:
        raise FailedPrecondition(
            f"{start.astimezone(tz).strftime('%H:%M')} on {day.isoformat()} ({tz.key}) is not "
            f"one of the expert's {session_type} slots: slots start every "
            f"{SLOT_STEP_MINUTES} minutes within the expert's hours",
            reason="not_a_slot",
        )
    blocked = _slot_blocked_reason(schedule, start, end, busy, now=now)
    if blocked:
        raise FailedPrecondition(blocked[1], reason=blocked[0])
    return BookableSlot(
        start=start,
        end=end,
        blocked_until=end + timedelta(minutes=schedule.availability.bufferTime),
        duration=duration,
        session_type=session_type,
        price=slot_price(schedule.pricing[session_type].basePrice, duration),
        currency=schedule.currency,
        local_date=day.isoformat(),
        local_week=iso_week(day),
    )


def check_bookable(
    db: firestore.Client,
    *,
    expert: PublicExpert | ExpertProfile,
    session_type: str,
    date: str | None,
    start_time: str | None,
    duration: int,
    now: datetime,
    start: datetime | None = None,
    exclude_session_id: str | None = None,
    transaction: firestore.Transaction | None = None,
) -> BookableSlot:
    """`createBookingRequest`'s check: `date` + `start_time` are wall-clock in the expert's zone
    (a slot's `expertDate`/`expertStartTime`). Reads the live busy docs (inside `transaction`
    when given) and applies `check_slot`. `exclude_session_id` ignores that session's own
    interval (rescheduling). `start` (the instant of a slot: `startUtc`/`slotId`) replaces the
    wall-clock form, and is the only way to book a repeated (fall-back) local time."""
    schedule = Schedule.of(expert)
    if start is None:
        start = resolve_local(date or "", start_time or "", schedule.tz)
    day = start.astimezone(schedule.tz).date()
    busy, _ = load_busy(
        db,
        expert_id=schedule.expert_id,
        time_zone=schedule.time_zone,
        first_day=day,
        last_day=day,
        now=now,
        transaction=transaction,
        exclude_session_id=exclude_session_id,
    )
    return check_slot(
        schedule, busy=busy, start=start, session_type=session_type, duration=duration, now=now
    )


# --- getAvailableSlots -----------------------------------------------------------------------


@dataclass(frozen=True)
class SlotsResult:
    expert_id: str
    expert_time_zone: str
    time_zone: str
    slots: list[Slot]
    reads: int
    not_bookable: NotBookable | None = None
    """Set when the expert cannot be booked at all (then `slots` is empty)."""

    @property
    def unavailable_reason(self) -> str | None:
        return self.not_bookable.message if self.not_bookable else None

    def to_wire(self) -> dict[str, Any]:
        tz = ZoneInfo(self.time_zone)
        body: dict[str, Any] = {
            "expertId": self.expert_id,
            "expertTimeZone": self.expert_time_zone,
            "timeZone": self.time_zone,
            "bookable": self.not_bookable is None,
            "slots": [s.to_wire(tz) for s in self.slots],
        }
        if self.not_bookable:
            body["notBookableReason"] = self.not_bookable.reason
            body["unavailableReason"] = self.not_bookable.message
        return body


def get_available_slots(
    db: firestore.Client,
    *,
    expert_id: str,
    days_ahead: int,
    now: datetime,
    session_type: str | None = None,
    duration: int | None = None,
    time_zone: str | None = None,
) -> SlotsResult:
    """The expert's bookable slots; local fields in `time_zone` (default: the expert's zone)."""
    if not 1 <= days_ahead <= MAX_DAYS_AHEAD:
        raise InvalidArgument.at("daysAhead", f"must be between 1 and {MAX_DAYS_AHEAD}")
    snap = db.collection(col.EXPERTS).document(expert_id).get()
    if not snap.exists:
        raise NotFound("no such expert", reason="expert_not_found")
    schedule = Schedule.from_document(snap.to_dict() or {})
    out_zone = time_zone or schedule.time_zone
    refused = schedule.not_bookable()
    if refused:
        return SlotsResult(expert_id, schedule.time_zone, out_zone, [], 1, refused)
    _check_request(schedule, session_type, duration)
    today = expert_today(schedule, now)
    busy, reads = load_busy(
        db,
        expert_id=expert_id,
        time_zone=schedule.time_zone,
        first_day=today,
        last_day=today + timedelta(days=days_ahead - 1),
        now=now,
    )
    slots = generate_slots(
        schedule,
        busy=busy,
        now=now,
        days_ahead=days_ahead,
        session_type=session_type,
        duration=duration,
    )
    return SlotsResult(expert_id, schedule.time_zone, out_zone, slots, 1 + reads)

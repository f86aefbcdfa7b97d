"""Wall-clock time in the expert's zone, ISO weeks and the 5-minute units bookings lock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from salamin.core import money
from salamin.core.errors import InvalidArgument

LOCK_UNIT_MINUTES = 5
"""The booking transaction locks time in units of this size (docs/calendar-model.md)."""


# --- small time helpers ----------------------------------------------------------------------


def js_weekday(day: date) -> int:
    """The spec's day numbering: 0 = Sunday ... 6 = Saturday."""
    return (day.weekday() + 1) % 7


def iso_week(day: date) -> str:
    """`YYYY-Www`, the key of the weekly cap (ISO weeks start on Monday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def local_instant(day: date, hhmm: str, tz: ZoneInfo, *, fold: int = 0) -> datetime:
    """The UTC instant at which the wall clock in `tz` reads `day hh:mm`.

    When the wall clock repeats (autumn), `fold` picks the occurrence (0 = first). When it skips
    that reading (spring gap), the result is the first instant after the gap: the transition.
    """
    naive = datetime.combine(day, _hhmm(hhmm))
    utc = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    # In a gap: fold=0 maps past the transition, fold=1 before it. Bisect to the transition.
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    lo, hi = min(lo, hi), max(lo, hi)
    after = hi.astimezone(tz).utcoffset()
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi.replace(second=0, microsecond=0)


def resolve_local(day_text: str, hhmm: str, tz: ZoneInfo, *, path: str = "startTime") -> datetime:
    """A client's `date` + `startTime` (wall clock in `tz`) as a UTC instant.

    A wall-clock time that does not exist that day (DST gap) or that occurs twice (DST fall-back)
    is rejected rather than guessed: the client books such a time by its instant (`startUtc` or
    `slotId` from getAvailableSlots).
    """
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        raise InvalidArgument.at("date", "must be YYYY-MM-DD") from None
    try:
        naive = datetime.combine(day, _hhmm(hhmm))
    except ValueError:
        raise InvalidArgument.at(path, "must be HH:MM (24-hour)") from None
    utc = naive.replace(tzinfo=tz).astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise InvalidArgument.at(
            path,
            f"{hhmm} does not exist on {day_text} in {tz.key} (the clocks skip it); "
            "book by startUtc or slotId",
            reason="nonexistent_local_time",
        )
    if naive.replace(tzinfo=tz, fold=1).astimezone(UTC) != utc:
        raise InvalidArgument.at(
            path,
            f"{hhmm} occurs twice on {day_text} in {tz.key} (the clocks go back); "
            "book by startUtc or slotId",
            reason="ambiguous_local_time",
        )
    return utc


def floor_unit(t: datetime) -> datetime:
    t = t.astimezone(UTC).replace(second=0, microsecond=0)
    return t - timedelta(minutes=t.minute % LOCK_UNIT_MINUTES)


def ceil_unit(t: datetime) -> datetime:
    floor = floor_unit(t)
    return floor if floor == t.astimezone(UTC) else floor + timedelta(minutes=LOCK_UNIT_MINUTES)


def slot_price(base_price_per_hour: int, duration_minutes: int) -> int:
    """basePrice * minutes / 60 in integer minor units, rounded half up (pricing's one rule),
    before discounts: the same base amount `createBookingRequest` quotes."""
    return money.round_half_up(base_price_per_hour * duration_minutes, 60)

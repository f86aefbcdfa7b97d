"""Reading `expertCalendars/{id}/busy/*` into the live intervals and cap counts the slot rules
use (the documents are written by `occupancy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.core import collections as col
from salamin.marketplace.calendar.local_time import (
    LOCK_UNIT_MINUTES,
    ceil_unit,
    floor_unit,
    iso_week,
    local_instant,
)

MAX_SESSION_MINUTES = 480
MAX_BUFFER_MINUTES = 240
BUSY = col.CALENDAR_BUSY

_ENDED_STATUSES = frozenset({"cancelled", "expired", "released"})


# --- busy intervals --------------------------------------------------------------------------


@dataclass(frozen=True)
class BusyInterval:
    session_id: str
    start: datetime
    end: datetime
    blocked_until: datetime
    status: str
    expires_at: datetime | None
    local_date: str
    local_week: str

    def is_live(self, now: datetime) -> bool:
        """Confirmed sessions block; holds block until `expiresAt`; ended ones never do."""
        if self.status in _ENDED_STATUSES:
            return False
        if self.status == "held":
            return self.expires_at is None or self.expires_at > now
        return True

    def conflicts(self, start: datetime, blocked_until: datetime) -> bool:
        """Do the lock units of this interval and of `[start, blocked_until)` intersect?"""
        return floor_unit(start) < ceil_unit(self.blocked_until) and floor_unit(
            self.start
        ) < ceil_unit(blocked_until)

    @classmethod
    def from_document(cls, doc_id: str, data: dict[str, Any], tz: ZoneInfo) -> BusyInterval:
        start = _aware(data["start"])
        end = _aware(data.get("end") or start)
        blocked = _aware(data.get("blockedUntil") or end)
        expires = data.get("expiresAt")
        local = start.astimezone(tz).date()
        return cls(
            session_id=str(data.get("sessionId") or doc_id),
            start=start,
            end=end,
            blocked_until=max(blocked, end),
            status=str(data.get("status") or "confirmed"),
            expires_at=_aware(expires) if expires is not None else None,
            local_date=str(data.get("localDate") or local.isoformat()),
            local_week=str(data.get("localWeek") or iso_week(local)),
        )


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"expected a timestamp, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Busy:
    """The live busy intervals of one expert around a window, and the cap counts they imply."""

    intervals: tuple[BusyInterval, ...] = ()
    day_counts: dict[str, int] = field(default_factory=dict)
    week_counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, intervals: Iterable[BusyInterval], *, now: datetime) -> Busy:
        live = tuple(sorted((i for i in intervals if i.is_live(now)), key=lambda i: i.start))
        days: dict[str, int] = {}
        weeks: dict[str, int] = {}
        for i in live:
            days[i.local_date] = days.get(i.local_date, 0) + 1
            weeks[i.local_week] = weeks.get(i.local_week, 0) + 1
        return cls(intervals=live, day_counts=days, week_counts=weeks)

    def blocking(self, start: datetime, blocked_until: datetime) -> BusyInterval | None:
        for interval in self.intervals:
            if interval.start >= blocked_until + timedelta(minutes=LOCK_UNIT_MINUTES):
                break
            if interval.conflicts(start, blocked_until):
                return interval
        return None


def busy_window(*, tz: ZoneInfo, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """The `start` range of busy docs that can matter for slots on `first_day..last_day`.

    Whole ISO weeks (weekly cap), plus the longest session and buffer before (overlap).
    """
    week_start = first_day - timedelta(days=first_day.weekday())
    week_end = last_day + timedelta(days=7 - last_day.weekday())
    lo = local_instant(week_start, "00:00", tz) - timedelta(
        minutes=MAX_SESSION_MINUTES + MAX_BUFFER_MINUTES
    )
    hi = local_instant(week_end, "00:00", tz)
    return lo, hi


def busy_collection(db: firestore.Client, expert_id: str) -> firestore.CollectionReference:
    return db.collection(col.EXPERT_CALENDARS).document(expert_id).collection(BUSY)


def load_busy(
    db: firestore.Client,
    *,
    expert_id: str,
    time_zone: str,
    first_day: date,
    last_day: date,
    now: datetime,
    transaction: firestore.Transaction | None = None,
    exclude_session_id: str | None = None,
) -> tuple[Busy, int]:
    """Read the busy docs relevant to `first_day..last_day` (expert-local), in one query.

    Works inside a booking transaction (pass `transaction`). Returns the busy view and the number
    of documents read (an empty result still costs one read).
    """
    tz = ZoneInfo(time_zone)
    lo, hi = busy_window(tz=tz, first_day=first_day, last_day=last_day)
    query = (
        busy_collection(db, expert_id)
        .where(filter=firestore.FieldFilter("start", ">=", lo))
        .where(filter=firestore.FieldFilter("start", "<", hi))
    )
    snaps = list(query.stream(transaction=transaction))
    intervals = [
        BusyInterval.from_document(s.id, s.to_dict() or {}, tz)
        for s in snaps
        if s.id != exclude_session_id
    ]
    return Busy.of(intervals, now=now), max(1, len(snaps))

"""Documents under `expertCalendars/{expertId}` that a booking writes (docs/calendar-model.md).

Each has one writer, in `salamin.marketplace.calendar.occupancy`, except the calendar document
itself (`ExpertCalendar`, its metadata), which this model builds for activation and profile
edits. `busy/{sessionId}` is
readable by every signed-in user, so it says when the expert is busy and nothing about who
booked: no user id, no name, no email (tests/rules/test_busy_privacy.py reads it as a stranger).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from salamin.models.base import SalaminModel

OccupancyStatus = Literal["held", "confirmed"]


class ExpertCalendar(SalaminModel):
    """`expertCalendars/{expertId}`."""

    expertId: str
    timeZone: str
    """The expert's `personalInfo.timeZone`: written at activation, rewritten by every profile
    edit that moves it (`marketplace/experts/profile.py`)."""
    lastUpdated: datetime


class BusyInterval(SalaminModel):
    """`busy/{sessionId}`: the interval availability reads."""

    sessionId: str
    sessionType: str
    start: datetime
    end: datetime
    blockedUntil: datetime
    """`end` + the expert's buffer."""
    status: OccupancyStatus
    expiresAt: datetime | None
    """When an unpaid hold stops blocking; None once confirmed."""
    localDate: str
    localWeek: str


class CalendarLock(SalaminModel):
    """`locks/{unit}`: one 5-minute unit of `[start, blockedUntil)` owned by one session."""

    sessionId: str
    status: OccupancyStatus
    expiresAt: datetime | None


class CapToken(SalaminModel):
    """`days/{date}/tokens/{k}` and `weeks/{week}/tokens/{k}`: one of the day's/week's seats."""

    sessionId: str
    createdAt: datetime

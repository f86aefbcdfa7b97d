"""The waitlist's stored documents (issue 10): entries, notices and in-app notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from salamin.models.base import HHMM, DayOfWeek, SalaminModel, StoredModel, TimeZoneName
from salamin.models.expert import SessionType


class WaitWindow(SalaminModel):
    """When the user could take a session: days of week (0 = Sunday) and a time range, in the
    user's own zone. A slot matches when it starts and ends inside the range on one of the days."""

    daysOfWeek: Annotated[list[DayOfWeek], Field(min_length=1, max_length=7)]
    startTime: HHMM
    endTime: HHMM
    timeZone: TimeZoneName

    @model_validator(mode="after")
    def _ordered(self) -> WaitWindow:
        if self.endTime <= self.startTime:
            raise ValueError("endTime must be after startTime")
        return self


class WaitlistEntry(StoredModel):
    """`waitlistEntries/{entryId}`: readable by its user only."""

    entryId: str
    expertId: str
    userId: str
    sessionType: SessionType
    duration: int
    window: WaitWindow
    email: str | None = None
    """Where the waitlist email goes: the user's own sign-in email."""
    status: Literal["active"] = "active"
    joinedAt: datetime
    lastNotifiedAt: datetime | None = None
    notifiedCount: int = 0


class WaitlistUser(StoredModel):
    """`waitlistUsers/{uid}` (server only): the ids of the user's waitlist entries, so the
    per-user cap is checked and taken in the transaction that creates an entry."""

    userId: str
    entryIds: list[str] = []


class OfferedSlot(StoredModel):
    startUtc: str
    endUtc: str
    date: str
    """In the user's window zone."""
    startTime: str
    expertDate: str
    expertStartTime: str
    """What createBookingRequest takes as `date`/`startTime`."""


class WaitlistNotice(StoredModel):
    """`waitlistNotices/{noticeId}`: one per entry per freed time (the create is the once-only
    guard); server-only."""

    entryId: str
    userId: str
    expertId: str
    cause: str
    status: Literal["sent", "rate_limited"]
    slots: list[OfferedSlot]
    createdAt: datetime

"""Stored documents of expert administration (issue 10): status audit and review moderation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from salamin.models.base import StoredModel

ManagedStatus = Literal["active", "inactive", "suspended"]


class StatusLogEntry(StoredModel):
    """`experts/{id}/statusLog/{entryId}`: who changed the status, from what, to what, why."""

    expertId: str
    fromStatus: str
    toStatus: ManagedStatus
    reason: str
    changedBy: str
    byAdmin: bool
    changedAt: datetime


class ReviewModeration(StoredModel):
    """`reviewModeration/{sessionId}`: an admin's decision about one review."""

    sessionId: str
    expertId: str
    hidden: bool
    reason: str
    decidedBy: str
    decidedAt: datetime
    excludedFromRating: bool = False
    """Whether the review's rating is taken out of the expert's `averageRating`/`totalRatings`
    (true exactly while hidden; a decision stored before this field existed left it counted)."""

"""`users/{uid}/notifications/{id}`: in-app notifications, one shape for every feature.

The user may read them and only mark them read (firestore.rules); every writer builds this model,
so the web client's listener sees one document type, discriminated by `type`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from salamin.models.base import StoredModel
from salamin.models.waitlist import OfferedSlot

NotificationType = Literal["waitlist_slot_available", "learning_milestone"]


class UserNotification(StoredModel):
    type: NotificationType
    title: str
    body: str
    createdAt: datetime
    read: bool = False
    # waitlist_slot_available
    expertId: str | None = None
    sessionType: str | None = None
    duration: int | None = None
    slots: list[OfferedSlot] | None = None
    # learning_milestone
    pathId: str | None = None

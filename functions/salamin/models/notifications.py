"""In-app notifications, one shape per audience, discriminated by `type`:
- `users/{uid}/notifications/{id}`: the user may read them and only mark them read
  (firestore.rules);
- `adminNotifications/{id}`: tasks for an admin, who may only set `status`/`handledBy`/
  `handledAt`.
Every writer builds the model, so each listener sees one document type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from salamin.models.base import StoredModel
from salamin.models.expert import DocumentType
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


AdminNotificationType = Literal["expert_document_review", "refund_failed"]


class AdminNotification(StoredModel):
    """`adminNotifications/{id}`: something an admin must look at.

    - `expert_document_review`: an applicant uploaded `fileName` (`documentType`);
    - `refund_failed`: a refund of `amount` `currency` for `sessionId` did not reach the
      candidate (`failureReason` from Stripe's code, `refundId` when Stripe made one); the
      ledger no longer counts it, and the admin settles it by hand (e.g. from the dashboard,
      whose refund is then synced by `charge.refunded`).
    """

    type: AdminNotificationType
    createdAt: datetime
    status: str = "pending"
    handledBy: str | None = None
    handledAt: datetime | None = None
    expertId: str | None = None
    # expert_document_review
    documentType: DocumentType | None = None
    fileName: str | None = None
    # refund_failed
    sessionId: str | None = None
    userId: str | None = None
    amount: int | None = None
    currency: str | None = None
    refundId: str | None = None
    failureReason: str | None = None

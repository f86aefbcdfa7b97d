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


class DisputeNotification(StoredModel):
    """`adminNotifications/{sessionId}-dispute` of type `session_dispute`: a candidate reports
    that the expert did not show, but the expert had marked the session completed (or the
    candidate absent). The one writer is `delivery.open_dispute`; `resolveDispute` closes it
    (`status` handled, `handledBy`, `handledAt`, `outcome`, `note`)."""

    type: Literal["session_dispute"] = "session_dispute"
    expertId: str
    userId: str
    sessionId: str
    claim: Literal["expert_absent"]
    sessionStatus: str
    """The session's status when the dispute was opened (`completed` or `no_show`)."""
    amount: int
    """What a refund to the candidate would return (minor units of `currency`)."""
    currency: str
    createdAt: datetime
    status: Literal["pending", "handled"] = "pending"
    handledBy: str | None = None
    handledAt: datetime | None = None
    outcome: Literal["refund_candidate", "pay_expert"] | None = None
    note: str | None = None


class RefundFailedNotification(StoredModel):
    """`adminNotifications/refund-failed-{sessionId}-{refundId or our key}` of type
    `refund_failed`: a refund of `amount` `currency` for `sessionId` did not reach the candidate
    (Stripe refused it, it failed later, or Stripe could not be reached). The ledger no longer
    counts it; an admin settles it by hand (e.g. refunds from the dashboard, which
    `charge.refunded` then syncs). The one writer is `payments.write_refund_failure`."""

    type: Literal["refund_failed"] = "refund_failed"
    expertId: str
    userId: str
    sessionId: str
    amount: int
    currency: str
    refundId: str | None = None
    """Stripe's refund id (None when Stripe made no refund)."""
    failureReason: str
    """Stripe's code (`expired_or_canceled_card`, ...) or ours (`refund_rejected`,
    `provider_unreachable`)."""
    createdAt: datetime
    status: Literal["pending", "handled"] = "pending"
    handledBy: str | None = None
    handledAt: datetime | None = None

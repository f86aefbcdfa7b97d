"""Spec §1.3: booking requests, expert sessions, feedback and the earnings ledger.

Deviations from the spec, on purpose:
- money (`price`, ledger amounts) is integer minor units of `currency`, never a float;
- `paymentStatus` adds `partially_refunded` (a 50% refund is neither paid nor refunded);
- `feedback.userFeedback` and `feedback.expertFeedback` are each optional: the two parties
  write them independently;
- server bookkeeping (`lockUnits`, `capTokens`, `refund`, `noShow`, ...) lives on the session
  so every release path frees exactly what the booking took;
- the terms in force at booking are snapshotted on the session and never read from the live
  profile again: `price`/`currency`/`priceBreakdown`, `duration`, and the expert's
  `cancellationPolicy` (which, with the platform's fixed tiers, is the refund schedule).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, Field, model_validator

from salamin.models.base import (
    HHMM,
    Currency,
    DocId,
    IsoDate,
    MinorUnits,
    SalaminModel,
    StoredModel,
)
from salamin.models.expert import CancellationPolicy, SessionType

SessionStatus = Literal["pending", "confirmed", "completed", "cancelled", "no_show"]
PaymentStatus = Literal["pending", "paid", "partially_refunded", "refunded", "failed"]
Party = Literal["user", "expert"]
CancelledBy = Literal["user", "expert", "system"]
ReadinessLevel = Literal["not_ready", "needs_work", "almost_ready", "interview_ready"]
RefundStatus = Literal["pending", "processing", "succeeded", "failed"]
LedgerType = Literal["charge", "refund", "refund_failed", "package_expiry"]
LedgerStatus = Literal["pending_payout", "payable", "paid_out", "reversal"]
"""Where a line's money is: held by the platform (`pending_payout`), due to the expert once the
session's dispute window passed (`payable`), transferred (`paid_out`, with the transfer id).
`reversal`: a refund decided after the payout (not clawed back automatically; see ledger.py)."""
PayoutState = Literal["payable", "paid_out", "nothing_due"]
DisputeOutcome = Literal["refund_candidate", "pay_expert"]

Rating = Annotated[int, Field(ge=1, le=5)]
FeedbackItem = Annotated[str, Field(min_length=1, max_length=500)]
FeedbackItems = Annotated[list[FeedbackItem], Field(max_length=20)]
SESSION_ID_PATTERN = r"^[A-Za-z0-9]{10,40}$"
SessionId = Annotated[str, Field(pattern=SESSION_ID_PATTERN)]
ExpertId = DocId


def slot_id(start: datetime, duration: int) -> str:
    """A slot's stable id: its UTC start and length (`20261101T063000Z-60`), so booking it books
    exactly the instant shown, whatever zone the viewer reads it in."""
    return f"{start.astimezone(UTC):%Y%m%dT%H%M%SZ}-{duration}"


def parse_slot_id(value: str) -> tuple[datetime, int]:
    """`slot_id`'s inverse."""
    stamp, _, minutes = value.partition("-")
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC), int(minutes)


SlotId = Annotated[str, Field(pattern=r"^\d{8}T\d{6}Z-\d{1,3}$")]


class BookingTime(SalaminModel):
    """When: a slot's `slotId` or `startUtc` from getAvailableSlots (preferred: it is exactly the
    instant shown, in any viewer's zone, and the only way to book a repeated fall-back hour), or
    the spec's `date` + `startTime`, wall-clock in the expert's zone (`expertDate` /
    `expertStartTime`); a local time DST skips or repeats is `invalid-argument` with reason
    `nonexistent_local_time` / `ambiguous_local_time`."""

    slotId: SlotId | None = None
    startUtc: AwareDatetime | None = None
    date: IsoDate | None = None
    startTime: HHMM | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        local = self.date is not None or self.startTime is not None
        if (self.slotId is not None) + (self.startUtc is not None) + local != 1:
            raise ValueError("give exactly one of slotId, startUtc, or date with startTime")
        if local and (self.date is None or self.startTime is None):
            raise ValueError("date and startTime go together")
        return self

    def start_instant(self) -> datetime | None:
        """The UTC start when given as an instant (None for the wall-clock form)."""
        if self.slotId is not None:
            return parse_slot_id(self.slotId)[0]
        return self.startUtc.astimezone(UTC) if self.startUtc else None


class BookingRequest(BookingTime):
    """What the client sends to `createBookingRequest` (spec `BookingRequest`). `userId` may be
    omitted; when present it must be the caller."""

    userId: DocId | None = None
    expertId: ExpertId
    sessionType: SessionType
    duration: Annotated[int, Field(ge=15, le=480)]

    @model_validator(mode="after")
    def _slot_length(self) -> Self:
        if self.slotId is not None and parse_slot_id(self.slotId)[1] != self.duration:
            raise ValueError("duration does not match the slot's length")
        return self

    specialRequests: Annotated[str, Field(max_length=2000)] | None = None
    packagePurchaseId: DocId | None = None
    """Book with an unused credit of this package purchase: no payment (`packages.py`)."""
    preparationMaterials: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=10)]
        | None
    ) = None


class PriceQuote(StoredModel):
    """How a session price was made; every figure in minor units of `currency`."""

    currency: Currency
    hourlyRate: MinorUnits
    duration: int
    baseAmount: MinorUnits
    discountKind: Literal["none", "first_time", "bulk", "package"] = "none"
    discountPercentage: int = 0
    discountAmount: MinorUnits = 0
    amount: MinorUnits
    platformFee: MinorUnits
    expertNet: MinorUnits


class UserFeedbackCategories(SalaminModel):
    preparation: Rating
    communication: Rating
    expertise: Rating
    helpfulness: Rating


class UserFeedback(SalaminModel):
    rating: Rating
    feedback: Annotated[str, Field(max_length=5000)] = ""
    categories: UserFeedbackCategories
    wouldRecommend: bool


class ExpertFeedback(SalaminModel):
    strengths: FeedbackItems = []
    areasForImprovement: FeedbackItems = []
    recommendations: FeedbackItems = []
    overallAssessment: Annotated[str, Field(min_length=1, max_length=5000)]
    readinessLevel: ReadinessLevel


class StoredUserFeedback(UserFeedback):
    submittedAt: datetime


class StoredExpertFeedback(ExpertFeedback):
    submittedAt: datetime


class SessionFeedback(StoredModel):
    userFeedback: StoredUserFeedback | None = None
    expertFeedback: StoredExpertFeedback | None = None


class RefundRecord(StoredModel):
    """A refund we decided on, tracked until the money has moved:
    `pending` (decided, not yet accepted by Stripe: retried with the same idempotency key, at
    most `payments.MAX_REFUND_ATTEMPTS` times) -> `processing` (Stripe accepted it and reports
    it pending) -> `succeeded`, or `failed` (Stripe refused or failed it, or never answered:
    the ledger line is reversed and an admin notification opened)."""

    amount: MinorUnits
    reason: str
    status: RefundStatus = "pending"
    idempotencyKey: str
    refundId: str | None = None
    attempts: int = 0
    """Tries that found Stripe unreachable."""
    failureReason: str | None = None


class PayoutRecord(StoredModel):
    """The expert's payout for this session, decided once its dispute window passed.

    `payable` (amount fixed, ledger lines moved) -> `paid_out` (the Transfer's id), or
    `nothing_due` when refunds left the expert nothing."""

    status: PayoutState
    amount: MinorUnits
    currency: str
    idempotencyKey: str
    transferId: str | None = None
    payableAt: datetime
    paidOutAt: datetime | None = None


class DisputeRecord(StoredModel):
    """The candidate says the expert did not show, but the expert had marked the session
    completed (or the candidate absent): an admin decides (`resolveDispute`)."""

    status: Literal["open", "resolved"]
    claim: Literal["expert_absent"] = "expert_absent"
    openedAt: datetime
    notificationId: str
    outcome: DisputeOutcome | None = None
    resolvedAt: datetime | None = None


class NoShowRecord(StoredModel):
    party: Party
    """Who did not show up."""
    reportedBy: str
    reportedAt: datetime


class ExpertSession(StoredModel):
    """`expertSessions/{sessionId}`: the spec's `ExpertSession` plus server bookkeeping."""

    sessionId: str
    userId: str
    expertId: str
    sessionType: str
    scheduledDate: datetime
    """Start instant (UTC)."""
    endDate: datetime
    blockedUntil: datetime
    """`endDate` + the expert's buffer: what later bookings must not overlap."""
    duration: int
    timeZone: str
    """The expert's IANA zone: `localDate`/`localStartTime` are wall-clock there."""
    localDate: str
    localWeek: str
    localStartTime: str
    status: SessionStatus
    price: MinorUnits
    currency: str
    priceBreakdown: PriceQuote
    paymentStatus: PaymentStatus
    paymentIntentId: str | None = None
    holdExpiresAt: datetime | None = None
    specialRequests: str | None = None
    preparationMaterials: list[str] | None = None
    sessionNotes: str | None = None
    feedback: SessionFeedback | None = None
    recordingUrl: str | None = None
    meetingLink: str | None = None
    createdAt: datetime
    confirmedAt: datetime | None = None
    completedAt: datetime | None = None
    cancelledAt: datetime | None = None
    cancelledBy: CancelledBy | None = None
    cancellationReason: str | None = None
    refundPercentage: int | None = None
    lastPaymentError: str | None = None
    expiredBy: str | None = None
    rescheduledAt: datetime | None = None
    refundedAmount: MinorUnits = 0
    """Sum of refunds decided so far (the ledger's refund entries add up to this)."""
    refund: RefundRecord | None = None
    failedRefundIds: list[str] = []
    """Refunds (Stripe ids, or our idempotency key when Stripe made none) that failed and whose
    ledger line was reversed: each is reversed once, and later refund lines get fresh ids."""
    noShow: NoShowRecord | None = None
    absenceReport: NoShowRecord | None = None
    """The candidate's "the expert did not show" made before the scheduled end, when the expert
    cannot yet answer by marking the session completed: nothing is refunded then. It is decided
    at the end + `delivery.ABSENCE_DECISION_GRACE` (full refund) unless the expert answers first
    (completed, or the candidate absent: a dispute)."""
    completedBy: Literal["expert", "system"] | None = None
    """`system`: nobody reported a problem before the dispute window closed."""
    dispute: DisputeRecord | None = None
    payout: PayoutRecord | None = None
    rescheduleCount: int = 0
    packagePurchaseId: str | None = None
    """Paid with a credit of this package purchase (then `paymentIntentId` is None)."""
    packageCreditIndex: int | None = None
    rescheduledBy: Party | None = None
    """Who made the last move. After the expert's, the candidate may cancel for a full refund
    until the (new) start, whatever the policy says."""
    cancellationPolicy: CancellationPolicy = CancellationPolicy()
    """The expert's `availability.cancellationPolicy` as it was at booking (a session stored
    before the snapshot existed reads the defaults, which are the spec's tiers)."""
    inviteSequence: int = 0
    """RFC 5545 SEQUENCE of the calendar invite: bumped on every reschedule/cancel."""
    lockUnits: list[str] = Field(default=[], exclude=True)
    capTokens: list[str] = Field(default=[], exclude=True)
    """Lock units and cap-token document paths this session holds: in memory only, stored in
    the server-only `expertSessions/{id}/private/claims` (`occupancy.read_claims`)."""


def cancellation_update(*, by: CancelledBy, reason: str, now: datetime) -> dict[str, Any]:
    """The fields every path that cancels a session writes: who, why, when, and no calendar
    claims left (the caller frees them in the same transaction)."""
    return {
        "status": "cancelled",
        "cancelledBy": by,
        "cancellationReason": reason,
        "cancelledAt": now,
    }


class ExpertTransaction(StoredModel):
    """`expertTransactions/{id}`: one ledger line. `grossAmount == platformFee + netAmount`.

    Charges are positive; refunds are negative lines that return the fee in proportion; a
    `refund_failed` line is the exact opposite of a refund line whose money never moved. All
    the lines of a session move together `pending_payout` -> `payable` -> `paid_out`, so the
    sum of a session's net amounts is exactly what its Transfer sends.
    """

    transactionId: str
    type: LedgerType
    expertId: str
    userId: str
    sessionId: str | None
    """None for a package's forfeited credits (`package_expiry`)."""
    packagePurchaseId: str | None = None
    currency: str
    grossAmount: int
    platformFee: int
    netAmount: int
    status: LedgerStatus
    paymentIntentId: str | None = None
    createdAt: datetime
    transferId: str | None = None
    """Set when the line's money went out in that Transfer (`paid_out`)."""


class BookingResult(SalaminModel):
    """A held booking to pay before `holdExpiresAt`."""

    sessionId: str
    clientSecret: str
    paymentIntentId: str
    holdExpiresAt: datetime
    amount: MinorUnits
    currency: str
    priceBreakdown: PriceQuote
    status: Literal["pending"] = "pending"
    packagePurchaseId: None = None


class CreditBookingResult(SalaminModel):
    """A booking paid with a package credit: confirmed at once, no PaymentIntent, no hold."""

    sessionId: str
    clientSecret: None = None
    paymentIntentId: None = None
    holdExpiresAt: None = None
    amount: MinorUnits
    currency: str
    priceBreakdown: PriceQuote
    status: Literal["confirmed"] = "confirmed"
    packagePurchaseId: str


__all__ = [
    "BookingRequest",
    "BookingResult",
    "CreditBookingResult",
    "ExpertFeedback",
    "ExpertSession",
    "ExpertTransaction",
    "PriceQuote",
    "SessionFeedback",
    "UserFeedback",
    "cancellation_update",
]

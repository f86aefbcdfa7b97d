"""The web client's contract: every callable's request and response model, and the model of every
document a client may read (as firestore.rules allow).

`scripts/gen_client_types.py` turns this registry into the TypeScript types under `clients/web/`;
`tests/api/test_contract.py` checks that main.py declares exactly these callables, and the
end-to-end helpers validate every callable answer against its response model, so the generated
types cannot silently drift from what the functions return.

Response models are strict (`extra="forbid"`): an undeclared response field fails the tests.
Names follow the spec's interfaces where it has one (`AvailableSlot`, `ExpertSearchResult`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from salamin.analysis.jobs import AnalysisJob, JobStatus
from salamin.api import analysis as analysis_api
from salamin.api import benchmarks as benchmarks_api
from salamin.api import booking as booking_api
from salamin.api import discovery as discovery_api
from salamin.api import experts as experts_api
from salamin.api import learning as learning_api
from salamin.api import onboarding as onboarding_api
from salamin.api import packages as packages_api
from salamin.api import uploads as uploads_api
from salamin.marketplace.calendar.bookability import NotBookableReason
from salamin.marketplace.experts.profile import Section
from salamin.models.analysis import (
    AnalysisInsights,
    ConfidenceScores,
    PerformanceMetrics,
    Recommendation,
)
from salamin.models.benchmarks import IndustryBenchmark, PersonalizedBenchmark
from salamin.models.calendar import BusyInterval, ExpertCalendar
from salamin.models.expert import (
    DocumentStatus,
    DocumentType,
    ExpertAvailability,
    ExpertPerformance,
    ExpertPreferences,
    ExpertPricing,
    ExpertProfessionalInfo,
    ExpertProfile,
    ExpertStatus,
    ExpertVerification,
    InterviewSpecialty,
    PublicExpert,
    PublicPersonalInfo,
    SessionType,
    VerificationDocument,
)
from salamin.models.expert_admin import ReviewModeration, StatusLogEntry
from salamin.models.learning import ActivityRecommendation, LearningPath
from salamin.models.notifications import UserNotification
from salamin.models.package import PackagePurchase
from salamin.models.session import (
    BookingRequest,
    ExpertSession,
    ExpertTransaction,
    PaymentStatus,
    PriceQuote,
    SessionFeedback,
    SessionStatus,
)
from salamin.models.waitlist import WaitlistEntry


class WireModel(BaseModel):
    """A callable answer: exactly these fields (validated in the end-to-end tests)."""

    model_config = ConfigDict(extra="forbid")


# --- onboarding ------------------------------------------------------------------------------


class SubmitExpertApplicationResponse(WireModel):
    expertId: str
    status: Literal["pending"]


class UploadVerificationDocumentResponse(WireModel):
    path: str
    gsUri: str
    document: VerificationDocument


class VerifyExpertDocumentResponse(WireModel):
    documentStatus: DocumentStatus
    activated: bool
    expertStatus: ExpertStatus
    verification: ExpertVerification


class PendingApplication(WireModel):
    expertId: str
    name: str
    email: str
    currentRole: str
    currentCompany: str
    joinedAt: datetime
    verification: ExpertVerification


class ListPendingApplicationsResponse(WireModel):
    applications: list[PendingApplication]
    nextCursor: str | None


# --- discovery -------------------------------------------------------------------------------


class AvailableSlot(WireModel):
    """Spec `AvailableSlot`: `date`/`startTime`/`endTime` in `timeZone` (the requester's), plus
    the UTC instants and the expert's wall-clock time."""

    date: str
    startTime: str
    endTime: str
    sessionTypes: list[SessionType]
    price: int
    """Minor units of `currency`, for the first of `sessionTypes`."""
    slotId: str
    """Stable id of this slot (UTC start and length): book it by this, or by `startUtc`."""
    prices: dict[str, int]
    currency: str
    duration: int
    startUtc: datetime
    endUtc: datetime
    timeZone: str
    expertDate: str
    expertStartTime: str
    expertEndTime: str


class PublicExpertProfile(WireModel):
    """`experts/{id}` as search answers it: no contact data, no search fields."""

    expertId: str
    personalInfo: PublicPersonalInfo
    professionalInfo: ExpertProfessionalInfo
    interviewSpecialties: list[InterviewSpecialty]
    availability: ExpertAvailability
    pricing: ExpertPricing
    verification: ExpertVerification
    performance: ExpertPerformance
    preferences: ExpertPreferences
    status: ExpertStatus
    joinedAt: datetime
    lastActiveAt: datetime
    payoutsEnabled: bool


class ExpertSearchResult(WireModel):
    expert: PublicExpertProfile
    relevanceScore: float
    recommendationReason: str | None = None
    availableSlots: list[AvailableSlot]
    bookable: bool
    """Can take a booking now (active, not on vacation, payouts set up). Default searches list
    only bookable experts; `includeUnbookable` adds the others, with no slots."""
    notBookableReason: NotBookableReason | None = None


class SearchExpertsResponse(WireModel):
    results: list[ExpertSearchResult]
    nextCursor: str | None
    sortBy: Literal["relevance", "price", "rating", "experience"]


class GetAvailableSlotsResponse(WireModel):
    expertId: str
    expertTimeZone: str
    timeZone: str
    slots: list[AvailableSlot]
    bookable: bool
    """False when the expert cannot be booked at all: then `slots` is empty, and
    `notBookableReason` (machine-readable) and `unavailableReason` (for people) say why."""
    notBookableReason: NotBookableReason | None = None
    unavailableReason: str | None = None


# --- booking ---------------------------------------------------------------------------------


class CreateBookingRequestResponse(WireModel):
    """`status` pending: pay with `clientSecret` before `holdExpiresAt`. `confirmed`: booked
    with a package credit (`packagePurchaseId`); the three payment fields are absent."""

    sessionId: str
    clientSecret: str | None = None
    paymentIntentId: str | None = None
    holdExpiresAt: datetime | None = None
    amount: int
    currency: str
    priceBreakdown: PriceQuote
    status: Literal["pending", "confirmed"]
    packagePurchaseId: str | None = None


class ConfirmPaymentResponse(WireModel):
    sessionId: str
    result: Literal["confirmed", "already", "refunded", "orphan_refunded", "ignored", "duplicate"]
    status: SessionStatus | None
    paymentStatus: PaymentStatus | None


class CancelSessionResponse(WireModel):
    sessionId: str
    status: SessionStatus
    paymentStatus: PaymentStatus
    refundPercentage: int
    refundAmount: int
    currency: str
    refundStatus: Literal["none", "pending", "succeeded"]
    creditReturned: bool


class SessionView(ExpertSession):
    """An `ExpertSession` as callables return it (no lock/cap bookkeeping)."""

    model_config = ConfigDict(extra="forbid")

    lockUnits: SkipJsonSchema[list[str]] = []
    capTokens: SkipJsonSchema[list[str]] = []


class SubmitSessionFeedbackResponse(WireModel):
    sessionId: str
    feedback: SessionFeedback | None


class PayoutAccountResponse(WireModel):
    expertId: str
    stripeAccountId: str
    chargesEnabled: bool
    payoutsEnabled: bool
    detailsSubmitted: bool


class PayoutOnboardingLinkResponse(WireModel):
    url: str


# --- analysis --------------------------------------------------------------------------------


class AnalyzeVideoSessionResponse(WireModel):
    sessionId: str
    status: JobStatus


class CreateRecordingUploadResponse(WireModel):
    path: str
    """`recordings/{uid}/{fileName}`: pass it to `analyzeVideoSession` once uploaded."""
    uploadUrl: str
    """A resumable upload session URL: `PUT` the bytes there (no auth header needed)."""
    method: Literal["PUT"]
    contentType: str
    """Send this `Content-Type` with the `PUT`."""
    size: int
    expiresAt: datetime


# --- experts manage themselves; earnings, reviews, waitlist (issue 10) -------------------------


class StrandedSession(WireModel):
    """A confirmed future session the new hours or prices no longer cover (kept, flagged)."""

    sessionId: str
    scheduledDate: datetime
    localDate: str
    localStartTime: str
    sessionType: str
    reasons: list[str]


class UpdateExpertProfileResponse(WireModel):
    expertId: str
    updated: list[Section]
    strandedSessions: list[StrandedSession]


class FutureSession(WireModel):
    """A held or confirmed session that has not started: what an admin must decide about."""

    sessionId: str
    status: SessionStatus
    scheduledDate: datetime
    sessionType: SessionType
    duration: int
    userId: str
    price: int
    currency: str


class SetExpertStatusResponse(WireModel):
    expertId: str
    previousStatus: ExpertStatus
    status: ExpertStatus
    changed: bool
    futureSessions: list[FutureSession]


class EarningsPeriodView(WireModel):
    """The period as instants: `from` inclusive, `to` exclusive."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: datetime = Field(alias="from")
    to: datetime


class CurrencyTotals(WireModel):
    """Per-currency sums of the period's ledger lines (minor units of `currency`)."""

    currency: str
    gross: int
    fees: int
    net: int
    refunded: int
    pending: int
    payable: int
    paidOut: int
    lines: int
    byStatus: dict[str, int]


class EarningsEntry(WireModel):
    """One ledger line (`expertTransactions`), newest first."""

    transactionId: str
    type: str
    sessionId: str | None = None
    currency: str
    grossAmount: int
    platformFee: int
    netAmount: int
    status: str
    createdAt: datetime
    transferId: str | None = None


class GetExpertEarningsResponse(WireModel):
    expertId: str
    period: EarningsPeriodView
    totals: list[CurrencyTotals]
    entries: list[EarningsEntry]
    nextCursor: str | None


class PublicReview(WireModel):
    """The whole public shape of a review (`marketplace.experts.reviews.public_review`)."""

    reviewId: str
    rating: int
    text: str
    date: str
    """UTC date the review was submitted (`YYYY-MM-DD`)."""
    reviewer: str


class ListExpertReviewsResponse(WireModel):
    reviews: list[PublicReview]
    nextCursor: str | None


# --- package deals (issue 10) ------------------------------------------------------------------


class PurchasePackageResponse(WireModel):
    purchaseId: str
    paymentIntentId: str
    clientSecret: str
    amount: int
    currency: str
    sessionCount: int
    validityDays: int
    sessionType: SessionType
    duration: int


class RefundPackageCreditsResponse(WireModel):
    purchaseId: str
    refundAmount: int
    currency: str
    creditsRefunded: int
    refundId: str


# --- learning paths (spec §3.1) ----------------------------------------------------------------


class TrackProgressResponse(WireModel):
    pathId: str
    eventId: str
    duplicate: bool
    """True when this progress event had been sent before (its first result is returned)."""
    completed: bool | None = None
    adaptations: list[str] = []


class AdaptPathResponse(WireModel):
    pathId: str
    eventId: str
    duplicate: bool
    adaptations: list[str] = []


# --- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Callable:
    request: type[BaseModel]
    response: type[BaseModel]


def _c(request: type[BaseModel], response: type[BaseModel]) -> Callable:
    return Callable(request=request, response=response)


CALLABLES: dict[str, Callable] = {
    "submitExpertApplication": _c(
        onboarding_api.SubmitExpertApplicationRequest, SubmitExpertApplicationResponse
    ),
    "uploadVerificationDocument": _c(
        onboarding_api.UploadVerificationDocumentRequest, UploadVerificationDocumentResponse
    ),
    "verifyExpertDocument": _c(
        onboarding_api.VerifyExpertDocumentRequest, VerifyExpertDocumentResponse
    ),
    "listPendingApplications": _c(
        onboarding_api.ListPendingApplicationsRequest, ListPendingApplicationsResponse
    ),
    "searchExperts": _c(discovery_api.SearchExpertsRequest, SearchExpertsResponse),
    "getAvailableSlots": _c(discovery_api.GetAvailableSlotsRequest, GetAvailableSlotsResponse),
    "createBookingRequest": _c(BookingRequest, CreateBookingRequestResponse),
    "confirmPayment": _c(booking_api.ConfirmPaymentRequest, ConfirmPaymentResponse),
    "cancelSession": _c(booking_api.CancelSessionRequest, CancelSessionResponse),
    "rescheduleSession": _c(booking_api.RescheduleSessionRequest, SessionView),
    "markSessionCompleted": _c(booking_api.MarkSessionCompletedRequest, SessionView),
    "reportNoShow": _c(booking_api.ReportNoShowRequest, SessionView),
    "resolveDispute": _c(booking_api.ResolveDisputeRequest, SessionView),
    "submitSessionFeedback": _c(
        booking_api.SubmitSessionFeedbackRequest, SubmitSessionFeedbackResponse
    ),
    "createPayoutAccount": _c(booking_api.CreatePayoutAccountRequest, PayoutAccountResponse),
    "createPayoutOnboardingLink": _c(
        booking_api.CreatePayoutOnboardingLinkRequest, PayoutOnboardingLinkResponse
    ),
    "analyzeVideoSession": _c(analysis_api.AnalyzeVideoSessionRequest, AnalyzeVideoSessionResponse),
    "generatePersonalizedBenchmark": _c(
        benchmarks_api.GeneratePersonalizedBenchmarkRequest, PersonalizedBenchmark
    ),
    "createRecordingUpload": _c(
        uploads_api.CreateRecordingUploadRequest, CreateRecordingUploadResponse
    ),
    "updateExpertProfile": _c(experts_api.UpdateExpertProfileRequest, UpdateExpertProfileResponse),
    "setExpertStatus": _c(experts_api.SetExpertStatusRequest, SetExpertStatusResponse),
    "getExpertEarnings": _c(experts_api.GetExpertEarningsRequest, GetExpertEarningsResponse),
    "listExpertReviews": _c(experts_api.ListExpertReviewsRequest, ListExpertReviewsResponse),
    "setReviewHidden": _c(experts_api.SetReviewHiddenRequest, experts_api.SetReviewHiddenResponse),
    "joinWaitlist": _c(experts_api.JoinWaitlistRequest, experts_api.JoinWaitlistResponse),
    "leaveWaitlist": _c(experts_api.LeaveWaitlistRequest, experts_api.LeaveWaitlistResponse),
    "purchasePackage": _c(packages_api.PurchasePackageRequest, PurchasePackageResponse),
    "refundPackageCredits": _c(
        packages_api.RefundPackageCreditsRequest, RefundPackageCreditsResponse
    ),
    "generatePersonalizedPath": _c(learning_api.GeneratePersonalizedPathRequest, LearningPath),
    "trackProgress": _c(learning_api.TrackProgressRequest, TrackProgressResponse),
    "adaptPath": _c(learning_api.AdaptPathRequest, AdaptPathResponse),
    "recommendNextActivity": _c(learning_api.PathRequest, ActivityRecommendation),
}


# --- documents a client may read (firestore.rules) -------------------------------------------


class ExpertPrivateContact(BaseModel):
    """`experts/{expertId}/private/contact`: the expert and admins only."""

    model_config = ConfigDict(extra="forbid")

    email: str
    phone: str | None = None
    documentsSubmitted: list[VerificationDocument] = []


class AdminNotification(BaseModel):
    """`adminNotifications/{id}`: tasks for admins, by `type`: `expert_document_review`
    (onboarding: `documentType`, `fileName`), `session_dispute` (`DisputeNotification`:
    `sessionId`, `userId`, `claim`, ..., closed by `resolveDispute`) or `refund_failed`
    (`RefundFailedNotification`: `sessionId`, `amount`, `currency`, `refundId`,
    `failureReason`); admins may set `status`/`handledBy`/`handledAt`."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["expert_document_review", "session_dispute", "refund_failed"]
    expertId: str
    documentType: DocumentType | None = None
    fileName: str | None = None
    userId: str | None = None
    sessionId: str | None = None
    claim: Literal["expert_absent"] | None = None
    sessionStatus: str | None = None
    amount: int | None = None
    currency: str | None = None
    outcome: Literal["refund_candidate", "pay_expert"] | None = None
    note: str | None = None
    refundId: str | None = None
    failureReason: str | None = None
    createdAt: datetime
    status: str
    handledBy: str | None = None
    handledAt: datetime | None = None


class AdvancedAnalysisDocument(AnalysisJob):
    """`advancedAnalyses/{sessionId}`: the job, and once `complete` the `MultiModalAnalysis`."""

    analysisType: Literal["video", "audio", "combined"] | None = None
    metrics: PerformanceMetrics | None = None
    insights: AnalysisInsights | None = None
    recommendations: list[Recommendation] | None = None
    confidenceScores: ConfidenceScores | None = None
    createdAt: datetime | None = None
    sources: dict[str, Any] | None = None
    measurement: dict[str, Any] | None = None
    transcript: dict[str, Any] | None = None
    evidencePath: str | None = None
    evidenceCounts: dict[str, Any] | None = None


class UserProfileData(BaseModel):
    """`users/{uid}/profile/data`: written by the user; search reads `targetCompanies`."""

    model_config = ConfigDict(extra="allow")

    targetCompanies: list[str] = Field(default_factory=list)


class UserStatistics(BaseModel):
    """`users/{uid}/statistics/current`."""

    model_config = ConfigDict(extra="forbid")

    totalAdvancedAnalyses: int = 0
    lastAdvancedAnalysis: datetime | None = None


class CompetencyState(BaseModel):
    """A Beta(alpha, beta) mastery estimate of one competency (`learning.skills.update`)."""

    model_config = ConfigDict(extra="forbid")

    alpha: float
    beta: float
    evidence: float


class UserSkills(BaseModel):
    """`users/{uid}/learning/skills`: mastery per competency, from evidence, by functions."""

    model_config = ConfigDict(extra="forbid")

    competencies: dict[str, CompetencyState] = {}
    appliedEvidence: list[str] = []


@dataclass(frozen=True)
class Document:
    path: str
    model: type[BaseModel]
    name: str
    """TypeScript name (the spec's interface where there is one)."""


DOCUMENTS: list[Document] = [
    Document("expertApplications/{expertId}", ExpertProfile, "ExpertProfile"),
    Document("experts/{expertId}", PublicExpert, "ExpertDocument"),
    Document("experts/{expertId}/private/contact", ExpertPrivateContact, "ExpertPrivateContact"),
    Document("expertCalendars/{expertId}", ExpertCalendar, "ExpertCalendar"),
    Document("expertCalendars/{expertId}/busy/{sessionId}", BusyInterval, "BusyInterval"),
    Document("expertSessions/{sessionId}", ExpertSession, "ExpertSession"),
    Document("expertTransactions/{id}", ExpertTransaction, "ExpertTransaction"),
    Document("adminNotifications/{id}", AdminNotification, "AdminNotification"),
    Document("advancedAnalyses/{sessionId}", AdvancedAnalysisDocument, "AdvancedAnalysis"),
    Document("users/{uid}/profile/data", UserProfileData, "UserProfileData"),
    Document("users/{uid}/statistics/current", UserStatistics, "UserStatistics"),
    Document("industryBenchmarks/{industry}", IndustryBenchmark, "IndustryBenchmark"),
    Document("users/{uid}/benchmarks/{id}", PersonalizedBenchmark, "PersonalizedBenchmark"),
    Document("experts/{expertId}/statusLog/{entryId}", StatusLogEntry, "StatusLogEntry"),
    Document("reviewModeration/{sessionId}", ReviewModeration, "ReviewModeration"),
    Document("waitlistEntries/{entryId}", WaitlistEntry, "WaitlistEntry"),
    Document("packagePurchases/{purchaseId}", PackagePurchase, "PackagePurchase"),
    Document("learningPaths/{pathId}", LearningPath, "LearningPath"),
    Document("users/{uid}/notifications/{id}", UserNotification, "UserNotification"),
    Document("users/{uid}/learning/skills", UserSkills, "UserSkills"),
]

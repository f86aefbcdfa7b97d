"""Spec §1.1: the expert profile, as stored in `expertApplications` and `experts`.

Money deviates from the spec on purpose: `basePrice` is integer minor units per hour of
`currency` (12000 = USD 120.00/h), never a float.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from salamin.models.base import (
    HHMM,
    ChargeCurrency,
    DayOfWeek,
    Email,
    IsoDate,
    MinorUnits,
    NonEmptyStr,
    Percentage,
    SalaminModel,
    ShortText,
    StoredModel,
    TimeZoneName,
    YearMonth,
)

SpecialtyType = Literal[
    "behavioral", "technical", "case_study", "system_design", "product", "leadership"
]
SessionType = Literal["mock_interview", "resume_review", "career_coaching", "salary_negotiation"]
DocumentType = Literal["identity", "employment", "education", "certification"]
DocumentStatus = Literal["pending", "approved", "rejected"]
ExpertStatus = Literal["pending", "verified", "active", "inactive", "suspended"]
PerformanceRating = Literal["excellent", "good", "needs_improvement", "poor"]

SPECIALTY_TYPES: tuple[str, ...] = SpecialtyType.__args__  # type: ignore[attr-defined]
SESSION_TYPES: tuple[str, ...] = SessionType.__args__  # type: ignore[attr-defined]

ShortList = Annotated[list[NonEmptyStr], Field(max_length=50)]


class ExpertPersonalInfo(SalaminModel):
    firstName: NonEmptyStr
    lastName: NonEmptyStr
    email: Email
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()\-]{6,20}$")]
    profilePhoto: str | None = None
    bio: ShortText = ""
    personalWebsite: str | None = None
    linkedinUrl: str | None = None
    timeZone: TimeZoneName
    languages: Annotated[list[NonEmptyStr], Field(min_length=1, max_length=20)]


class PreviousRole(SalaminModel):
    title: NonEmptyStr
    company: NonEmptyStr
    startDate: YearMonth
    endDate: YearMonth
    description: ShortText = ""
    achievements: ShortList = []


class EducationInfo(SalaminModel):
    institution: NonEmptyStr
    degree: NonEmptyStr
    field: NonEmptyStr
    graduationYear: Annotated[int, Field(ge=1940, le=2100)]
    gpa: Annotated[float, Field(ge=0, le=10)] | None = None
    honors: ShortList | None = None


class Certification(SalaminModel):
    name: NonEmptyStr
    issuer: NonEmptyStr | None = None
    year: Annotated[int, Field(ge=1940, le=2100)] | None = None
    url: str | None = None


class ExpertProfessionalInfo(SalaminModel):
    currentRole: NonEmptyStr
    currentCompany: str = ""
    yearsOfExperience: Annotated[int, Field(ge=0, le=70)]
    previousRoles: Annotated[list[PreviousRole], Field(max_length=30)] = []
    education: Annotated[list[EducationInfo], Field(max_length=20)] = []
    certifications: Annotated[list[Certification], Field(max_length=50)] = []
    industries: ShortList = []
    functionalAreas: ShortList = []
    companyTypes: ShortList = []
    hiringSeniorityLevels: list[Literal["entry", "mid", "senior", "executive"]] = []


class InterviewSpecialty(SalaminModel):
    type: SpecialtyType
    subSpecialties: ShortList = []
    experienceLevel: Annotated[int, Field(ge=0, le=70)]
    proficiencyRating: Annotated[int, Field(ge=1, le=10)]
    sessionTypes: Annotated[list[SessionType], Field(min_length=1)]


class AvailabilitySlot(SalaminModel):
    """A weekly window in the expert's own time zone."""

    dayOfWeek: DayOfWeek
    startTime: HHMM
    endTime: HHMM
    sessionTypes: Annotated[list[SessionType], Field(min_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilitySlot:
        if self.endTime <= self.startTime:
            raise ValueError("endTime must be after startTime")
        return self


class CancellationPolicy(SalaminModel):
    allowCancellation: bool = True
    minimumNotice: Annotated[int, Field(ge=0, le=720)] = 24
    refundPolicy: Literal["full", "partial", "none"] = "partial"


class ExpertAvailability(SalaminModel):
    timeSlots: Annotated[list[AvailabilitySlot], Field(max_length=100)] = []
    bufferTime: Annotated[int, Field(ge=0, le=240)] = 0
    maxSessionsPerDay: Annotated[int, Field(ge=1, le=48)] = 8
    maxSessionsPerWeek: Annotated[int, Field(ge=1, le=200)] = 40
    advanceBookingRequired: Annotated[int, Field(ge=0, le=24 * 60)] = 0
    cancellationPolicy: CancellationPolicy = CancellationPolicy()
    workingDays: Annotated[list[DayOfWeek], Field(max_length=7)] = []
    vacationMode: bool = False
    blackoutDates: Annotated[list[IsoDate], Field(max_length=366)] = []


class SessionTypePricing(SalaminModel):
    basePrice: MinorUnits
    """Per hour, in minor units of `currency`."""
    currency: ChargeCurrency = "USD"
    minimumDuration: Annotated[int, Field(ge=15, le=480)] = 30
    allowedDurations: Annotated[list[Annotated[int, Field(ge=15, le=480)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _durations(self) -> SessionTypePricing:
        if any(d < self.minimumDuration for d in self.allowedDurations):
            raise ValueError("allowedDurations must not be below minimumDuration")
        if any(d % 15 for d in self.allowedDurations):
            raise ValueError("allowedDurations must be multiples of 15 minutes")
        return self


class PackageDeal(SalaminModel):
    name: NonEmptyStr
    description: ShortText = ""
    sessionCount: Annotated[int, Field(ge=1, le=100)]
    totalPrice: MinorUnits
    validityDays: Annotated[int, Field(ge=1, le=730)]
    discountPercentage: Percentage


DiscountPercentage = Annotated[int, Field(ge=0, le=99)]
"""A session discount is refused at 100%: every booking is paid through one PaymentIntent, and
a free session would have none (a price under Stripe's minimum is refused at quote time)."""


class BulkDiscount(SalaminModel):
    minimumSessions: Annotated[int, Field(ge=2, le=100)]
    discountPercentage: DiscountPercentage


class FirstTimeDiscount(SalaminModel):
    percentage: DiscountPercentage
    maxSessions: Annotated[int, Field(ge=1, le=20)]


class ExpertPricing(SalaminModel):
    sessionTypes: dict[SessionType, SessionTypePricing]
    packageDeals: list[PackageDeal] | None = None
    firstTimeDiscount: FirstTimeDiscount | None = None
    bulkDiscounts: list[BulkDiscount] | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> ExpertPricing:
        if not self.sessionTypes:
            raise ValueError("at least one session type must be priced")
        if len({p.currency for p in self.sessionTypes.values()}) > 1:
            raise ValueError("all session types must use one currency")
        return self


class VerificationDocument(StoredModel):
    type: DocumentType
    fileName: str
    """Storage object path under expert-documents/{expertId}/{type}/."""
    contentType: str | None = None
    size: int | None = None
    uploadDate: datetime
    status: DocumentStatus = "pending"
    rejectionReason: str | None = None
    reviewedBy: str | None = None
    reviewedAt: datetime | None = None


class PublicVerification(StoredModel):
    """`verification` as published in `experts/{id}`: outcomes only, never who checked or why."""

    identityVerified: bool = False
    employmentVerified: bool = False
    educationVerified: bool = False
    verificationDate: datetime | None = None


class ExpertVerification(PublicVerification):
    """The full verification record; `documentsSubmitted`, `verifiedBy` and `notes` are kept in
    `experts/{id}/private/contact`."""

    documentsSubmitted: list[VerificationDocument] = []
    verifiedBy: str | None = None
    notes: str | None = None


class ExpertPerformance(StoredModel):
    """Server-owned public rates. The expert's earnings and the raw counters behind the rates
    are private (`ExpertStats`, `experts/{id}/private/stats`)."""

    totalSessions: int = 0
    completedSessions: int = 0
    averageRating: float = 0.0
    totalRatings: int = 0
    responseTime: float = 0.0
    cancellationRate: float = 0.0
    noShowRate: float = 0.0
    repeatClientRate: float = 0.0
    lastSessionDate: datetime | None = None
    performanceRating: PerformanceRating = "good"


class CommunicationPreferences(SalaminModel):
    emailNotifications: bool = True
    smsNotifications: bool = False
    pushNotifications: bool = True


class SessionPreferences(SalaminModel):
    recordingSessions: bool = True
    allowFeedbackSharing: bool = True
    mentorshipInterest: bool = True


class ExpertPreferences(SalaminModel):
    communicationPreferences: CommunicationPreferences = CommunicationPreferences()
    sessionPreferences: SessionPreferences = SessionPreferences()


class ExpertApplicationInput(SalaminModel):
    """What an applicant may send: everything but server-owned state."""

    personalInfo: ExpertPersonalInfo
    professionalInfo: ExpertProfessionalInfo
    interviewSpecialties: Annotated[list[InterviewSpecialty], Field(min_length=1, max_length=6)]
    availability: ExpertAvailability = ExpertAvailability()
    pricing: ExpertPricing
    preferences: ExpertPreferences = ExpertPreferences()

    @model_validator(mode="after")
    def _priced_session_types(self) -> ExpertApplicationInput:
        offered = {t for s in self.interviewSpecialties for t in s.sessionTypes}
        unpriced = sorted(offered - set(self.pricing.sessionTypes))
        if unpriced:
            raise ValueError(f"pricing.sessionTypes lacks a price for {', '.join(unpriced)}")
        return self


class ExpertProfile(StoredModel):
    """The full stored document (spec `ExpertProfile`)."""

    expertId: str
    personalInfo: ExpertPersonalInfo
    professionalInfo: ExpertProfessionalInfo
    interviewSpecialties: list[InterviewSpecialty]
    availability: ExpertAvailability
    pricing: ExpertPricing
    verification: ExpertVerification = ExpertVerification()
    performance: ExpertPerformance = ExpertPerformance()
    preferences: ExpertPreferences = ExpertPreferences()
    status: ExpertStatus
    joinedAt: datetime
    lastActiveAt: datetime


class PublicPersonalInfo(StoredModel):
    """`personalInfo` as published in `experts`: no phone, no personal email."""

    firstName: str
    lastName: str
    profilePhoto: str | None = None
    bio: str = ""
    personalWebsite: str | None = None
    linkedinUrl: str | None = None
    timeZone: str
    languages: list[str]


class PublicExpert(StoredModel):
    """The `experts/{id}` document readable by any signed-in user."""

    expertId: str
    personalInfo: PublicPersonalInfo
    professionalInfo: ExpertProfessionalInfo
    interviewSpecialties: list[InterviewSpecialty]
    availability: ExpertAvailability
    pricing: ExpertPricing
    verification: PublicVerification
    performance: ExpertPerformance
    preferences: ExpertPreferences
    status: ExpertStatus
    joinedAt: datetime
    lastActiveAt: datetime
    payoutsEnabled: bool = False
    """Bookable for pay (a mirror of `private/payouts`); the account itself is private."""


class ExpertPayoutAccount(StoredModel):
    """`experts/{id}/private/payouts`, written only by `marketplace/booking/payouts.py`: the
    Stripe Connect account and its readiness (the expert and admins may read it)."""

    stripeAccountId: str | None = None
    payoutsEnabled: bool = False
    chargesEnabled: bool = False
    stripeDetailsSubmitted: bool = False
    stripeAccountSyncedAt: int | None = None


class ExpertStats(StoredModel):
    """`experts/{id}/private/stats`, written only by `marketplace/booking/performance.py`: net
    earnings (minor units) and the raw counters the public `performance` rates derive from."""

    totalEarnings: int = 0
    performanceCounters: dict[str, int] = {}

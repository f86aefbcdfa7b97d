"""Expert documents for discovery tests: the `experts/{id}` body exactly as activation writes it,
built from the onboarding factory, with a few discovery-oriented knobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from salamin.core import collections as col
from salamin.marketplace.calendar import intervals, local_time
from salamin.marketplace.discovery import search_index
from salamin.marketplace.onboarding.applications import public_expert_document
from salamin.models.calendar import BusyInterval
from salamin.models.expert import ExpertProfile
from tests.support.factories import application_data

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def window(day: int, start: str, end: str, *types: str) -> dict[str, Any]:
    return {
        "dayOfWeek": day,
        "startTime": start,
        "endTime": end,
        "sessionTypes": list(types or ("mock_interview",)),
    }


def expert_doc(
    expert_id: str = "exp-1",
    *,
    time_zone: str = "Europe/London",
    windows: list[dict[str, Any]] | None = None,
    working_days: list[int] | None = None,
    buffer: int = 0,
    per_day: int = 8,
    per_week: int = 40,
    notice_hours: int = 0,
    blackout: list[str] | None = None,
    vacation: bool = False,
    pricing: dict[str, Any] | None = None,
    specialties: list[dict[str, Any]] | None = None,
    status: str = "active",
    rating: float = 4.5,
    ratings: int = 10,
    sessions: int = 10,
    response: float = 5.0,
    years: int = 8,
    last_active: datetime | None = None,
    first: str = "Ada",
    last: str = "Lovelace",
    role: str = "Staff Engineer",
    company: str = "Analytical Engines",
    previous_companies: list[str] | None = None,
    bio: str = "Staff engineer, 200+ interviews conducted.",
    industries: list[str] | None = None,
    company_types: list[str] | None = None,
    languages: list[str] | None = None,
    payouts: bool = True,
    now: datetime = NOW,
) -> dict[str, Any]:
    """A public expert body (no search map yet). `payouts`: the `payoutsEnabled` mirror of a
    finished payout setup, so by default the expert is bookable, as the tests assume."""
    days = working_days if working_days is not None else [0, 1, 2, 3, 4, 5, 6]
    data = application_data()
    data["personalInfo"].update(
        firstName=first,
        lastName=last,
        bio=bio,
        timeZone=time_zone,
        languages=languages or ["en"],
    )
    prof = data["professionalInfo"]
    prof.update(
        currentRole=role,
        currentCompany=company,
        yearsOfExperience=years,
        industries=industries if industries is not None else ["fintech"],
        companyTypes=company_types if company_types is not None else ["big-tech"],
    )
    if previous_companies is not None:
        prof["previousRoles"] = [
            {
                "title": "Engineer",
                "company": c,
                "startDate": "2012-01",
                "endDate": "2016-06",
                "description": "",
                "achievements": [],
            }
            for c in previous_companies
        ]
    data["availability"] = {
        "timeSlots": windows
        if windows is not None
        else [window(d, "09:00", "12:00", "mock_interview") for d in days],
        "bufferTime": buffer,
        "maxSessionsPerDay": per_day,
        "maxSessionsPerWeek": per_week,
        "advanceBookingRequired": notice_hours,
        "workingDays": days,
        "vacationMode": vacation,
        "blackoutDates": blackout or [],
    }
    if pricing is not None:
        data["pricing"] = {"sessionTypes": pricing}
    if specialties is not None:
        data["interviewSpecialties"] = specialties
    profile = ExpertProfile(
        expertId=expert_id,
        status=status,  # type: ignore[arg-type]
        joinedAt=now - timedelta(days=400),
        lastActiveAt=last_active or now - timedelta(days=1),
        **data,
    )
    profile.performance.averageRating = rating
    profile.performance.totalRatings = ratings
    profile.performance.totalSessions = sessions
    profile.performance.completedSessions = sessions
    profile.performance.responseTime = response
    return {**public_expert_document(profile), "payoutsEnabled": payouts}


def specialty(kind: str, *types: str) -> dict[str, Any]:
    return {
        "type": kind,
        "subSpecialties": [],
        "experienceLevel": 5,
        "proficiencyRating": 8,
        "sessionTypes": list(types or ("mock_interview",)),
    }


def price(base: int, *durations: int, minimum: int = 30, currency: str = "USD") -> dict[str, Any]:
    return {
        "basePrice": base,
        "currency": currency,
        "minimumDuration": minimum,
        "allowedDurations": list(durations or (60,)),
    }


def indexed(data: dict[str, Any], *, now: datetime = NOW) -> dict[str, Any]:
    """The body with its search map, as the trigger would leave it."""
    return {**data, search_index.SEARCH_FIELD: search_index.search_fields(data, now=now)}


def put_expert(db: Any, data: dict[str, Any], *, now: datetime = NOW) -> None:
    db.collection(col.EXPERTS).document(data["expertId"]).set(indexed(data, now=now))


def busy_doc(
    start: datetime,
    minutes: int,
    *,
    buffer: int = 0,
    status: str = "confirmed",
    expires_at: datetime | None = None,
    time_zone: str = "Europe/London",
    session_id: str = "s-1",
) -> dict[str, Any]:
    """A busy doc as booking writes it (docs/calendar-model.md)."""
    from zoneinfo import ZoneInfo

    end = start + timedelta(minutes=minutes)
    local = start.astimezone(ZoneInfo(time_zone)).date()
    return BusyInterval(
        sessionId=session_id,
        sessionType="mock_interview",
        start=start,
        end=end,
        blockedUntil=end + timedelta(minutes=buffer),
        status=status,  # type: ignore[arg-type]
        expiresAt=expires_at,
        localDate=local.isoformat(),
        localWeek=local_time.iso_week(local),
    ).model_dump(mode="python")


def put_busy(db: Any, expert_id: str, body: dict[str, Any]) -> None:
    intervals.busy_collection(db, expert_id).document(body["sessionId"]).set(body)


ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo")
KINDS = ("behavioral", "technical", "case_study", "system_design", "product", "leadership")
TYPES = ("mock_interview", "resume_review", "career_coaching", "salary_negotiation")


def catalogue(count: int, *, seed: int = 7, now: datetime = NOW) -> list[dict[str, Any]]:
    """`count` varied, valid expert bodies with deliberate ties (ratings, years, prices)."""
    import random

    rng = random.Random(seed)
    experts = []
    for i in range(count):
        kinds = rng.sample(KINDS, rng.randint(1, 2))
        types = rng.sample(TYPES, rng.randint(1, 3))
        days = sorted(rng.sample(range(7), rng.randint(2, 5)))
        start = rng.choice(["07:00", "09:00", "13:00", "18:00"])
        end = {"07:00": "10:00", "09:00": "12:00", "13:00": "17:00", "18:00": "21:00"}[start]
        experts.append(
            expert_doc(
                f"exp-{i:03d}",
                time_zone=rng.choice(ZONES),
                windows=[window(d, start, end, *types) for d in days],
                working_days=days,
                specialties=[specialty(k, *types) for k in kinds],
                pricing={t: price(rng.choice([6000, 9000, 12000, 15000]), 60) for t in types},
                rating=rng.choice([3.5, 4.0, 4.5, 4.8, 5.0]),
                ratings=rng.choice([0, 5, 20]),
                sessions=rng.choice([0, 4, 40, 120]),
                response=rng.choice([1.0, 5.0, 20.0]),
                years=rng.choice([2, 5, 8, 12]),
                last_active=now - timedelta(days=rng.choice([1, 10, 45])),
                first=rng.choice(["Ana", "José", "Li", "Zoë", "Omar"]),
                last=rng.choice(["García", "Smith", "Chen", "Müller"]),
                role=rng.choice(["Staff Engineer", "Product Manager", "Consultant", "Recruiter"]),
                company=rng.choice(["Google", "Stripe", "McKinsey", "Nubank", ""]),
                previous_companies=rng.sample(["Google", "Meta", "Bain", "Shopify"], 1),
                bio=rng.choice(["Ex-FAANG interviewer.", "Loves système design.", "Career coach."]),
                industries=rng.sample(["fintech", "health", "retail", "consulting"], 2),
                company_types=rng.sample(["startup", "big-tech", "consulting"], 1),
                languages=rng.sample(["en", "es", "de", "hi"], rng.randint(1, 2)),
                vacation=rng.random() < 0.05,
                status="active" if rng.random() > 0.05 else "inactive",
                now=now,
            )
        )
    return experts


def put_many(db: Any, experts: list[dict[str, Any]], *, now: datetime = NOW) -> None:
    batch = db.batch()
    for n, data in enumerate(experts, 1):
        batch.set(db.collection(col.EXPERTS).document(data["expertId"]), indexed(data, now=now))
        if n % 400 == 0:
            batch.commit()
            batch = db.batch()
    batch.commit()

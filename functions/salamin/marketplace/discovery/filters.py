"""Search criteria: the spec's `ExpertSearchFilters` (request models), normalised into
`Criteria`, and the exact in-memory match every fetched document goes through.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from salamin.marketplace.calendar import availability as av
from salamin.marketplace.calendar import local_time
from salamin.marketplace.discovery import search_index as idx
from salamin.models.base import (
    Currency,
    DayOfWeek,
    MinorUnits,
    NonEmptyStr,
    SalaminModel,
    TimeZoneName,
)
from salamin.models.expert import SessionType, SpecialtyType

SortBy = Literal["relevance", "price", "rating", "experience"]
MAX_PAGE_SIZE = 50
SLOTS_PER_RESULT = 3
SLOT_DAYS = 14
AVAILABILITY_FILTER_DAYS = 7
MAX_TARGET_COMPANIES = 30
MAX_PAST_EXPERTS = 100
CURSOR_MAX_AGE = timedelta(days=1)
NAMED_WINDOWS = {
    "morning": "06:00-12:00",
    "afternoon": "12:00-17:00",
    "evening": "17:00-22:00",
}
_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(([01]\d|2[0-3]):([0-5]\d)|24:00)$")
S = f"{idx.SEARCH_FIELD}."


# --- request models (spec `ExpertSearchFilters`) ---------------------------------------------


def _time_window(value: str) -> str:
    value = NAMED_WINDOWS.get(value.strip().lower(), value.strip())
    match = _WINDOW.match(value)
    if not match:
        raise ValueError(
            "must be 'HH:MM-HH:MM' (24-hour, end may be 24:00) or one of "
            + ", ".join(NAMED_WINDOWS)
        )
    start, end = value.split("-")
    if end <= start:
        raise ValueError("the window must end after it starts")
    return value


TimeWindow = Annotated[str, AfterValidator(_time_window)]
Label = Annotated[NonEmptyStr, Field(max_length=100)]


class ExperienceRange(SalaminModel):
    min: Annotated[int, Field(ge=0, le=70)] | None = None
    max: Annotated[int, Field(ge=0, le=70)] | None = None

    @field_validator("max")
    @classmethod
    def _ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min")
        if value is not None and low is not None and value < low:
            raise ValueError("max must not be below min")
        return value


class PriceRange(SalaminModel):
    """Hourly base price bounds in integer minor units (12000 = 120.00 per hour)."""

    min: MinorUnits | None = None
    max: MinorUnits | None = None
    currency: Currency | None = None
    """Optional: only experts priced in this currency (prices are compared as-is)."""

    @field_validator("max")
    @classmethod
    def _ordered(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("min")
        if value is not None and low is not None and value < low:
            raise ValueError("max must not be below min")
        return value


class AvailabilityFilter(SalaminModel):
    timeZone: TimeZoneName | None = None
    """The searcher's zone: days and windows are read in it (default UTC)."""
    daysOfWeek: Annotated[list[DayOfWeek], Field(max_length=7)] | None = None
    timeSlots: Annotated[list[TimeWindow], Field(max_length=12)] | None = None


class RatingFilter(SalaminModel):
    minimum: Annotated[float, Field(ge=0, le=5)] | None = None


class ExpertSearchFilters(SalaminModel):
    specialties: Annotated[list[SpecialtyType], Field(max_length=6)] | None = None
    industries: Annotated[list[Label], Field(max_length=30)] | None = None
    experience: ExperienceRange | None = None
    priceRange: PriceRange | None = None
    availability: AvailabilityFilter | None = None
    rating: RatingFilter | None = None
    sessionTypes: Annotated[list[SessionType], Field(max_length=4)] | None = None
    companyTypes: Annotated[list[Label], Field(max_length=30)] | None = None
    languages: Annotated[list[Label], Field(max_length=30)] | None = None


# --- normalised criteria and the exact in-memory match ----------------------------------------


@dataclass(frozen=True)
class Criteria:
    specialties: frozenset[str]
    session_types: frozenset[str]
    industries: frozenset[str]
    company_types: frozenset[str]
    languages: frozenset[str]
    years_min: int | None
    years_max: int | None
    price_min: int | None
    price_max: int | None
    currency: str | None
    rating_min: float | None
    words: tuple[str, ...]
    requester_zone: str | None
    avail_days: frozenset[int] | None
    avail_windows: tuple[tuple[int, int], ...]
    avail_intervals: tuple[tuple[datetime, datetime], ...]
    """UTC intervals over the next week matching the requested days and windows."""
    include_unbookable: bool = False
    """Also list active experts who cannot take bookings yet (payouts not set up)."""

    @property
    def has_availability(self) -> bool:
        return self.avail_days is not None or bool(self.avail_windows)

    def facet_groups(self) -> dict[str, list[str]]:
        """Filter groups that can be served by `facets`/`pairs`, as facet strings."""
        groups = {
            "specialty": sorted(self.specialties),
            "sessionType": sorted(self.session_types),
            "industry": sorted(self.industries),
            "companyType": sorted(self.company_types),
            "language": sorted(self.languages),
        }
        return {g: v for g, v in groups.items() if v}


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def criteria_of(
    filters: ExpertSearchFilters,
    search_term: str | None,
    *,
    now: datetime,
    include_unbookable: bool = False,
) -> Criteria:
    norm = idx.normalise_value
    avail = filters.availability
    days = frozenset(avail.daysOfWeek) if avail and avail.daysOfWeek else None
    windows = tuple(
        (_minutes(w.split("-")[0]), _minutes(w.split("-")[1]))
        for w in (avail.timeSlots or [] if avail else [])
    )
    zone = avail.timeZone if avail and avail.timeZone else None
    intervals: list[tuple[datetime, datetime]] = []
    if days is not None or windows:
        tz = ZoneInfo(zone or "UTC")
        today = now.astimezone(tz).date()
        for offset in range(AVAILABILITY_FILTER_DAYS):
            day = today + timedelta(days=offset)
            if days is not None and local_time.js_weekday(day) not in days:
                continue
            for start, end in windows or ((0, 1440),):
                a = local_time.local_instant(day, f"{start // 60:02d}:{start % 60:02d}", tz)
                b = (
                    local_time.local_instant(day + timedelta(days=1), "00:00", tz)
                    if end == 1440
                    else local_time.local_instant(
                        day, f"{end // 60:02d}:{end % 60:02d}", tz, fold=1
                    )
                )
                if b > a:
                    intervals.append((a, b))
    experience = filters.experience or ExperienceRange()
    price = filters.priceRange or PriceRange()
    return Criteria(
        specialties=frozenset(filters.specialties or ()),
        session_types=frozenset(filters.sessionTypes or ()),
        industries=frozenset(v for v in map(norm, filters.industries or ()) if v),
        company_types=frozenset(v for v in map(norm, filters.companyTypes or ()) if v),
        languages=frozenset(v for v in map(norm, filters.languages or ()) if v),
        years_min=experience.min,
        years_max=experience.max,
        price_min=price.min,
        price_max=price.max,
        currency=price.currency,
        rating_min=filters.rating.minimum if filters.rating else None,
        words=tuple(idx.query_words(search_term)),
        requester_zone=zone,
        avail_days=days,
        avail_windows=windows,
        avail_intervals=tuple(intervals),
        include_unbookable=include_unbookable,
    )


def matches(search: dict[str, Any], data: dict[str, Any], criteria: Criteria) -> bool:
    """The exact filter, on one expert document and its `search` map. Bookability is asked
    of the fetched document too, so a map the trigger has not rewritten yet never offers an
    expert who cannot be booked."""
    if not search.get("active"):
        return False
    if not criteria.include_unbookable and idx.document_not_bookable(data) is not None:
        return False
    c = criteria
    facets = set(search.get("facets") or ())
    prices: dict[str, int] = search.get("prices") or {}
    if c.specialties and not c.specialties.intersection(search.get("specialties") or ()):
        return False
    if c.session_types and not c.session_types.intersection(prices):
        return False
    if c.industries and not c.industries.intersection(search.get("industries") or ()):
        return False
    if c.company_types and not any(f"companyType:{v}" in facets for v in c.company_types):
        return False
    if c.languages and not any(f"language:{v}" in facets for v in c.languages):
        return False
    years = int(search.get("yearsOfExperience") or 0)
    if c.years_min is not None and years < c.years_min:
        return False
    if c.years_max is not None and years > c.years_max:
        return False
    if c.rating_min is not None and float(search.get("averageRating") or 0.0) < c.rating_min:
        return False
    if c.currency is not None and search.get("currency") != c.currency:
        return False
    if c.price_min is not None or c.price_max is not None:
        types = [t for t in prices if not c.session_types or t in c.session_types]
        low = c.price_min if c.price_min is not None else 0
        high = c.price_max if c.price_max is not None else math.inf
        if not any(low <= prices[t] <= high for t in types):
            return False
    if c.words:
        tokens = set(search.get("tokens") or ())
        if not all(idx.query_token(w) in tokens for w in c.words):
            return False
    if c.has_availability:
        schedule = av.Schedule.from_document(data)
        if not av.has_window_overlap(
            schedule, list(c.avail_intervals), session_types=c.session_types or None
        ):
            return False
    return True

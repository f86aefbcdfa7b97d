"""Spec §1.2 `searchExperts`: filtered, ranked, cursor-paginated expert search.

How one search stays close to one page of reads, whatever the catalog size:

1. One Firestore query per stream, on the server-maintained `search` map (search_index.py):
   `search.active == true`, plus the single most selective array filter the request allows
   (a free-text token, one filter group's facets, or two groups at once through `pairs`), plus a
   range on the sort field when the filters bound it, ordered by the sort field then document id.
2. Every other filter runs in memory on the fetched documents, exactly; chunks are fetched until
   the page (plus one look-ahead result) is full.
3. Relevance is the spec's score (ranking.py). Its query-independent part is the stored
   `relevanceKey`; the rest is bounded (filter-match points, personalisation, activity decay),
   so results are merged from sorted streams threshold-style: a result is emitted only once no
   unread document can outrank it. Personalised experts come from their own small streams (the
   user's past experts by id; experts at the user's target companies by query), so no
   per-expert reads are needed.
4. The cursor carries the last result's sort key and where each stream must resume; ordering is
   total (ties broken by stored key, then document id), so pages never repeat or skip a result
   while the data is unchanged. "Now" is frozen in the cursor for the same reason.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import json
import math
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import total_ordering
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath
from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument
from salamin.marketplace.calendar import availability as av
from salamin.marketplace.discovery import ranking
from salamin.marketplace.discovery import search_index as idx
from salamin.models.base import (
    Currency,
    DayOfWeek,
    MinorUnits,
    NonEmptyStr,
    SalaminModel,
    TimeZoneName,
)
from salamin.models.expert import PublicExpert, SessionType, SpecialtyType

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
    filters: ExpertSearchFilters, search_term: str | None, *, now: datetime
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
            if days is not None and av.js_weekday(day) not in days:
                continue
            for start, end in windows or ((0, 1440),):
                a = av.local_instant(day, f"{start // 60:02d}:{start % 60:02d}", tz)
                b = (
                    av.local_instant(day + timedelta(days=1), "00:00", tz)
                    if end == 1440
                    else av.local_instant(day, f"{end // 60:02d}:{end % 60:02d}", tz, fold=1)
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
    )


def matches(search: dict[str, Any], data: dict[str, Any], criteria: Criteria) -> bool:
    """The exact filter, on one expert document and its `search` map."""
    if not search.get("active"):
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


# --- choosing the one server-side filter ------------------------------------------------------

_PRIOR = {
    "specialty": 0.35,
    "sessionType": 0.6,
    "industry": 0.12,
    "companyType": 0.3,
    "language": 0.15,
}
_COMMON_LANGUAGES = {"en", "english"}
MAX_DISJUNCTS = 30


@dataclass(frozen=True)
class Plan:
    """The array filter the main query uses: (field, operator, values), or none."""

    field: str | None = None
    op: str = "array_contains_any"
    values: tuple[str, ...] = ()
    description: str = "active experts"


def _group_selectivity(group: str, values: list[str]) -> float:
    if group == "language":
        return min(1.0, sum(0.85 if v in _COMMON_LANGUAGES else _PRIOR[group] for v in values))
    return min(1.0, _PRIOR[group] * len(values))


def avail_blocks(criteria: Criteria) -> list[int]:
    blocks: set[int] = set()
    for a, b in criteria.avail_intervals:
        start = idx.week_minute(a)
        blocks |= idx.blocks_of_interval(start, start + int((b - a).total_seconds() // 60))
    return sorted(blocks)


def _text_plan(word: str) -> Plan:
    return Plan(f"{S}tokens", "array_contains", (idx.query_token(word),), f"text '{word}'")


def choose_plan(criteria: Criteria, *, count: Callable[[Plan], int] | None = None) -> Plan:
    """The most selective single array filter, by rough priors (no statistics are kept).

    For a multi-word search term, where priors say nothing about which word is rare, `count`
    (a count() aggregation: one read per 1,000 matches) picks the rarest of up to three words.
    """
    options: list[tuple[float, Plan]] = []
    if criteria.words:
        longest = sorted(criteria.words, key=len, reverse=True)[:3]
        word = longest[0]
        if count is not None and len(longest) > 1:
            word = min(longest, key=lambda w: (count(_text_plan(w)), -len(w)))
        options.append((0.02 if len(word) >= 3 else 0.1, _text_plan(word)))
    groups = criteria.facet_groups()
    for g, values in groups.items():
        options.append(
            (
                _group_selectivity(g, values),
                Plan(f"{S}facets", "array_contains_any", tuple(f"{g}:{v}" for v in values), g),
            )
        )
    names = [g for g in idx.PAIR_GROUPS if g in groups]
    for i, g in enumerate(names):
        for h in names[i + 1 :]:
            tokens = [idx.pair_token(g, a, h, b) for a in groups[g] for b in groups[h]]
            if len(tokens) + 1 > MAX_DISJUNCTS:
                continue
            tokens.append(idx.overflow_token(g, h))
            sel = _group_selectivity(g, groups[g]) * _group_selectivity(h, groups[h])
            options.append(
                (sel, Plan(f"{S}pairs", "array_contains_any", tuple(tokens), f"{g}+{h}"))
            )
    if criteria.has_availability:
        blocks = avail_blocks(criteria)
        if blocks and len(blocks) < idx.AVAIL_BLOCKS and len(blocks) <= MAX_DISJUNCTS:
            options.append(
                (
                    min(1.0, 0.05 * len(blocks) + 0.1),
                    Plan(
                        f"{S}facets",
                        "array_contains_any",
                        tuple(f"avail:{b}" for b in blocks),
                        "availability",
                    ),
                )
            )
    if criteria.currency:
        options.append(
            (
                0.9,
                Plan(
                    f"{S}facets", "array_contains", (f"currency:{criteria.currency}",), "currency"
                ),
            )
        )
    if not options:
        return Plan()
    options.sort(key=lambda o: (o[0], len(o[1].values)))
    return options[0][1]


def company_plan(criteria: Criteria, main: Plan, targets: Iterable[str]) -> Plan:
    """The filter of the target-company stream: the main plan's text token when there is one,
    else company x filter-group pairs when they fit one query, else the companies themselves.
    Whatever serves it, the stream keeps only experts at a target company (checked in memory)."""
    companies = sorted(targets)
    if main.field == f"{S}tokens":
        return main
    groups = criteria.facet_groups()
    best: tuple[float, Plan] | None = None
    for g, values in groups.items():
        if g not in idx.COMPANY_PAIR_GROUPS:
            continue
        tokens = [idx.pair_token(g, v, "company", c) for v in values for c in companies]
        if len(tokens) + 1 > MAX_DISJUNCTS:
            continue
        tokens.append(idx.overflow_token(g, "company"))
        sel = _group_selectivity(g, values)
        if best is None or sel < best[0]:
            best = (sel, Plan(f"{S}pairs", "array_contains_any", tuple(tokens), f"company+{g}"))
    if best is not None:
        return best[1]
    return Plan(f"{S}companies", "array_contains_any", tuple(companies), "target companies")


def _with_plan(query: firestore.Query, plan: Plan) -> firestore.Query:
    if not plan.field:
        return query
    value: Any = list(plan.values) if plan.op == "array_contains_any" else plan.values[0]
    return query.where(filter=firestore.FieldFilter(plan.field, plan.op, value))


# --- sort orders ------------------------------------------------------------------------------


@total_ordering
@dataclass(frozen=True)
class _Desc:
    """A string that sorts backwards (document ids under a descending sort)."""

    value: str

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, _Desc):
            return NotImplemented
        return self.value > other.value


@dataclass(frozen=True)
class SortSpec:
    field: str
    descending: bool

    @property
    def direction(self) -> str:
        return firestore.Query.DESCENDING if self.descending else firestore.Query.ASCENDING

    def pos(self, value: float, doc_id: str) -> tuple[Any, ...]:
        """Position in Firestore's order for this sort: (value, id), both in sort direction."""
        return (-value, _Desc(doc_id)) if self.descending else (value, doc_id)


SORTS: dict[str, SortSpec] = {
    "relevance": SortSpec("relevanceKey", True),
    "price": SortSpec("minHourlyPrice", False),
    "rating": SortSpec("averageRating", True),
    "experience": SortSpec("yearsOfExperience", True),
}


def _range_filters(sort_by: str, criteria: Criteria) -> list[tuple[str, str, Any]]:
    """Bounds on the sort field itself (Firestore wants a range field to be the first order)."""
    if sort_by == "price" and criteria.price_max is not None:
        return [(f"{S}minHourlyPrice", "<=", criteria.price_max)]
    if sort_by == "rating" and criteria.rating_min is not None:
        return [(f"{S}averageRating", ">=", float(criteria.rating_min))]
    if sort_by == "experience":
        bounds: list[tuple[str, str, Any]] = []
        if criteria.years_min is not None:
            bounds.append((f"{S}yearsOfExperience", ">=", criteria.years_min))
        if criteria.years_max is not None:
            bounds.append((f"{S}yearsOfExperience", "<=", criteria.years_max))
        return bounds
    return []


# --- reads ------------------------------------------------------------------------------------


@dataclass
class Reads:
    """Document reads as Firestore bills them (a query that returns nothing still costs one)."""

    experts: int = 0
    personal: int = 0
    slots: int = 0
    queries: int = 0

    @property
    def total(self) -> int:
        return self.experts + self.personal + self.slots

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "experts": self.experts,
            "personal": self.personal,
            "slots": self.slots,
            "queries": self.queries,
        }


# --- personalisation inputs -------------------------------------------------------------------


def load_personal(db: firestore.Client, *, user_id: str, reads: Reads) -> ranking.Personal:
    """The user's past experts (completed sessions) and target companies: two reads, once."""
    sessions = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("userId", "==", user_id))
        .where(filter=firestore.FieldFilter("status", "==", "completed"))
        .select(["expertId"])
        .limit(500)
    )
    past: list[str] = []
    count = 0
    for snap in sessions.stream():
        count += 1
        expert_id = (snap.to_dict() or {}).get("expertId")
        if isinstance(expert_id, str) and expert_id and expert_id not in past:
            past.append(expert_id)
    reads.personal += max(1, count)
    reads.queries += 1
    profile = db.document(col.user_profile_path(user_id)).get()
    reads.personal += 1
    targets: list[str] = []
    if profile.exists:
        raw = (profile.to_dict() or {}).get("targetCompanies") or []
        if isinstance(raw, list):
            for value in raw:
                norm = idx.normalise_value(value) if isinstance(value, str) else ""
                if norm and norm not in targets:
                    targets.append(norm)
    return ranking.Personal(
        past_expert_ids=frozenset(past[:MAX_PAST_EXPERTS]),
        target_companies=frozenset(targets[:MAX_TARGET_COMPANIES]),
    )


# --- cursor -----------------------------------------------------------------------------------


def _query_hash(
    filters: ExpertSearchFilters, search_term: str | None, sort_by: str, user_id: str
) -> str:
    body = json.dumps(
        {
            "f": filters.model_dump(mode="json", exclude_none=True),
            "t": idx.query_words(search_term),
            "s": sort_by,
            "u": user_id,
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, *, query_hash: str, now: datetime) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(payload, dict) or payload.get("v") != 1:
            raise ValueError("version")
        at = datetime.fromtimestamp(float(payload["at"]), UTC)
        last = payload["last"]
        if not isinstance(last, list) or len(last) not in (2, 3) or not isinstance(last[-1], str):
            raise ValueError("last")
        if not all(isinstance(v, int | float) for v in last[:-1]):
            raise ValueError("last")
        streams = payload["s"]
        if not isinstance(streams, dict):
            raise ValueError("streams")
        for restart in streams.values():
            if restart == "end":
                continue
            mode, value, doc_id = restart
            if mode not in ("at", "after") or not isinstance(value, int | float):
                raise ValueError("restart")
            if not isinstance(doc_id, str) or not doc_id:
                raise ValueError("restart")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidArgument.at("cursor", "not a cursor returned by searchExperts") from None
    if payload.get("q") != query_hash:
        raise InvalidArgument.at("cursor", "belongs to a different search: start again")
    if not now - CURSOR_MAX_AGE <= at <= now + timedelta(minutes=5):
        raise InvalidArgument.at("cursor", "has expired: start the search again")
    payload["at"] = at
    return payload


# --- streams and the merge --------------------------------------------------------------------


@dataclass(order=False)
class _Candidate:
    key: tuple[Any, ...]
    doc_id: str
    data: dict[str, Any]
    search: dict[str, Any]
    points: int
    stream: str
    pos: tuple[Any, ...]

    def __lt__(self, other: _Candidate) -> bool:
        return self.key < other.key


@dataclass
class _Stream:
    name: str
    query: firestore.Query
    sort: SortSpec
    upper: int
    """Most points a document of this stream can score above its stored relevance key."""
    restart: list[Any] | None = None
    """[mode, value, id] from the cursor: 'at' (inclusive) or 'after'."""
    exhausted: bool = False
    fetched: int = 0
    matched: int = 0
    last_value: Any = None
    last_id: str | None = None
    last_pos: tuple[Any, ...] | None = None
    last_limit: int = 0

    def fetch(self, limit: int, reads: Reads) -> list[firestore.DocumentSnapshot]:
        query = self.query
        if self.last_id is not None:
            query = query.start_after([self.last_value, self.last_id])
        elif self.restart is not None:
            mode, value, doc_id = self.restart
            cursor = [value, doc_id]
            query = query.start_at(cursor) if mode == "at" else query.start_after(cursor)
        docs = list(query.limit(limit).stream())
        reads.experts += max(1, len(docs))
        reads.queries += 1
        self.fetched += len(docs)
        if len(docs) < limit:
            self.exhausted = True
        if docs:
            last = docs[-1]
            self.last_value = ((last.to_dict() or {}).get(idx.SEARCH_FIELD) or {}).get(
                self.sort.field
            )
            self.last_id = last.id
            self.last_pos = self.sort.pos(self.last_value, last.id)
        return docs

    def next_limit(self, need: int) -> int:
        """Enough for `need` more matches at the pass rate seen so far, at most double the last
        chunk (so a bad guess overshoots little), between 10 and 300."""
        rate = (self.matched + 1) / (self.fetched + 1)
        wanted = math.ceil(need / max(rate, 0.05)) + 1
        ceiling = 2 * self.last_limit if self.last_limit else 300
        self.last_limit = max(10, min(300, ceiling, wanted))
        return self.last_limit


@dataclass
class SearchPage:
    results: list[dict[str, Any]]
    next_cursor: str | None
    reads: Reads
    plan: Plan
    sort_by: str

    def to_wire(self) -> dict[str, Any]:
        return {"results": self.results, "nextCursor": self.next_cursor, "sortBy": self.sort_by}


@dataclass
class _Search:
    db: firestore.Client
    criteria: Criteria
    sort_by: str
    personal: ranking.Personal
    as_of: datetime
    reads: Reads
    last_key: tuple[Any, ...] | None = None
    streams: list[_Stream] = field(default_factory=list)
    heap: list[_Candidate] = field(default_factory=list)

    @property
    def sort(self) -> SortSpec:
        return SORTS[self.sort_by]

    @property
    def relevance(self) -> bool:
        return self.sort_by == "relevance"

    # scoring --------------------------------------------------------------------------------
    def points(self, doc_id: str, search: dict[str, Any]) -> int:
        c = self.criteria
        last_active = search.get("lastActiveAt")
        activity = min(
            int(search.get("activityPoints") or 0),
            ranking.activity_points(last_active, self.as_of),
        )
        return (
            int(search.get("relevanceBase") or 0)
            + activity
            + ranking.match_points(
                wanted_specialties=sorted(c.specialties),
                specialties=search.get("specialties") or [],
                wanted_industries=sorted(c.industries),
                industries=search.get("industries") or [],
            )
            + self.personal.points(expert_id=doc_id, companies=search.get("companies") or [])
        )

    def order_key(self, doc_id: str, search: dict[str, Any], points: int) -> tuple[Any, ...]:
        value = search.get(self.sort.field) or 0
        if self.relevance:
            return (-ranking.capped(points), -value, _Desc(doc_id))
        return self.sort.pos(value, doc_id)

    # streams --------------------------------------------------------------------------------
    def base_query(self) -> firestore.Query:
        return self.db.collection(col.EXPERTS).where(
            filter=firestore.FieldFilter(f"{S}active", "==", True)
        )

    def ordered(self, query: firestore.Query) -> firestore.Query:
        sort = self.sort
        return query.order_by(f"{S}{sort.field}", direction=sort.direction).order_by(
            FieldPath.document_id(), direction=sort.direction
        )

    def build_streams(self, plan: Plan, restarts: dict[str, Any]) -> None:
        low, high = ranking.match_points_bounds(
            wanted_specialties=len(self.criteria.specialties),
            wanted_industries=len(self.criteria.industries),
        )
        del low
        main = _with_plan(self.base_query(), plan)
        for path, op, value in _range_filters(self.sort_by, self.criteria):
            main = main.where(filter=firestore.FieldFilter(path, op, value))
        specs = [("main", self.ordered(main), high)]
        if self.relevance and self.personal.target_companies:
            company = _with_plan(
                self.base_query(),
                company_plan(self.criteria, plan, self.personal.target_companies),
            )
            specs.append(("company", self.ordered(company), high + ranking.TARGET_COMPANY))
        for name, query, upper in specs:
            restart = restarts.get(name)
            stream = _Stream(name, query, self.sort, upper)
            if restart == "end":
                stream.exhausted = True
            elif isinstance(restart, list):
                stream.restart = restart
            self.streams.append(stream)

    def owned_elsewhere(self, stream: str, doc_id: str, search: dict[str, Any]) -> bool:
        """Personalised experts are merged from their own streams, never from the main one."""
        if not self.relevance:
            return False
        if doc_id in self.personal.past_expert_ids:
            return True
        at_target = bool(self.personal.target_companies.intersection(search.get("companies") or ()))
        # the company stream may be served by a text or pair filter: keep only its own experts
        return at_target if stream == "main" else not at_target

    def consider(self, stream: str, snap: firestore.DocumentSnapshot) -> bool:
        data = snap.to_dict() or {}
        search = data.get(idx.SEARCH_FIELD) or {}
        if stream != "past" and self.owned_elsewhere(stream, snap.id, search):
            return False
        if not matches(search, data, self.criteria):
            return False
        points = self.points(snap.id, search)
        key = self.order_key(snap.id, search, points)
        if self.last_key is not None and key <= self.last_key:
            return False
        pos = self.sort.pos(search.get(self.sort.field) or 0, snap.id)
        heapq.heappush(self.heap, _Candidate(key, snap.id, data, search, points, stream, pos))
        return True

    def load_past(self) -> None:
        ids = sorted(self.personal.past_expert_ids)
        if not self.relevance or not ids:
            return
        refs = [self.db.collection(col.EXPERTS).document(i) for i in ids]
        self.reads.experts += len(refs)
        self.reads.queries += 1
        for snap in self.db.get_all(refs):
            if snap.exists:
                self.consider("past", snap)

    def clear_of(self, cand: _Candidate, stream: _Stream) -> bool:
        """Can no unread document of `stream` come before `cand`?"""
        if stream.exhausted:
            return True
        if stream.last_pos is None:
            return False
        if self.relevance:
            bound = ranking.capped(int(stream.last_value or 0) + stream.upper)
            score = ranking.capped(cand.points)
            return score > bound or (score == bound and cand.pos <= stream.last_pos)
        return cand.key <= stream.last_pos

    def can_emit(self, cand: _Candidate) -> bool:
        return all(self.clear_of(cand, stream) for stream in self.streams)

    def pick_stream(self) -> _Stream | None:
        """The stream to read next: one never read, else one that blocks the best candidate,
        the one whose unread documents could come first."""
        live = [s for s in self.streams if not s.exhausted]
        if not live:
            return None
        unfetched = [s for s in live if s.last_pos is None]
        if unfetched:
            return unfetched[0]
        if self.heap:
            live = [s for s in live if not self.clear_of(self.heap[0], s)] or live
        if not self.relevance:
            return live[0]
        return min(
            live,
            key=lambda s: (
                -ranking.capped(int(s.last_value or 0) + s.upper),
                s.last_pos,
            ),
        )

    def run(self, want: int) -> list[_Candidate]:
        emitted: list[_Candidate] = []
        while len(emitted) < want:
            if self.heap and self.can_emit(self.heap[0]):
                emitted.append(heapq.heappop(self.heap))
                continue
            stream = self.pick_stream()
            if stream is None:
                if not self.heap:
                    break
                emitted.append(heapq.heappop(self.heap))
                continue
            need = want - len(emitted) - len(self.heap)
            for snap in stream.fetch(stream.next_limit(max(need, 1)), self.reads):
                if self.consider(stream.name, snap):
                    stream.matched += 1
        return emitted

    def restarts(self, held: Iterable[_Candidate]) -> dict[str, Any]:
        """Where each stream resumes: at its first result not yet shown, else after its last
        read, else 'end'."""
        first: dict[str, _Candidate] = {}
        for cand in held:
            if cand.stream in first and first[cand.stream].pos <= cand.pos:
                continue
            first[cand.stream] = cand
        out: dict[str, Any] = {}
        for stream in self.streams:
            if stream.name in first:
                cand = first[stream.name]
                out[stream.name] = ["at", cand.search.get(self.sort.field) or 0, cand.doc_id]
            elif stream.exhausted:
                out[stream.name] = "end"
            elif stream.last_id is not None:
                out[stream.name] = ["after", stream.last_value, stream.last_id]
            elif stream.restart is not None:
                out[stream.name] = stream.restart
        return out


def _key_from_cursor(sort_by: str, last: list[Any]) -> tuple[Any, ...]:
    sort = SORTS[sort_by]
    if sort_by == "relevance":
        if len(last) != 3:
            raise InvalidArgument.at("cursor", "not a cursor returned by searchExperts")
        return (-int(last[0]), -int(last[1]), _Desc(str(last[2])))
    return sort.pos(last[0], str(last[1]))


def search_experts(
    db: firestore.Client,
    *,
    user_id: str,
    filters: ExpertSearchFilters,
    search_term: str | None,
    sort_by: str,
    page_size: int,
    cursor: str | None,
    clock: Clock,
    with_slots: bool = True,
) -> SearchPage:
    """One page of results; `next_cursor` is None on the last page."""
    if sort_by not in SORTS:
        raise InvalidArgument.at("sortBy", f"must be one of {', '.join(SORTS)}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgument.at("pageSize", f"must be between 1 and {MAX_PAGE_SIZE}")
    now = clock.now()
    query_hash = _query_hash(filters, search_term, sort_by, user_id)
    state = _decode_cursor(cursor, query_hash=query_hash, now=now) if cursor else None
    as_of = state["at"] if state else now
    criteria = criteria_of(filters, search_term, now=as_of)
    reads = Reads()
    personal = load_personal(db, user_id=user_id, reads=reads)
    search = _Search(db, criteria, sort_by, personal, as_of, reads)
    if state:
        search.last_key = _key_from_cursor(sort_by, state["last"])

    def count(candidate: Plan) -> int:
        aggregate: Any = _with_plan(search.base_query(), candidate).count(alias="n")
        found = int(aggregate.get()[0][0].value)
        reads.experts += max(1, math.ceil(found / 1000))
        reads.queries += 1
        return found

    plan = choose_plan(criteria, count=count)
    search.build_streams(plan, state["s"] if state else {})
    search.load_past()
    found = search.run(page_size + 1)
    page, extra = found[:page_size], found[page_size:]
    next_cursor = None
    if extra and page:
        last = page[-1]
        if search.relevance:
            last_values: list[Any] = [
                ranking.capped(last.points),
                last.search.get(search.sort.field) or 0,
                last.doc_id,
            ]
        else:
            last_values = [last.search.get(search.sort.field) or 0, last.doc_id]
        next_cursor = _encode_cursor(
            {
                "v": 1,
                "q": query_hash,
                "at": as_of.timestamp(),
                "last": last_values,
                "s": search.restarts([*extra, *search.heap]),
            }
        )
    results = _results(db, search, page, now=now, with_slots=with_slots)
    return SearchPage(results, next_cursor, reads, plan, sort_by)


# --- result assembly --------------------------------------------------------------------------


def _slot_acceptor(criteria: Criteria) -> Any:
    if not criteria.has_availability:
        return None
    tz = ZoneInfo(criteria.requester_zone or "UTC")
    windows = criteria.avail_windows or ((0, 1440),)

    def accept(start: datetime, end: datetime) -> bool:
        local = start.astimezone(tz)
        if (
            criteria.avail_days is not None
            and av.js_weekday(local.date()) not in criteria.avail_days
        ):
            return False
        begin = local.hour * 60 + local.minute
        finish = begin + int((end - start).total_seconds() // 60)
        return any(a <= begin and finish <= b for a, b in windows)

    return accept


def _next_slots(
    db: firestore.Client, cand: _Candidate, criteria: Criteria, *, now: datetime
) -> tuple[list[dict[str, Any]], int]:
    expert = PublicExpert.model_validate(cand.data)
    schedule = av.Schedule.of(expert)
    today = av.expert_today(schedule, now)
    busy, reads = av.load_busy(
        db,
        expert_id=cand.doc_id,
        time_zone=schedule.time_zone,
        first_day=today,
        last_day=today + timedelta(days=SLOT_DAYS - 1),
        now=now,
    )
    wanted = [
        t for t in schedule.offered if not criteria.session_types or t in criteria.session_types
    ]
    single = wanted[0] if len(wanted) == 1 else None
    slots = av.generate_slots(
        schedule,
        busy=busy,
        now=now,
        days_ahead=SLOT_DAYS,
        session_type=single,
        accept=_slot_acceptor(criteria),
        limit=SLOTS_PER_RESULT if single or not criteria.session_types else None,
    )
    out_zone = ZoneInfo(criteria.requester_zone or schedule.time_zone)
    wire: list[dict[str, Any]] = []
    for slot in slots:
        types = tuple(t for t in slot.session_types if t in wanted)
        if not types:
            continue
        trimmed = av.Slot(
            start=slot.start,
            end=slot.end,
            duration=slot.duration,
            session_types=types,
            prices={t: slot.prices[t] for t in types},
            currency=slot.currency,
            expert_date=slot.expert_date,
            expert_start=slot.expert_start,
            expert_end=slot.expert_end,
        )
        wire.append(trimmed.to_wire(out_zone))
        if len(wire) == SLOTS_PER_RESULT:
            break
    return wire, reads


def _public(data: dict[str, Any]) -> dict[str, Any]:
    body = PublicExpert.model_validate(data).to_wire()
    body.pop("stripeAccountId", None)
    return body


def _results(
    db: firestore.Client,
    search: _Search,
    page: list[_Candidate],
    *,
    now: datetime,
    with_slots: bool,
) -> list[dict[str, Any]]:
    slots: list[tuple[list[dict[str, Any]], int]] = [([], 0)] * len(page)
    if with_slots and page:
        with ThreadPoolExecutor(max_workers=min(4, len(page))) as pool:
            slots = list(pool.map(lambda c: _next_slots(db, c, search.criteria, now=now), page))
    results = []
    for cand, (cand_slots, slot_reads) in zip(page, slots, strict=True):
        search.reads.slots += slot_reads
        search.reads.queries += 1 if with_slots else 0
        professional = cand.data.get("professionalInfo") or {}
        s = cand.search
        item = {
            "expert": _public(cand.data),
            "relevanceScore": ranking.score_value(cand.points),
            "recommendationReason": ranking.recommendation_reason(
                average_rating=float(s.get("averageRating") or 0.0),
                total_ratings=int(s.get("totalRatings") or 0),
                total_sessions=int(s.get("totalSessions") or 0),
                current_role=str(professional.get("currentRole") or ""),
                current_company=str(professional.get("currentCompany") or ""),
                response_time=float(s.get("responseTime") or 0.0),
            ),
            "availableSlots": cand_slots,
        }
        if item["recommendationReason"] is None:
            del item["recommendationReason"]
        results.append(item)
    return results

"""Server-maintained search fields: the `search` map on `experts/{expertId}`.

Firestore allows one array-contains(-any) per query and no full-text search, so each expert
carries pre-computed, normalised fields that one selective query can use:

- `tokens`: accent- and case-folded words of name, current role, current company and bio, with
  every prefix of 2-20 letters (free text is word-prefix search);
- `facets`: one flat array (`specialty:technical`, `industry:fintech`, `sessionType:...`,
  `companyType:startup`, `language:en`, `currency:USD`, `avail:<n>` = a 4-hour UTC block of the
  week in which the expert's weekly hours fall, Sunday 00:00 UTC = block 0);
- `pairs`: `a|b` for facets of two different groups, so two filters can be served by one
  array-contains-any (overflowing group pairs get a `pairx:<g>|<h>` marker instead, which the
  query includes, so no expert is ever missed);
- sort and filter numbers (`minHourlyPrice`, `averageRating`, `yearsOfExperience`, ...), the
  non-personal relevance key (`relevanceKey` = profile points + activity points at index time),
  `companies` for target-company personalisation, `active` (status active, not on vacation:
  listed at all) and `bookable` + `notBookableReason` (the one bookability policy,
  `calendar.bookability`: active, not on vacation, payouts set up; default searches ask for it).

`v` is the schema version: a map of an older version is rewritten by the trigger on the next
write to the expert, and by `reindex_stale`, which the daily `refreshExpertSearchActivity` runs
first (force-run that job right after a deploy that bumps the version). Version 2 added
`bookable`.

Written only by the server: the `experts/{id}` trigger (`sync_expert`), the daily refresh of decayed
activity points (`refresh_decayed`), and seeding scripts through `search_fields`. The trigger
writes only when the computed map differs, so its own write ends the loop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.marketplace.calendar.bookability import NotBookable, not_bookable
from salamin.marketplace.discovery import ranking
from salamin.models.expert import SESSION_TYPES, PublicExpert

SEARCH_FIELD = "search"
SCHEMA_VERSION = 2
TOKEN_MIN, TOKEN_MAX = 2, 20
MAX_TOKENS = 2000
FACET_GROUPS = ("specialty", "sessionType", "industry", "companyType", "language")
PAIR_GROUPS = (*FACET_GROUPS, "company")
COMPANY_PAIR_GROUPS = ("specialty", "sessionType", "industry")
"""Companies (current or previous) are paired with these groups only, so the target-company
stream of a personalised search can carry the usual main filter too, without bloating docs."""
MAX_PAIRS_PER_GROUP_PAIR = 64
AVAIL_BLOCK_MINUTES = 240
AVAIL_BLOCKS = 7 * 24 * 60 // AVAIL_BLOCK_MINUTES  # 42; a query may ask for up to 30
_WORD = re.compile(r"[^\W_]+")
_EXTRA_FOLDS = str.maketrans({"ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "ı": "i"})


# --- normalisation ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Zoë MÜLLER' -> 'zoe muller'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.translate(_EXTRA_FOLDS)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def normalise_value(text: str) -> str:
    """A free-form label as a facet value: 'Big Tech ' -> 'big-tech', 'Société Générale' ->
    'societe-generale'."""
    return "-".join(words(text))


def _prefixes(word: str) -> Iterable[str]:
    for n in range(TOKEN_MIN, min(len(word), TOKEN_MAX) + 1):
        yield word[:n]


def text_tokens(*, primary: Iterable[str], bio: str) -> list[str]:
    """Word prefixes, name/role/company first so a long bio can never push them out."""
    seen: dict[str, None] = {}
    for text in [*primary, bio]:
        for word in words(text):
            for token in _prefixes(word):
                if len(seen) >= MAX_TOKENS:
                    return list(seen)
                seen.setdefault(token, None)
    return list(seen)


def query_words(search_term: str | None) -> list[str]:
    """The words of a search term that can be matched (at least TOKEN_MIN letters)."""
    if not search_term:
        return []
    return list(dict.fromkeys(w for w in words(search_term) if len(w) >= TOKEN_MIN))


def query_token(word: str) -> str:
    return word[:TOKEN_MAX]


# --- availability blocks ---------------------------------------------------------------------


OFFSET_YEARS = range(2020, 2041)


@lru_cache(maxsize=512)
def _offsets(time_zone: str) -> tuple[int, ...]:
    """Every UTC offset (minutes) `time_zone` uses over OFFSET_YEARS: DST makes two. Not tied to
    "now", so the fields are a pure function of the document (the trigger never fights tests)."""
    tz = ZoneInfo(time_zone)
    seen: set[int] = set()
    day = date(OFFSET_YEARS.start, 1, 1)
    while day.year < OFFSET_YEARS.stop:
        for hour in (0, 12):
            moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
            offset = moment.astimezone(tz).utcoffset() or timedelta()
            seen.add(int(offset.total_seconds() // 60))
        day += timedelta(days=7)
    return tuple(sorted(seen))


def blocks_of_interval(start_minute: int, end_minute: int) -> set[int]:
    """Blocks of the UTC week (minute 0 = Sunday 00:00 UTC) touched by [start, end)."""
    if end_minute <= start_minute:
        return set()
    week = AVAIL_BLOCKS * AVAIL_BLOCK_MINUTES
    first = start_minute // AVAIL_BLOCK_MINUTES
    last = (end_minute - 1) // AVAIL_BLOCK_MINUTES
    return (
        {b % AVAIL_BLOCKS for b in range(first, last + 1)}
        if end_minute - start_minute < week
        else set(range(AVAIL_BLOCKS))
    )


def week_minute(moment: datetime) -> int:
    """Minutes since the start of the UTC week (Sunday 00:00 UTC)."""
    utc = moment.astimezone(UTC)
    return ((utc.weekday() + 1) % 7) * 1440 + utc.hour * 60 + utc.minute


def availability_blocks(availability: dict[str, Any], time_zone: str) -> list[int]:
    """The UTC week blocks the expert's weekly hours can fall in, under any offset the zone uses
    (a superset: the exact check runs on the fetched document)."""
    working = set(availability.get("workingDays") or [])
    blocks: set[int] = set()
    for offset in _offsets(time_zone):
        for window in availability.get("timeSlots") or []:
            dow = window["dayOfWeek"]
            if dow not in working:
                continue
            sh, sm = (int(x) for x in window["startTime"].split(":"))
            eh, em = (int(x) for x in window["endTime"].split(":"))
            start = dow * 1440 + sh * 60 + sm - offset
            end = dow * 1440 + eh * 60 + em - offset
            blocks |= blocks_of_interval(start, end)
    return sorted(blocks)


# --- the search map --------------------------------------------------------------------------


def _offered_types(data: dict[str, Any]) -> list[str]:
    in_specialties = {t for s in data.get("interviewSpecialties") or [] for t in s["sessionTypes"]}
    priced = (data.get("pricing") or {}).get("sessionTypes") or {}
    return [t for t in SESSION_TYPES if t in in_specialties and t in priced]


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def group_facets(data: dict[str, Any]) -> dict[str, list[str]]:
    """Facet values per filter group, normalised, in a stable order."""
    professional = data.get("professionalInfo") or {}
    personal = data.get("personalInfo") or {}

    def norm(values: Iterable[str]) -> list[str]:
        return sorted({v for v in (normalise_value(x) for x in values) if v})

    return {
        "specialty": sorted({s["type"] for s in data.get("interviewSpecialties") or []}),
        "sessionType": _offered_types(data),
        "industry": norm(professional.get("industries") or []),
        "companyType": norm(professional.get("companyTypes") or []),
        "language": norm(personal.get("languages") or []),
        "company": norm(
            [professional.get("currentCompany") or ""]
            + [r.get("company") or "" for r in professional.get("previousRoles") or []]
        ),
    }


def pair_token(group_a: str, value_a: str, group_b: str, value_b: str) -> str:
    """Groups in PAIR_GROUPS order, so the query side builds the same string."""
    if PAIR_GROUPS.index(group_a) > PAIR_GROUPS.index(group_b):
        group_a, value_a, group_b, value_b = group_b, value_b, group_a, value_a
    return f"{group_a}:{value_a}|{group_b}:{value_b}"


def overflow_token(group_a: str, group_b: str) -> str:
    if PAIR_GROUPS.index(group_a) > PAIR_GROUPS.index(group_b):
        group_a, group_b = group_b, group_a
    return f"pairx:{group_a}|{group_b}"


def _pairs(groups: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for i, g in enumerate(PAIR_GROUPS):
        for h in PAIR_GROUPS[i + 1 :]:
            if h == "company" and g not in COMPANY_PAIR_GROUPS:
                continue
            if len(groups[g]) * len(groups[h]) > MAX_PAIRS_PER_GROUP_PAIR:
                out.append(overflow_token(g, h))
                continue
            out.extend(pair_token(g, a, h, b) for a in groups[g] for b in groups[h])
    return out


def document_not_bookable(data: dict[str, Any]) -> NotBookable | None:
    """The bookability policy on an `experts/{id}` body (its public `payoutsEnabled` mirror)."""
    return not_bookable(
        status=str(data.get("status")),
        vacation_mode=bool((data.get("availability") or {}).get("vacationMode", False)),
        payouts_enabled=data.get("payoutsEnabled") is True,
    )


def search_fields(data: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """The `search` map for an `experts/{id}` document body. Pure: same input, same output
    (within one activity tier of `now`)."""
    personal = data.get("personalInfo") or {}
    professional = data.get("professionalInfo") or {}
    performance = data.get("performance") or {}
    availability = data.get("availability") or {}
    pricing = (data.get("pricing") or {}).get("sessionTypes") or {}
    groups = group_facets(data)
    offered = groups["sessionType"]
    prices = {t: int(pricing[t]["basePrice"]) for t in offered}
    currency = next((pricing[t].get("currency", "USD") for t in offered), "USD")
    time_zone = personal.get("timeZone") or "UTC"
    last_active = _as_datetime(data.get("lastActiveAt"))

    facets = [f"{g}:{v}" for g in FACET_GROUPS for v in groups[g]]
    facets.append(f"currency:{currency}")
    facets.extend(f"avail:{b}" for b in availability_blocks(availability, time_zone))

    average_rating = float(performance.get("averageRating") or 0.0)
    total_ratings = int(performance.get("totalRatings") or 0)
    total_sessions = int(performance.get("totalSessions") or 0)
    response_time = float(performance.get("responseTime") or 0.0)
    years = int(professional.get("yearsOfExperience") or 0)
    base = ranking.base_points(
        average_rating=average_rating,
        total_ratings=total_ratings,
        years_of_experience=years,
        total_sessions=total_sessions,
        response_time=response_time,
    )
    activity = ranking.activity_points(last_active, now)
    vacation = bool(availability.get("vacationMode", False))
    refused = document_not_bookable(data)
    return {
        "v": SCHEMA_VERSION,
        "active": data.get("status") == "active" and not vacation,
        "bookable": refused is None,
        "notBookableReason": refused.reason if refused else None,
        "tokens": text_tokens(
            primary=[
                personal.get("firstName") or "",
                personal.get("lastName") or "",
                professional.get("currentRole") or "",
                professional.get("currentCompany") or "",
            ],
            bio=personal.get("bio") or "",
        ),
        "facets": facets,
        "pairs": _pairs(groups),
        "companies": groups["company"],
        "specialties": groups["specialty"],
        "industries": groups["industry"],
        "prices": prices,
        "currency": currency,
        "minHourlyPrice": min(prices.values()) if prices else 0,
        "maxHourlyPrice": max(prices.values()) if prices else 0,
        "averageRating": average_rating,
        "totalRatings": total_ratings,
        "totalSessions": total_sessions,
        "responseTime": response_time,
        "yearsOfExperience": years,
        "lastActiveAt": last_active,
        "relevanceBase": base,
        "activityPoints": activity,
        "activityPointsUntil": ranking.activity_points_until(last_active, now),
        "relevanceKey": base + activity,
    }


def _same(a: Any, b: Any) -> bool:
    """Equality that treats Firestore's timestamp type and datetime alike."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) == b.astimezone(UTC)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _keep_activity(fields: dict[str, Any], old: Any) -> None:
    """Reuse the stored activity points while `lastActiveAt` is unchanged: moving them with time
    is `refresh_decayed`'s job, so the trigger and the refresh never undo each other."""
    if not isinstance(old, dict) or "activityPoints" not in old:
        return
    if not _same(old.get("lastActiveAt"), fields["lastActiveAt"]):
        return
    points = int(old.get("activityPoints") or 0)
    fields["activityPoints"] = points
    fields["activityPointsUntil"] = old.get("activityPointsUntil")
    fields["relevanceKey"] = fields["relevanceBase"] + points


def sync_expert(
    db: firestore.Client, *, expert_id: str, clock: Clock, refresh_activity: bool = False
) -> str:
    """Bring `experts/{expert_id}.search` in line with the document. Idempotent.

    The write is conditional on the document's update time: if someone wrote in between, that
    write fires the trigger again, which recomputes from the newer body. Activity points are
    recomputed only when `lastActiveAt` changed or `refresh_activity` is set. Returns what
    happened.
    """
    ref = db.collection(col.EXPERTS).document(expert_id)
    for _ in range(3):
        snap = ref.get()
        if not snap.exists:
            return "missing"
        data = snap.to_dict() or {}
        try:
            PublicExpert.model_validate(data)
            fields = search_fields(data, now=clock.now())
        except (KeyError, TypeError, ValueError):  # pydantic's ValidationError is a ValueError
            # Not a well-formed expert body: never searchable. Switch off a stale map, if any.
            # (The version moves too, so `reindex_stale` does not pick it up again.)
            old = data.get(SEARCH_FIELD)
            switched_off = {"active": False, "bookable": False, "v": SCHEMA_VERSION}
            if isinstance(old, dict) and any(old.get(k) != v for k, v in switched_off.items()):
                ref.update({f"{SEARCH_FIELD}.{k}": v for k, v in switched_off.items()})
                return "deactivated"
            return "invalid"
        if not refresh_activity:
            _keep_activity(fields, data.get(SEARCH_FIELD))
        if _same(fields, data.get(SEARCH_FIELD)):
            return "unchanged"
        try:
            ref.update(
                {SEARCH_FIELD: fields},
                option=db.write_option(last_update_time=snap.update_time),
            )
            return "written"
        except gexc.NotFound:
            return "missing"
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted):
            continue
    return "contended"


def refresh_decayed(db: firestore.Client, *, clock: Clock, limit: int = 500) -> int:
    """Re-index experts whose stored activity points have decayed (scheduled daily).

    Until this runs, search stays exact (activity points can only fall, and the search merge
    allows for that); the refresh only keeps it cheap. Returns how many were rewritten.
    """
    now = clock.now()
    query = (
        db.collection(col.EXPERTS)
        .where(filter=firestore.FieldFilter(f"{SEARCH_FIELD}.activityPointsUntil", "<=", now))
        .order_by(f"{SEARCH_FIELD}.activityPointsUntil")
        .limit(limit)
    )
    return _resync(db, query, clock=clock, refresh_activity=True)


def _resync(
    db: firestore.Client, query: firestore.Query, *, clock: Clock, refresh_activity: bool
) -> int:
    """`sync_expert` on every expert `query` returns; how many were rewritten."""
    written = 0
    for snap in query.stream():
        outcome = sync_expert(db, expert_id=snap.id, clock=clock, refresh_activity=refresh_activity)
        written += outcome == "written"
    return written


def reindex_stale(db: firestore.Client, *, clock: Clock, limit: int = 500) -> int:
    """Rewrite maps of an older schema version (`search.v` below SCHEMA_VERSION), lowest
    first; returns how many were rewritten. Until it has run after a version bump, experts
    indexed under the old version are missing from default searches (an old map has no
    `bookable`), so run it right after such a deploy."""
    query = (
        db.collection(col.EXPERTS)
        .where(filter=firestore.FieldFilter(f"{SEARCH_FIELD}.v", "<", SCHEMA_VERSION))
        .order_by(f"{SEARCH_FIELD}.v")
        .limit(limit)
    )
    return _resync(db, query, clock=clock, refresh_activity=False)

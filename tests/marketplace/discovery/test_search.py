"""searchExperts against the Firestore emulator: every filter, the four sort orders, relevance with
personalisation, and cursor pagination checked against a brute-force reference."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.clock import FixedClock
from salamin.core.errors import InvalidArgument
from salamin.marketplace.discovery import ranking, search
from salamin.marketplace.discovery import search_index as idx
from salamin.marketplace.discovery.filters import ExpertSearchFilters, criteria_of
from salamin.marketplace.discovery.plans import SORTS, Desc
from tests.support.discovery import (
    NOW,
    busy_doc,
    catalogue,
    expert_doc,
    price,
    put_busy,
    put_expert,
    put_many,
    specialty,
    window,
)

USER = "user-1"


def run(
    db,
    *,
    filters=None,
    term=None,
    sort="relevance",
    size=20,
    cursor=None,
    slots=False,
    user=USER,
    now=NOW,
):  # type: ignore[no-untyped-def]
    return search.search_experts(
        db,
        user_id=user,
        filters=ExpertSearchFilters.model_validate(filters or {}),
        search_term=term,
        sort_by=sort,
        page_size=size,
        cursor=cursor,
        clock=FixedClock(now),
        with_slots=slots,
    )


def ids(page: search.SearchPage) -> list[str]:
    return [r["expert"]["expertId"] for r in page.results]


# --- a small hand-made catalogue --------------------------------------------------------------


def _small() -> list[dict[str, Any]]:
    weekdays = [1, 2, 3, 4, 5]
    return [
        expert_doc(
            "A",
            first="José",
            last="Núñez",
            role="Staff Engineer",
            company="Stripe",
            bio="Payments infrastructure",
            time_zone="Europe/London",
            windows=[window(d, "09:00", "12:00") for d in weekdays],
            working_days=weekdays,
            specialties=[specialty("technical", "mock_interview")],
            pricing={"mock_interview": price(12000, 60)},
            industries=["FinTech"],
            company_types=["big-tech"],
            languages=["en"],
            rating=4.8,
            years=12,
        ),
        expert_doc(
            "B",
            first="Zoë",
            last="Smith",
            role="Product Manager",
            company="Nubank",
            bio="Growth PM, ex-startup founder",
            time_zone="Asia/Kolkata",
            windows=[window(6, "10:00", "13:00", "resume_review", "career_coaching")],
            working_days=[6],
            specialties=[specialty("product", "resume_review", "career_coaching")],
            pricing={"resume_review": price(6000, 30), "career_coaching": price(9000, 60)},
            industries=["health"],
            company_types=["startup"],
            languages=["es"],
            rating=4.0,
            years=3,
        ),
        expert_doc(
            "C",
            first="Clara",
            last="Weiß",
            role="Principal",
            company="McKinsey",
            bio="Case interviews",
            time_zone="Europe/Berlin",
            windows=[window(2, "18:00", "21:00")],
            working_days=[2],
            specialties=[specialty("case_study", "mock_interview")],
            pricing={"mock_interview": price(20000, 60, currency="EUR")},
            industries=["consulting"],
            company_types=["consulting"],
            languages=["de", "en"],
            rating=5.0,
            years=20,
        ),
        expert_doc("D", vacation=True, industries=["fintech"]),
        expert_doc("E", status="inactive", industries=["fintech"]),
        expert_doc(
            "F",
            first="Omar",
            last="Haddad",
            role="Engineering Manager",
            company="Google",
            bio="Distributed systems",
            time_zone="America/New_York",
            windows=[
                window(d, "09:00", "17:00", "mock_interview", "salary_negotiation")
                for d in (1, 2, 3)
            ],
            working_days=[1, 2, 3],
            specialties=[
                specialty("system_design", "mock_interview"),
                specialty("technical", "salary_negotiation"),
            ],
            pricing={"mock_interview": price(15000, 60), "salary_negotiation": price(30000, 60)},
            industries=["fintech", "retail"],
            company_types=["big-tech"],
            languages=["en", "hi"],
            rating=3.5,
            years=7,
        ),
    ]


@pytest.fixture
def small(db):  # type: ignore[no-untyped-def]
    for data in _small():
        put_expert(db, data)
    return db


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"A", "B", "C", "F"}),
        ({"specialties": ["technical"]}, {"A", "F"}),
        ({"specialties": ["product", "case_study"]}, {"B", "C"}),
        ({"industries": ["FINTECH"]}, {"A", "F"}),
        ({"sessionTypes": ["salary_negotiation"]}, {"F"}),
        ({"companyTypes": ["Big Tech"]}, {"A", "F"}),
        ({"languages": ["ES"]}, {"B"}),
        ({"experience": {"min": 7, "max": 12}}, {"A", "F"}),
        ({"experience": {"max": 3}}, {"B"}),
        ({"rating": {"minimum": 4.8}}, {"A", "C"}),
        ({"priceRange": {"min": 10000, "max": 16000}}, {"A", "F"}),
        ({"priceRange": {"max": 6000}}, {"B"}),
        ({"priceRange": {"min": 25000}}, {"F"}),
        ({"priceRange": {"currency": "EUR"}}, {"C"}),
        # salary negotiation costs 30000: only mock interviews count when asked for
        ({"sessionTypes": ["mock_interview"], "priceRange": {"min": 25000}}, set()),
        (
            {
                "availability": {
                    "timeZone": "Asia/Kolkata",
                    "daysOfWeek": [1],
                    "timeSlots": ["13:00-18:00"],
                }
            },
            {"A"},
        ),
        (
            {
                "availability": {
                    "timeZone": "Europe/Berlin",
                    "daysOfWeek": [2],
                    "timeSlots": ["evening"],
                }
            },
            {"C", "F"},
        ),
        ({"availability": {"daysOfWeek": [6]}}, {"B"}),
    ],
)
def test_each_filter_alone(small, filters, expected) -> None:  # type: ignore[no-untyped-def]
    assert set(ids(run(small, filters=filters))) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jose", {"A"}),  # accent-insensitive name
        ("NÚÑEZ", {"A"}),
        ("eng", {"A", "F"}),  # word prefix of the role
        ("engineering manager", {"F"}),  # every word must match
        ("nubank", {"B"}),  # company
        ("founder", {"B"}),  # bio
        ("WEISS", {"C"}),  # "Weiß" case-folds to "weiss"
        ("kubernetes", set()),
    ],
)
def test_free_text_over_name_role_company_and_bio(small, term, expected) -> None:  # type: ignore[no-untyped-def]
    assert set(ids(run(small, term=term))) == expected


def test_filters_combine(small) -> None:  # type: ignore[no-untyped-def]
    filters = {
        "specialties": ["technical", "system_design"],
        "industries": ["fintech"],
        "languages": ["en"],
        "priceRange": {"max": 15000},
        "experience": {"min": 5},
    }
    assert set(ids(run(small, filters=filters))) == {"A", "F"}
    assert set(ids(run(small, filters={**filters, "rating": {"minimum": 4}}))) == {"A"}
    assert set(ids(run(small, filters=filters, term="omar"))) == {"F"}


def test_plan_uses_one_selective_array_filter(small) -> None:  # type: ignore[no-untyped-def]
    page = run(small, filters={"specialties": ["technical"], "industries": ["fintech"]})
    assert page.plan.field == "search.pairs"
    assert "specialty:technical|industry:fintech" in page.plan.values
    assert idx.overflow_token("specialty", "industry") in page.plan.values
    assert run(small, term="payments infra").plan.field == "search.tokens"
    assert run(small).plan.field is None


def test_sort_orders_and_their_tie_breaks(small) -> None:  # type: ignore[no-untyped-def]
    assert ids(run(small, sort="price")) == ["B", "A", "F", "C"]  # min hourly price ascending
    assert ids(run(small, sort="rating")) == ["C", "A", "B", "F"]
    assert ids(run(small, sort="experience")) == ["C", "A", "F", "B"]


def test_results_carry_public_profile_score_reason_and_next_slots(small) -> None:  # type: ignore[no-untyped-def]
    page = run(
        small,
        filters={
            "availability": {
                "timeZone": "Asia/Kolkata",
                "daysOfWeek": [1],
                "timeSlots": ["14:00-16:00"],
            }
        },
        slots=True,
    )
    (result,) = page.results
    expert = result["expert"]
    assert expert["expertId"] == "A"
    assert "email" not in expert["personalInfo"] and "phone" not in expert["personalInfo"]
    assert "search" not in expert
    # rating 4.8*20 + 12y (20) + 10 sessions (5) + active yesterday (10) + response 5h (5) -> cap
    assert result["relevanceScore"] == 100.0
    assert (
        result["recommendationReason"]
        == "Highly rated by students • Current Staff Engineer at Stripe"
    )
    slots = result["availableSlots"]
    assert [(s["date"], s["startTime"]) for s in slots] == [
        ("2026-11-02", "14:30"),
        ("2026-11-02", "15:00"),
        ("2026-11-09", "14:30"),
    ]  # London 09:00 and 09:30 shown in Kolkata, only inside the asked Monday window
    assert all(s["price"] == 12000 and s["currency"] == "USD" for s in slots)
    assert page.reads.slots == 1  # one busy query for the one result (empty: one read)


def test_next_slots_skip_booked_time(small) -> None:  # type: ignore[no-untyped-def]
    put_busy(small, "A", busy_doc(NOW, 90, session_id="s-1"))  # Monday 09:00-10:30 London
    (result,) = run(small, term="jose", slots=True).results
    assert [(s["expertDate"], s["expertStartTime"]) for s in result["availableSlots"]] == [
        ("2026-11-02", "10:30"),
        ("2026-11-02", "11:00"),
        ("2026-11-03", "09:00"),
    ]


def test_relevance_uses_spec_score_with_personalisation_and_no_per_expert_reads(small) -> None:  # type: ignore[no-untyped-def]
    small.document(col.user_profile_path(USER)).set({"targetCompanies": ["  google ", "Meta"]})
    small.collection(col.EXPERT_SESSIONS).document("past").set(
        {"userId": USER, "expertId": "B", "status": "completed"}
    )
    small.collection(col.EXPERT_SESSIONS).document("other").set(
        {"userId": "someone", "expertId": "C", "status": "completed"}
    )
    page = run(small, filters={"industries": ["fintech", "health", "consulting"]})
    scores = {r["expert"]["expertId"]: r["relevanceScore"] for r in page.results}
    # A: 96 + 20 + 5 + 10 + 5 = 136 -> 100. B: 80 + 6 + 5 + 10 + 5 + 8 industry + 15 past = 129 -> 100
    # F: 70 + 14 + 5 + 10 + 5 + 8 + 12 (Google is a target) = 124 -> 100; C capped too.
    assert scores == {"A": 100.0, "B": 100.0, "C": 100.0, "F": 100.0}
    assert page.reads.personal == 2  # the user's completed sessions + profile, once
    assert page.reads.experts <= 4 + 1 + 3  # the page, B by id, and one query per stream


def test_relevance_orders_by_capped_score_then_stored_key_then_id(db) -> None:  # type: ignore[no-untyped-def]
    low: dict[str, Any] = {"rating": 3.0, "years": 2, "sessions": 0, "response": 0.0, "ratings": 5}
    put_expert(db, expert_doc("x1", **low))  # 60 + 4 + 0 + 10 = 74
    put_expert(db, expert_doc("x2", **low))  # tie with x1: id descending breaks it
    put_expert(db, expert_doc("x3", **{**low, "last_active": NOW - timedelta(days=10)}))  # 69
    put_expert(db, expert_doc("x4", **{**low, "rating": 4.0}))  # 94
    page = run(db)
    assert ids(page) == ["x4", "x2", "x1", "x3"]
    assert [r["relevanceScore"] for r in page.results] == [94.0, 74.0, 74.0, 69.0]


def test_target_company_bonus_reorders_results(db) -> None:  # type: ignore[no-untyped-def]
    low: dict[str, Any] = {"rating": 3.0, "years": 2, "sessions": 0, "response": 0.0, "ratings": 5}
    put_expert(db, expert_doc("g", company="Stripe", previous_companies=["Google"], **low))
    put_expert(
        db, expert_doc("h", company="Acme", previous_companies=["Acme"], **{**low, "rating": 3.5})
    )
    assert ids(run(db)) == ["h", "g"]  # 84 vs 74
    db.document(col.user_profile_path(USER)).set({"targetCompanies": ["GOOGLE"]})
    page = run(db)
    assert ids(page) == ["g", "h"]  # 74 + 12 = 86
    assert [r["relevanceScore"] for r in page.results] == [86.0, 84.0]


# --- pagination against a brute-force reference -----------------------------------------------


def _reference(experts, filters, term, sort, personal, now):  # type: ignore[no-untyped-def]
    criteria = criteria_of(ExpertSearchFilters.model_validate(filters), term, now=now)
    spec = SORTS[sort]
    rows = []
    for data in experts:
        fields = idx.search_fields(data, now=now)
        if not search.matches(fields, data, criteria):
            continue
        perf = data["performance"]
        points = (
            ranking.base_points(
                average_rating=perf["averageRating"],
                total_ratings=perf["totalRatings"],
                years_of_experience=data["professionalInfo"]["yearsOfExperience"],
                total_sessions=perf["totalSessions"],
                response_time=perf["responseTime"],
            )
            + ranking.activity_points(data["lastActiveAt"], now)
            + ranking.match_points(
                wanted_specialties=sorted(criteria.specialties),
                specialties=fields["specialties"],
                wanted_industries=sorted(criteria.industries),
                industries=fields["industries"],
            )
            + personal.points(expert_id=data["expertId"], companies=fields["companies"])
        )
        value = fields[spec.field]
        if sort == "relevance":
            key = (-ranking.capped(points), -value, Desc(data["expertId"]))
        else:
            key = spec.pos(value, data["expertId"])
        rows.append((key, data["expertId"]))
    return [expert_id for _, expert_id in sorted(rows)]


CASES = [
    ({}, None),
    ({"specialties": ["technical", "product", "leadership"]}, None),
    ({"industries": ["fintech", "retail"], "languages": ["en"]}, None),
    ({"sessionTypes": ["mock_interview"], "priceRange": {"max": 12000}}, None),
    ({"rating": {"minimum": 4.5}, "experience": {"min": 5}}, None),
    ({"availability": {"timeZone": "America/New_York", "timeSlots": ["morning"]}}, None),
    ({}, "google"),
]


@pytest.fixture(scope="module")
def big_catalogue() -> list[dict[str, Any]]:
    return catalogue(80)


@pytest.mark.parametrize("sort", ["relevance", "price", "rating", "experience"])
def test_pages_match_the_reference_without_duplicates_or_gaps(db, big_catalogue, sort) -> None:  # type: ignore[no-untyped-def]
    put_many(db, big_catalogue)
    db.document(col.user_profile_path(USER)).set({"targetCompanies": ["Bain", "Shopify"]})
    past = ["exp-003", "exp-017", "exp-040"]
    for n, expert_id in enumerate(past):
        db.collection(col.EXPERT_SESSIONS).document(f"done-{n}").set(
            {"userId": USER, "expertId": expert_id, "status": "completed"}
        )
    personal = ranking.Personal(
        past_expert_ids=frozenset(past), target_companies=frozenset({"bain", "shopify"})
    )
    for filters, term in CASES:
        expected = _reference(big_catalogue, filters, term, sort, personal, NOW)
        seen: list[str] = []
        cursor = None
        for _ in range(40):
            page = run(db, filters=filters, term=term, sort=sort, size=7, cursor=cursor)
            seen += ids(page)
            assert len(page.results) == 7 or page.next_cursor is None
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected, (filters, term)
        assert len(set(seen)) == len(seen)


def test_reads_stay_near_the_page_size(db, big_catalogue) -> None:  # type: ignore[no-untyped-def]
    put_many(db, big_catalogue)
    page = run(db, sort="rating", size=5)
    assert page.reads.experts <= 10
    page = run(db, sort="relevance", size=5)
    assert page.reads.experts <= 20


# --- cursor and request errors ----------------------------------------------------------------


def test_cursor_from_another_search_or_tampered_is_rejected(db, big_catalogue) -> None:  # type: ignore[no-untyped-def]
    put_many(db, big_catalogue)
    cursor = run(db, sort="price", size=3).next_cursor
    assert cursor
    with pytest.raises(InvalidArgument) as exc:
        run(db, sort="rating", size=3, cursor=cursor)
    assert exc.value.fields[0]["path"] == "cursor"
    with pytest.raises(InvalidArgument) as exc:
        run(db, sort="price", size=3, cursor=cursor[:-6] + "AAAAAA")
    assert exc.value.fields[0]["path"] == "cursor"
    with pytest.raises(InvalidArgument) as exc:
        run(db, sort="price", size=3, cursor=cursor, user="another-user")
    assert "different search" in exc.value.message
    with pytest.raises(InvalidArgument, match="expired"):
        run(db, sort="price", size=3, cursor=cursor, now=NOW + timedelta(days=2))


def test_cursor_with_forged_stream_positions_is_rejected(db, big_catalogue) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json

    put_many(db, big_catalogue)
    cursor = run(db, size=3).next_cursor
    assert cursor
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload["s"] = {"main": ["at", {"$gt": 1}, "exp-001"]}
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(InvalidArgument) as exc:
        run(db, size=3, cursor=forged)
    assert exc.value.fields[0]["path"] == "cursor"


def test_unknown_sort_and_page_size_are_invalid(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as exc:
        run(db, sort="popularity")
    assert exc.value.fields[0]["path"] == "sortBy"
    with pytest.raises(InvalidArgument) as exc:
        run(db, size=0)
    assert exc.value.fields[0]["path"] == "pageSize"


def test_malformed_expert_documents_are_never_indexed_or_found(db) -> None:  # type: ignore[no-untyped-def]
    db.collection(col.EXPERTS).document("raw").set({"expertId": "raw", "status": "active"})
    assert idx.sync_expert(db, expert_id="raw", clock=FixedClock(NOW)) == "invalid"
    assert "search" not in db.collection(col.EXPERTS).document("raw").get().to_dict()
    assert run(db).results == []

"""searchExperts and getAvailableSlots through the Functions emulator, called exactly as the web
client calls them (Auth-emulator ID token, callable protocol)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from tests.support.discovery import expert_doc, put_expert, window
from tests.support.emulators import AuthEmulator, CallableError, call

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]


@pytest.fixture
def token(emulators) -> str:  # type: ignore[no-untyped-def]
    return AuthEmulator(emulators.endpoints).sign_up("candidate@example.com").id_token


@pytest.fixture
def experts(db) -> list[str]:  # type: ignore[no-untyped-def]
    """Three experts indexed as of now (the functions run on the system clock)."""
    now = datetime.now(UTC)
    specs = [
        ("ana", "Ana", "García", 4.9, "Europe/Madrid", ["es", "en"]),
        ("ben", "Ben", "Okafor", 4.2, "America/New_York", ["en"]),
        ("chen", "Chen", "Wei", 3.8, "Asia/Kolkata", ["en", "hi"]),
    ]
    for expert_id, first, last, rating, zone, languages in specs:
        put_expert(
            db,
            expert_doc(
                expert_id,
                first=first,
                last=last,
                rating=rating,
                time_zone=zone,
                languages=languages,
                windows=[window(d, "09:00", "17:00") for d in ALL_DAYS],
                last_active=now - timedelta(days=1),
                now=now,
            ),
            now=now,
        )
    return [s[0] for s in specs]


def errors(exc: pytest.ExceptionInfo[CallableError]) -> set[str]:
    return {f["path"] for f in (exc.value.details or {}).get("fields", [])}


def test_search_experts_over_http_with_filters_sort_and_pages(endpoints, token, experts) -> None:  # type: ignore[no-untyped-def]
    first = call(
        endpoints,
        "searchExperts",
        {
            "filters": {"languages": ["en"], "rating": {"minimum": 4}},
            "sortBy": "rating",
            "pageSize": 1,
        },
        token=token,
    )
    assert [r["expert"]["expertId"] for r in first["results"]] == ["ana"]
    result = first["results"][0]
    assert "email" not in result["expert"]["personalInfo"]
    assert "phone" not in result["expert"]["personalInfo"]
    assert 0 <= result["relevanceScore"] <= 100
    assert len(result["availableSlots"]) == 3
    assert {"date", "startTime", "endTime", "sessionTypes", "price", "startUtc"} <= set(
        result["availableSlots"][0]
    )
    second = call(
        endpoints,
        "searchExperts",
        {
            "filters": {"languages": ["en"], "rating": {"minimum": 4}},
            "sortBy": "rating",
            "pageSize": 1,
            "cursor": first["nextCursor"],
        },
        token=token,
    )
    assert [r["expert"]["expertId"] for r in second["results"]] == ["ben"]
    assert second["nextCursor"] is None


def test_search_experts_free_text_is_accent_insensitive(endpoints, token, experts) -> None:  # type: ignore[no-untyped-def]
    found = call(endpoints, "searchExperts", {"searchTerm": "GARCIA"}, token=token)
    assert [r["expert"]["expertId"] for r in found["results"]] == ["ana"]


def test_get_available_slots_in_the_requesters_zone(endpoints, token, experts) -> None:  # type: ignore[no-untyped-def]
    got = call(
        endpoints,
        "getAvailableSlots",
        {"expertId": "chen", "daysAhead": 3, "duration": 60, "timeZone": "Europe/London"},
        token=token,
    )
    assert got["expertTimeZone"] == "Asia/Kolkata" and got["timeZone"] == "Europe/London"
    assert got["slots"], "the expert works every day"
    for slot in got["slots"]:
        start = datetime.fromisoformat(slot["startUtc"].replace("Z", "+00:00"))
        assert start > datetime.now(UTC)
        assert slot["startTime"].endswith((":00", ":30"))
        assert slot["price"] == 12000  # 120.00/h for 60 minutes, integer minor units
    # 09:00 in Kolkata is 03:30 in London (GMT) in winter, 04:30 in summer
    local_nine = [s for s in got["slots"] if s["expertStartTime"] == "09:00"]
    assert {s["startTime"] for s in local_nine} <= {"03:30", "04:30"}


def test_signed_out_callers_are_refused(endpoints, experts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CallableError) as exc:
        call(endpoints, "searchExperts", {})
    assert exc.value.code == "unauthenticated"
    with pytest.raises(CallableError) as exc:
        call(endpoints, "getAvailableSlots", {"expertId": "ana", "daysAhead": 3})
    assert exc.value.code == "unauthenticated"


@pytest.mark.parametrize(
    ("name", "data", "path"),
    [
        (
            "getAvailableSlots",
            {"expertId": "ana", "daysAhead": 3, "timeZone": "Mars/Olympus"},
            "timeZone",
        ),
        ("getAvailableSlots", {"expertId": "ana", "daysAhead": 61}, "daysAhead"),
        ("getAvailableSlots", {"expertId": "ana", "daysAhead": 0}, "daysAhead"),
        (
            "getAvailableSlots",
            {"expertId": "ana", "daysAhead": 3, "sessionType": "massage"},
            "sessionType",
        ),
        ("getAvailableSlots", {"expertId": "ana", "daysAhead": 3, "duration": -30}, "duration"),
        ("getAvailableSlots", {"expertId": "ana", "daysAhead": 3, "duration": 45}, "duration"),
        (
            "searchExperts",
            {"filters": {"availability": {"timeZone": "Nowhere/Land"}}},
            "filters.availability.timeZone",
        ),
        (
            "searchExperts",
            {"filters": {"experience": {"min": 10, "max": 2}}},
            "filters.experience.max",
        ),
        ("searchExperts", {"filters": {"experience": {"min": -1}}}, "filters.experience.min"),
        ("searchExperts", {"filters": {"priceRange": {"min": -100}}}, "filters.priceRange.min"),
        (
            "searchExperts",
            {"filters": {"priceRange": {"min": 900, "max": 100}}},
            "filters.priceRange.max",
        ),
        ("searchExperts", {"filters": {"priceRange": {"max": 99.5}}}, "filters.priceRange.max"),
        ("searchExperts", {"filters": {"rating": {"minimum": 6}}}, "filters.rating.minimum"),
        ("searchExperts", {"filters": {"specialties": ["astrology"]}}, "filters.specialties.0"),
        ("searchExperts", {"filters": {"sessionTypes": ["massage"]}}, "filters.sessionTypes.0"),
        (
            "searchExperts",
            {"filters": {"availability": {"daysOfWeek": [7]}}},
            "filters.availability.daysOfWeek.0",
        ),
        (
            "searchExperts",
            {"filters": {"availability": {"timeSlots": ["18:00-09:00"]}}},
            "filters.availability.timeSlots.0",
        ),
        ("searchExperts", {"filters": {"budget": 5}}, "filters.budget"),
        ("searchExperts", {"sortBy": "popularity"}, "sortBy"),
        ("searchExperts", {"pageSize": 500}, "pageSize"),
        ("searchExperts", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_input_is_invalid_argument_with_field_paths(
    endpoints, token, experts, name, data, path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CallableError) as exc:
        call(endpoints, name, data, token=token)
    assert exc.value.code == "invalid-argument"
    assert path in errors(exc), exc.value.details


def test_unknown_expert_is_not_found(endpoints, token, experts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CallableError) as exc:
        call(endpoints, "getAvailableSlots", {"expertId": "nobody", "daysAhead": 3}, token=token)
    assert exc.value.code == "not-found"


def test_vacation_expert_is_hidden_from_search_and_has_no_slots(
    endpoints, token, experts, db
) -> None:  # type: ignore[no-untyped-def]
    ref = db.collection(col.EXPERTS).document("ben")
    ref.update({"availability.vacationMode": True})  # the trigger re-indexes it

    def ids() -> list[Any]:
        found = call(endpoints, "searchExperts", {"pageSize": 10}, token=token)
        return sorted(r["expert"]["expertId"] for r in found["results"])

    import time

    deadline = time.monotonic() + 40
    while ids() != ["ana", "chen"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ids() == ["ana", "chen"]
    got = call(endpoints, "getAvailableSlots", {"expertId": "ben", "daysAhead": 7}, token=token)
    assert got["slots"] == [] and got["unavailableReason"] == "the expert is on vacation"


def test_rules_public_profiles_free_busy_and_server_only_search_fields(
    emulators, experts, db
) -> None:  # type: ignore[no-untyped-def]
    """firestore.rules as a client sees them (docs/rules-discovery.md)."""
    from tests.support.discovery import busy_doc, put_busy
    from tests.support.emulators import FirestoreRest, unsigned_token

    rest = FirestoreRest(emulators.endpoints)
    someone, owner = unsigned_token("someone"), unsigned_token("ana")
    put_busy(db, "ana", busy_doc(datetime.now(UTC) + timedelta(days=2), 60, session_id="s-9"))
    db.document("expertCalendars/ana/locks/20260101T0900Z").set({"sessionId": "s-9"})
    assert rest.get("experts/ana", someone) == 200
    assert rest.get("experts/ana", None) == 403
    assert rest.get("expertCalendars/ana/busy/s-9", someone) == 200
    assert rest.get("expertCalendars/ana/busy/s-9", None) == 403
    assert rest.get("expertCalendars/ana/locks/20260101T0900Z", someone) == 403
    for token in (someone, owner):
        assert rest.patch("experts/ana", {"search": {"active": True}}, token) == 403

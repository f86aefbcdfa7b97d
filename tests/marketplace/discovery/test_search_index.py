"""Server-maintained search fields (salamin.marketplace.discovery.search_index): the pure computation, the
sync function against the emulator, and the real trigger through the Functions emulator."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from salamin.core import collections as col
from salamin.core.clock import FixedClock
from salamin.marketplace.discovery import search_index as idx
from tests.support.discovery import (
    NOW,
    expert_doc,
    price,
    put_expert,
    specialty,
    window,
)


def test_fold_and_normalise_are_case_and_accent_insensitive() -> None:
    assert idx.fold("Zoë MÜLLER-Łukasz Ørsted") == "zoe muller-lukasz orsted"
    assert idx.words("Société Générale, São Paulo!") == ["societe", "generale", "sao", "paulo"]
    assert idx.normalise_value(" Big Tech ") == "big-tech"
    assert idx.normalise_value("big-tech") == "big-tech"
    assert idx.query_words("  Ré  x Staff") == ["re", "staff"]


def test_tokens_are_word_prefixes_of_name_role_company_and_bio() -> None:
    tokens = set(
        idx.text_tokens(
            primary=["José", "Núñez", "Staff Engineer", "Mercado Libre"], bio="Kubernetes"
        )
    )
    assert {"jo", "jos", "jose", "nu", "nunez", "staff", "eng", "mercado", "li", "kube"} <= tokens
    assert "j" not in tokens and "ose" not in tokens


def test_token_cap_keeps_primary_fields_first() -> None:
    bio = " ".join(f"word{i:05d}" for i in range(2000))
    tokens = idx.text_tokens(primary=["Grace", "Hopper"], bio=bio)
    assert len(tokens) == idx.MAX_TOKENS
    assert {"grace", "hopper", "gr"} <= set(tokens)


def test_facets_pairs_and_overflow_marker() -> None:
    data = expert_doc(
        industries=["FinTech", "Health Care"],
        company_types=["Startup"],
        languages=["en", "Español"],
        specialties=[
            specialty("technical", "mock_interview"),
            specialty("product", "resume_review"),
        ],
        pricing={"mock_interview": price(12000, 60), "resume_review": price(8000, 30)},
    )
    fields = idx.search_fields(data, now=NOW)
    facets = set(fields["facets"])
    assert {
        "specialty:technical",
        "specialty:product",
        "sessionType:mock_interview",
        "sessionType:resume_review",
        "industry:fintech",
        "industry:health-care",
        "companyType:startup",
        "language:espanol",
        "currency:USD",
    } <= facets
    pairs = set(fields["pairs"])
    assert "specialty:product|industry:fintech" in pairs
    assert idx.pair_token("language", "en", "specialty", "technical") in pairs
    assert fields["prices"] == {"mock_interview": 12000, "resume_review": 8000}
    assert (fields["minHourlyPrice"], fields["maxHourlyPrice"]) == (8000, 12000)

    many = expert_doc(
        industries=[f"ind{i}" for i in range(9)], company_types=[f"t{i}" for i in range(8)]
    )
    pairs = idx.search_fields(many, now=NOW)["pairs"]
    assert idx.overflow_token("companyType", "industry") in pairs  # 72 > 64 pairs
    assert not any(p.startswith("industry:") and "|companyType:" in p for p in pairs)


def test_availability_blocks_cover_both_dst_offsets() -> None:
    # Monday 09:00-12:00 London: 09:00-12:00 UTC in winter, 08:00-11:00 UTC in summer.
    data = expert_doc(windows=[window(1, "09:00", "12:00")], working_days=[1])
    blocks = idx.availability_blocks(data["availability"], "Europe/London")
    assert blocks == [8]  # Monday 08:00-12:00 UTC (4-hour blocks from Sunday 00:00 UTC)
    # Saturday 23:00-23:59 in Los Angeles is Sunday 06:00/07:00 UTC: wraps to the week's start.
    late = expert_doc(windows=[window(6, "23:00", "23:59")], working_days=[6])
    assert idx.availability_blocks(late["availability"], "America/Los_Angeles") == [1]
    # Monday 12:00-15:00 in Kolkata is Monday 06:30-09:30 UTC: blocks 04-08 and 08-12 UTC.
    split = expert_doc(windows=[window(1, "12:00", "15:00")], working_days=[1])
    assert idx.availability_blocks(split["availability"], "Asia/Kolkata") == [7, 8]
    # A window on a day off is no availability at all.
    off = expert_doc(windows=[window(2, "09:00", "12:00")], working_days=[1])
    assert idx.availability_blocks(off["availability"], "Europe/London") == []


def test_active_excludes_vacation_and_non_active_status() -> None:
    assert idx.search_fields(expert_doc(), now=NOW)["active"] is True
    assert idx.search_fields(expert_doc(vacation=True), now=NOW)["active"] is False
    assert idx.search_fields(expert_doc(status="suspended"), now=NOW)["active"] is False


def test_relevance_key_is_profile_points_plus_activity_at_index_time() -> None:
    data = expert_doc(rating=4.5, ratings=10, years=8, sessions=10, response=5.0)
    fields = idx.search_fields(data, now=NOW)
    assert fields["relevanceBase"] == 900 + 160 + 50 + 50
    assert fields["activityPoints"] == 100  # active yesterday
    assert fields["relevanceKey"] == fields["relevanceBase"] + 100
    assert fields["activityPointsUntil"] == NOW - timedelta(days=1) + timedelta(days=7)
    assert fields["companies"] == ["analytical-engines", "babbage-co"]


def test_search_fields_ignore_an_existing_search_map() -> None:
    data = expert_doc()
    once = idx.search_fields(data, now=NOW)
    assert idx.search_fields({**data, "search": once}, now=NOW) == once


# --- against the emulator ---------------------------------------------------------------------


def test_sync_expert_writes_once_then_reports_unchanged(db) -> None:  # type: ignore[no-untyped-def]
    """The live trigger may get there first; either way the second sync changes nothing."""
    clock = FixedClock(NOW)
    ref = db.collection(col.EXPERTS).document("e1")
    ref.set(expert_doc("e1"))
    assert idx.sync_expert(db, expert_id="e1", clock=clock) in {"written", "unchanged"}
    stored = ref.get().to_dict()["search"]
    assert stored["active"] is True and "ada" in stored["tokens"]
    assert idx.sync_expert(db, expert_id="e1", clock=clock) == "unchanged"
    assert idx.sync_expert(db, expert_id="gone", clock=clock) == "missing"


def test_sync_keeps_stored_activity_points_until_last_active_changes(db) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    put_expert(db, expert_doc("e2", last_active=NOW - timedelta(days=6)), now=NOW)
    ref = db.collection(col.EXPERTS).document("e2")
    clock.advance(timedelta(days=2))
    assert idx.sync_expert(db, expert_id="e2", clock=clock) == "unchanged"
    assert ref.get().to_dict()["search"]["activityPoints"] == 100
    ref.update({"lastActiveAt": clock.now()})
    idx.sync_expert(db, expert_id="e2", clock=clock)
    assert ref.get().to_dict()["search"]["activityPointsUntil"] == clock.now() + timedelta(days=7)


def test_refresh_decayed_rewrites_only_experts_whose_activity_points_fell(db) -> None:  # type: ignore[no-untyped-def]
    clock = FixedClock(NOW)
    for expert_id, days in (("recent", 6), ("stale", 40)):
        put_expert(db, expert_doc(expert_id, last_active=NOW - timedelta(days=days)), now=NOW)
    assert idx.refresh_decayed(db, clock=clock) == 0
    clock.advance(timedelta(days=2))
    assert idx.refresh_decayed(db, clock=clock) == 1
    search = db.collection(col.EXPERTS).document("recent").get().to_dict()["search"]
    assert search["activityPoints"] == 50
    assert search["relevanceKey"] == search["relevanceBase"] + 50


def _wait_for(read: Any, predicate: Any, *, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while time.monotonic() < deadline:
        value = read()
        if predicate(value):
            return value
        time.sleep(0.25)
    raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")


def test_trigger_keeps_search_fields_in_sync_after_a_profile_edit(db) -> None:  # type: ignore[no-untyped-def]
    """Through the Functions emulator: create, edit, and no write loop afterwards."""
    ref = db.collection(col.EXPERTS).document("live-1")
    ref.set(expert_doc("live-1", role="Data Scientist", bio="Kaggle grandmaster"))

    def search() -> dict[str, Any]:
        return (ref.get().to_dict() or {}).get("search") or {}

    first = _wait_for(search, lambda s: "kaggle" in s.get("tokens", []))
    assert "data" in first["tokens"] and first["active"] is True

    ref.update(
        {
            "personalInfo.bio": "Ex-Zalando search engineer",
            "pricing.sessionTypes.mock_interview.basePrice": 9000,
            "availability.vacationMode": True,
        }
    )
    edited = _wait_for(search, lambda s: "zalando" in s.get("tokens", []))
    assert "kaggle" not in edited["tokens"]
    assert edited["minHourlyPrice"] == 9000
    assert edited["active"] is False

    # The trigger's own write fires it again, finds nothing to change, and stops.
    settled = ref.get().update_time
    time.sleep(3)
    assert ref.get().update_time == settled

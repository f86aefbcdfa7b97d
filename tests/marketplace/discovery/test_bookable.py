"""Search offers only experts who can take payment (issue 14 item 6): the `search.bookable` index
flag, each result's `bookable`, the opt-in `includeUnbookable`, the schema-version reindex, and
the index following `account.updated` (the payout writer) through the live trigger."""

from __future__ import annotations

import time
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.clock import FixedClock
from salamin.core.errors import InvalidArgument
from salamin.marketplace.booking import payouts
from salamin.marketplace.discovery import search
from salamin.marketplace.discovery import search_index as idx
from salamin.marketplace.discovery.filters import ExpertSearchFilters
from tests.support.discovery import NOW, expert_doc, put_expert, put_many

USER = "user-1"


def run(
    db: Any,
    *,
    include: bool = False,
    slots: bool = True,
    term: str | None = None,
    size: int = 20,
    cursor: str | None = None,
) -> Any:
    return search.search_experts(
        db,
        user_id=USER,
        filters=ExpertSearchFilters(),
        search_term=term,
        sort_by="relevance",
        page_size=size,
        cursor=cursor,
        clock=FixedClock(NOW),
        with_slots=slots,
        include_unbookable=include,
    )


def by_id(page: Any) -> dict[str, dict[str, Any]]:
    return {r["expert"]["expertId"]: r for r in page.results}


def test_index_fields_follow_the_one_policy() -> None:
    ready = idx.search_fields(expert_doc(), now=NOW)
    assert ready["v"] == idx.SCHEMA_VERSION == 2
    assert (ready["active"], ready["bookable"], ready["notBookableReason"]) == (True, True, None)
    unpaid = idx.search_fields(expert_doc(payouts=False), now=NOW)
    assert (unpaid["active"], unpaid["bookable"]) == (True, False)
    assert unpaid["notBookableReason"] == "expert_payouts_not_ready"
    away = idx.search_fields(expert_doc(vacation=True), now=NOW)
    assert (away["active"], away["bookable"], away["notBookableReason"]) == (
        False,
        False,
        "expert_on_vacation",
    )
    # a body without the mirror at all (as activation writes it) is not bookable
    raw = expert_doc()
    del raw["payoutsEnabled"]
    assert idx.search_fields(raw, now=NOW)["bookable"] is False


@pytest.fixture
def four(db):  # type: ignore[no-untyped-def]
    """One bookable expert and one of each way not to be."""
    put_many(
        db,
        [
            expert_doc("ready"),
            expert_doc("unpaid", payouts=False),
            expert_doc("away", vacation=True),
            expert_doc("gone", status="suspended"),
        ],
    )
    return db


def test_default_search_hides_experts_who_cannot_take_payment(four) -> None:  # type: ignore[no-untyped-def]
    page = by_id(run(four))
    assert set(page) == {"ready"}
    assert page["ready"]["bookable"] is True and "notBookableReason" not in page["ready"]
    assert page["ready"]["availableSlots"]


def test_include_unbookable_lists_them_marked_and_without_slots(four) -> None:  # type: ignore[no-untyped-def]
    page = by_id(run(four, include=True))
    # listed: active and not on vacation; suspended and vacationing experts stay out of search
    assert set(page) == {"ready", "unpaid"}
    assert page["unpaid"]["bookable"] is False
    assert page["unpaid"]["notBookableReason"] == "expert_payouts_not_ready"
    assert page["unpaid"]["availableSlots"] == []
    assert page["ready"]["bookable"] is True and page["ready"]["availableSlots"]


def test_a_stale_map_never_offers_an_expert_whose_payouts_went_off(db) -> None:  # type: ignore[no-untyped-def]
    """The map says bookable (the trigger has not run yet), the document says not: the exact
    in-memory check reads the document."""
    data = expert_doc("lagging")
    stale = {**data, "search": idx.search_fields(data, now=NOW), "payoutsEnabled": False}
    db.collection(col.EXPERTS).document("lagging").set(stale)
    assert "lagging" not in by_id(run(db, slots=False))
    listed = by_id(run(db, include=True))
    assert listed["lagging"]["bookable"] is False and listed["lagging"]["availableSlots"] == []


def test_cursors_of_the_two_modes_do_not_mix(db) -> None:  # type: ignore[no-untyped-def]
    put_many(db, [expert_doc(f"e{i}", payouts=i % 2 == 0) for i in range(6)])
    first = run(db, include=True, slots=False, size=2)
    assert first.next_cursor
    with pytest.raises(InvalidArgument, match="different search"):
        run(db, slots=False, size=2, cursor=first.next_cursor)
    second = run(db, include=True, slots=False, size=2, cursor=first.next_cursor)
    assert not set(by_id(first)) & set(by_id(second))


def test_reindex_stale_rewrites_old_versions_once(db) -> None:  # type: ignore[no-untyped-def]
    """A map of schema version 1 has no `bookable`: default search misses the expert until the
    reindex (run by the daily refresh) rewrites it; invalid bodies are switched off for good."""
    data = expert_doc("old")
    v1 = {k: v for k, v in idx.search_fields(data, now=NOW).items() if k != "notBookableReason"}
    v1.update(v=1)
    del v1["bookable"]
    ref = db.collection(col.EXPERTS).document("old")
    ref.set({**data, "search": v1})
    db.collection(col.EXPERTS).document("broken").set(
        {"expertId": "broken", "search": {"v": 1, "active": True}}
    )
    clock = FixedClock(NOW)
    # the live trigger may have rewritten both already; whatever is left, the reindex finishes
    idx.reindex_stale(db, clock=clock)
    assert idx.reindex_stale(db, clock=clock) == 0
    fields = ref.get().to_dict()["search"]
    assert fields["v"] == 2 and fields["bookable"] is True
    assert "old" in by_id(run(db, slots=False))
    broken = db.collection(col.EXPERTS).document("broken").get().to_dict()["search"]
    assert broken == {"v": 2, "active": False, "bookable": False}


def _wait_for(read: Any, predicate: Any, *, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while not predicate(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value: {value!r}")
        time.sleep(0.25)
        value = read()
    return value


def _account(*, ready: bool) -> dict[str, Any]:
    return {
        "id": "acct_live_sync",
        "object": "account",
        "charges_enabled": ready,
        "payouts_enabled": ready,
        "details_submitted": ready,
        "capabilities": {"transfers": "active" if ready else "inactive"},
        "metadata": {"expertId": "live-pay"},
    }


def test_account_updated_moves_the_expert_in_and_out_of_search(db) -> None:  # type: ignore[no-untyped-def]
    """Through the Functions emulator's syncExpertSearchFields trigger: the webhook's writer
    (`payouts.sync_account`) flips `payoutsEnabled`, and the index follows."""
    ref = db.collection(col.EXPERTS).document("live-pay")
    put_expert(db, expert_doc("live-pay", payouts=False, last="Paysync"))

    def fields() -> dict[str, Any]:
        return (ref.get().to_dict() or {}).get("search") or {}

    assert fields()["bookable"] is False
    assert payouts.sync_account(db, account=_account(ready=True), event_created=100)
    assert _wait_for(fields, lambda s: s.get("bookable") is True)["notBookableReason"] is None
    assert "live-pay" in by_id(run(db, slots=False, term="paysync"))
    # Stripe turns payouts off again (e.g. a verification lapsed): out of default search
    assert payouts.sync_account(db, account=_account(ready=False), event_created=200)
    gone = _wait_for(fields, lambda s: s.get("bookable") is False)
    assert gone["notBookableReason"] == "expert_payouts_not_ready"
    assert "live-pay" not in by_id(run(db, slots=False, term="paysync"))

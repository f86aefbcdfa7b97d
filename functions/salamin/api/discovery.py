"""Callables and triggers of spec §1.2 (ExpertSearchService). Request names follow the spec."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.core.log import log
from salamin.marketplace.calendar import availability, intervals
from salamin.marketplace.discovery import search, search_index
from salamin.marketplace.discovery.filters import MAX_PAGE_SIZE, ExpertSearchFilters, SortBy
from salamin.models.base import DocId, SalaminModel, TimeZoneName
from salamin.models.expert import SessionType


class SearchExpertsRequest(SalaminModel):
    """The spec's `searchExperts(filters, userId)`: the user is the signed-in caller."""

    filters: ExpertSearchFilters = ExpertSearchFilters()
    searchTerm: Annotated[str, Field(max_length=200)] | None = None
    sortBy: SortBy = "relevance"
    pageSize: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = 20
    cursor: Annotated[str, Field(max_length=4000, pattern=r"^[A-Za-z0-9_=-]+$")] | None = None
    includeUnbookable: bool = False
    """Also list active experts who cannot be booked yet (payouts not set up): their results
    say `bookable: false` with a `notBookableReason` and offer no slots."""


class GetAvailableSlotsRequest(SalaminModel):
    expertId: DocId
    daysAhead: Annotated[int, Field(ge=1, le=availability.MAX_DAYS_AHEAD)] = 14
    sessionType: SessionType | None = None
    duration: Annotated[int, Field(ge=15, le=intervals.MAX_SESSION_MINUTES)] | None = None
    timeZone: TimeZoneName | None = None
    """The requester's zone for `date`/`startTime`/`endTime` (default: the expert's)."""


def search_experts(caller: Caller, req: SearchExpertsRequest) -> dict[str, Any]:
    page = search.search_experts(
        firebase.db(),
        user_id=caller.uid,
        filters=req.filters,
        search_term=req.searchTerm,
        sort_by=req.sortBy,
        page_size=req.pageSize,
        cursor=req.cursor,
        clock=SystemClock(),
        include_unbookable=req.includeUnbookable,
    )
    log(
        "search.page",
        results=len(page.results),
        plan=page.plan.description,
        sortBy=page.sort_by,
        reads=page.reads.as_dict(),
    )
    return page.to_wire()


def get_available_slots(caller: Caller, req: GetAvailableSlotsRequest) -> dict[str, Any]:
    del caller  # any signed-in user may see an expert's free slots
    result = availability.get_available_slots(
        firebase.db(),
        expert_id=req.expertId,
        days_ahead=req.daysAhead,
        now=SystemClock().now(),
        session_type=req.sessionType,
        duration=req.duration,
        time_zone=req.timeZone,
    )
    return result.to_wire()


def sync_expert_search(expert_id: str) -> None:
    """Trigger body for writes to `experts/{expertId}`."""
    outcome = search_index.sync_expert(firebase.db(), expert_id=expert_id, clock=SystemClock())
    log("search.sync", expertId=expert_id, outcome=outcome)


def refresh_search_activity() -> None:
    """Scheduled body: re-index maps of an older schema version, then experts whose activity
    points decayed."""
    db, clock = firebase.db(), SystemClock()
    migrated = 0
    while batch := search_index.reindex_stale(db, clock=clock):
        migrated += batch
    written = search_index.refresh_decayed(db, clock=clock)
    log("search.refresh", rewritten=written, migrated=migrated)

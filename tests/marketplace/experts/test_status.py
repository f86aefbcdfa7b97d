"""setExpertStatus: admins suspend and reinstate, experts pause themselves; a non-active expert
leaves search and cannot be booked; suspension lists future sessions and cancels none."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied
from salamin.marketplace.booking import lifecycle
from salamin.marketplace.discovery import search, search_index
from salamin.marketplace.experts import status
from tests.support.booking import EXPERT, USER, USER2, World

ADMIN = Caller(uid="admin-1", is_admin=True)
ME = Caller(uid=EXPERT)


def set_status(
    world: World, caller: Caller, to: status.ManagedStatus, reason: str = "because"
) -> status.StatusChange:
    return status.set_expert_status(
        world.db,
        caller=caller,
        expert_id=EXPERT,
        status=to,
        reason=reason,
        clock=world.clock,
    )


def searchable(world: World) -> bool:
    search_index.sync_expert(world.db, expert_id=EXPERT, clock=world.clock)
    page = search.search_experts(
        world.db,
        user_id=USER.uid,
        filters=search.ExpertSearchFilters(),
        search_term=None,
        sort_by="relevance",
        page_size=10,
        cursor=None,
        clock=world.clock,
    )
    return EXPERT in [r["expert"]["expertId"] for r in page.results]


def audit(world: World) -> list[dict[str, Any]]:
    log = world.db.collection(col.EXPERTS).document(EXPERT).collection(col.EXPERT_STATUS_LOG)
    return sorted((s.to_dict() or {} for s in log.stream()), key=lambda d: d["changedAt"])


def test_suspension_hides_blocks_lists_and_cancels_nothing(world: World) -> None:
    confirmed = world.book_and_pay(USER, start="10:00")
    held = world.book(USER2, start="14:00").sessionId
    assert searchable(world)
    change = set_status(world, ADMIN, "suspended", "fraud report under review")
    assert (change.previousStatus, change.status, change.changed) == ("active", "suspended", True)
    assert [s["sessionId"] for s in change.futureSessions] == [confirmed, held]
    assert world.session(confirmed).status == "confirmed"  # the admin decides, nothing cancelled
    assert world.session(held).status == "pending"
    assert not searchable(world)
    with pytest.raises(FailedPrecondition):
        world.book(USER2, start="16:00")
    with pytest.raises(FailedPrecondition):  # nor can a session be moved onto its calendar
        lifecycle.reschedule_session(
            world.db,
            caller=USER,
            session_id=confirmed,
            date="2026-11-05",
            start_time="10:00",
            clock=world.clock,
        )
    entry = audit(world)[-1]
    assert entry["fromStatus"] == "active" and entry["toStatus"] == "suspended"
    assert entry["reason"] == "fraud report under review" and entry["changedBy"] == ADMIN.uid
    # reinstated: searchable and bookable again
    world.clock.advance(timedelta(minutes=1))
    set_status(world, ADMIN, "active", "cleared")
    assert searchable(world)
    world.book(USER2, start="16:00")
    assert [e["toStatus"] for e in audit(world)] == ["suspended", "active"]


def test_the_expert_pauses_and_resumes_themself(world: World) -> None:
    change = set_status(world, ME, "inactive", "on parental leave")
    assert change.futureSessions == []  # the expert's own view: no session list
    assert not searchable(world)
    with pytest.raises(FailedPrecondition):
        world.book(USER, start="10:00")
    set_status(world, ME, "active", "back")
    assert searchable(world)
    assert world.book(USER, start="10:00").sessionId


def test_think_like_the_expert_no_self_reinstatement(world: World) -> None:
    set_status(world, ADMIN, "suspended", "policy")
    with pytest.raises(PermissionDenied):
        set_status(world, ME, "active", "i promise")
    with pytest.raises(PermissionDenied):
        set_status(world, ME, "inactive", "hide it")
    assert world.expert()["status"] == "suspended"
    set_status(world, ADMIN, "active", "ok")
    with pytest.raises(PermissionDenied):
        set_status(world, ME, "suspended", "nobody else may")


def test_strangers_cannot_change_status(world: World) -> None:
    with pytest.raises(PermissionDenied):
        set_status(world, USER, "inactive", "sabotage")
    assert world.expert()["status"] == "active" and audit(world) == []


def test_same_status_is_a_no_op_and_unknown_expert_not_found(world: World) -> None:
    change = set_status(world, ADMIN, "active", "noop")
    assert change.changed is False and audit(world) == []
    with pytest.raises(NotFound):
        status.set_expert_status(
            world.db,
            caller=ADMIN,
            expert_id="nobody",
            status="suspended",
            reason="x",
            clock=world.clock,
        )

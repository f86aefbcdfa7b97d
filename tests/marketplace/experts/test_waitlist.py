"""Waitlist: told exactly once when a hold expires on the window (injectable clock), on a
cancellation, a reschedule away and new hours; join order, windows, per-user rate limit."""

from __future__ import annotations

import copy
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    PermissionDenied,
    ResourceExhausted,
)
from salamin.marketplace.booking import holds, lifecycle
from salamin.marketplace.experts import profile, waitlist
from salamin.models.waitlist import WaitWindow
from tests.support.booking import DAY, EXPERT, USER, USER2, World

USER3 = Caller(uid="user-3", email="candidate3@example.com")
WED_10_TO_11 = {
    "daysOfWeek": [3],
    "startTime": "10:00",
    "endTime": "11:00",
    "timeZone": "Europe/London",
}


def join(
    world: World, caller: Caller, window: dict[str, Any] = WED_10_TO_11, duration: int = 60
) -> str:
    entry = waitlist.join_waitlist(
        world.db,
        caller=caller,
        expert_id=EXPERT,
        session_type="mock_interview",
        duration=duration,
        window=WaitWindow.model_validate(window),
        clock=world.clock,
    )
    world.clock.advance(timedelta(seconds=1))
    return entry.entryId


def busy(world: World, session_id: str) -> dict[str, Any] | None:
    snap = world.calendar().collection(col.CALENDAR_BUSY).document(session_id).get()
    return snap.to_dict() if snap.exists else None


def freed(world: World, session_id: str, before: dict[str, Any] | None) -> dict[str, int]:
    """What the notifyWaitlistOnFreedTime trigger does with the write."""
    return waitlist.on_busy_written(
        world.db,
        expert_id=EXPERT,
        session_id=session_id,
        before=before,
        after=busy(world, session_id),
        clock=world.clock,
    )


def inbox(world: World, caller: Caller) -> list[dict[str, Any]]:
    ref = world.db.collection(col.USERS).document(caller.uid).collection(col.USER_NOTIFICATIONS)
    return [s.to_dict() or {} for s in ref.stream()]


def waitlist_mails(world: World, caller: Caller) -> list[dict[str, Any]]:
    return [
        m
        for m in world.mails().values()
        if m["kind"] == "waitlist_slot_available" and m["to"] == caller.email
    ]


def test_told_exactly_once_when_a_hold_expires_on_the_window(world: World) -> None:
    held = world.book(USER, start="10:00")  # the only 60-minute slot in USER2's window
    join(world, USER2)
    join(world, USER3, window=WED_10_TO_11 | {"daysOfWeek": [4]})  # Thursdays: not this one
    before = busy(world, held.sessionId)
    # still held: nothing freed, nobody told
    assert freed(world, held.sessionId, before) == {}
    world.clock.advance(timedelta(minutes=30))
    assert holds.expire_hold(
        world.db,
        session_id=held.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    assert freed(world, held.sessionId, before) == {"sent": 1}
    assert freed(world, held.sessionId, before) == {"repeat": 1}  # a redelivered trigger
    [note] = inbox(world, USER2)
    assert note["type"] == "waitlist_slot_available" and note["read"] is False
    assert [(s["expertDate"], s["expertStartTime"]) for s in note["slots"]] == [(DAY, "10:00")]
    assert len(waitlist_mails(world, USER2)) == 1
    assert inbox(world, USER3) == [] and inbox(world, USER) == []
    # the notice reserved nothing: whoever books first gets it, through the booking path
    world.book(USER3, start="10:00")
    with pytest.raises(FailedPrecondition):
        world.book(USER2, start="10:00")


def test_cancellation_and_reschedule_away_free_time(world: World) -> None:
    first = world.book_and_pay(USER, start="10:00")
    join(world, USER2)
    before = busy(world, first)
    lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=first,
        date="2026-11-05",
        start_time="15:00",
        clock=world.clock,
    )
    assert freed(world, first, before) == {"sent": 1}
    # the moved session sits on Thursday 15:00; cancelling it frees nothing in USER2's window
    moved = busy(world, first)
    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=first,
        cancelled_by="user",
        reason="no longer needed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    assert freed(world, first, moved) == {}
    assert len(inbox(world, USER2)) == 1


def test_confirmation_frees_nothing(world: World) -> None:
    result = world.book(USER, start="10:00")
    join(world, USER2)
    before = busy(world, result.sessionId)
    world.pay(result)
    world.deliver()
    assert busy(world, result.sessionId)["status"] == "confirmed"  # type: ignore[index]
    assert freed(world, result.sessionId, before) == {}


def test_join_order_and_each_user_told(world: World) -> None:
    held = world.book(USER, start="10:00")
    e3 = join(world, USER3)
    e2 = join(world, USER2)
    assert [e.entryId for e in waitlist.active_entries(world.db, EXPERT)] == [e3, e2]
    before = busy(world, held.sessionId)
    world.clock.advance(timedelta(minutes=31))
    holds.expire_hold(
        world.db, session_id=held.sessionId, clock=world.clock, payments=None, source="sweep"
    )
    assert freed(world, held.sessionId, before) == {"sent": 2}


def test_new_hours_from_a_profile_edit(world: World) -> None:
    join(world, USER2)
    me = Caller(uid=EXPERT)
    avail = copy.deepcopy(world.expert()["availability"])
    closed = avail | {"workingDays": [d for d in avail["workingDays"] if d != 3]}

    def edit(body: dict[str, Any]) -> dict[str, int]:
        update = profile.update_expert_profile(
            world.db,
            caller=me,
            changes=profile.ExpertProfileChanges.model_validate({"availability": body}),
            clock=world.clock,
        )
        return waitlist.notify_new_availability(
            world.db, before=update.before, after=update.after, clock=world.clock
        )

    assert edit(closed) == {}  # closing opens nothing
    assert edit(avail) == {"sent": 1}  # Wednesday back: USER2's window opens
    assert edit(closed) == {}
    assert edit(avail) == {"repeat": 1}  # the same news is not sent again
    assert len(inbox(world, USER2)) == 1


def test_no_news_of_hours_an_expert_cannot_be_paid_for(world: World) -> None:
    """Bookable means bookable: while payouts are off, new hours are no bookable time, so a
    waiting user is not sent to a booking that would fail."""
    join(world, USER2)
    me = Caller(uid=EXPERT)
    avail = copy.deepcopy(world.expert()["availability"])
    closed = avail | {"workingDays": [d for d in avail["workingDays"] if d != 3]}
    profile.update_expert_profile(
        world.db,
        caller=me,
        changes=profile.ExpertProfileChanges.model_validate({"availability": closed}),
        clock=world.clock,
    )
    world.db.collection(col.EXPERTS).document(EXPERT).update({"payoutsEnabled": False})
    update = profile.update_expert_profile(
        world.db,
        caller=me,
        changes=profile.ExpertProfileChanges.model_validate({"availability": avail}),
        clock=world.clock,
    )
    assert (
        waitlist.notify_new_availability(
            world.db, before=update.before, after=update.after, clock=world.clock
        )
        == {}
    )
    assert inbox(world, USER2) == []


def test_rate_limit_per_user_per_day(world: World) -> None:
    join(world, USER2)
    start = world.clock.now().replace(day=4, hour=10)
    results = [
        waitlist.notify_freed_time(
            world.db,
            expert_id=EXPERT,
            start=start,
            end=start + timedelta(hours=1),
            cause=f"c{i}",
            clock=world.clock,
        )
        for i in range(waitlist.MAX_NOTICES_PER_DAY + 1)
    ]
    assert results[-1] == {"rate_limited": 1}
    assert all(r == {"sent": 1} for r in results[:-1])
    assert len(inbox(world, USER2)) == waitlist.MAX_NOTICES_PER_DAY
    assert len(waitlist_mails(world, USER2)) == waitlist.MAX_NOTICES_PER_DAY
    world.clock.advance(timedelta(days=1))
    assert waitlist.notify_freed_time(
        world.db,
        expert_id=EXPERT,
        start=start,
        end=start + timedelta(hours=1),
        cause="next-day",
        clock=world.clock,
    ) == {"sent": 1}


def test_join_rules_and_leaving(world: World) -> None:
    entry = join(world, USER2)
    with pytest.raises(AlreadyExists):
        join(world, USER2)
    with pytest.raises(InvalidArgument):
        join(world, USER2, duration=75)
    with pytest.raises(FailedPrecondition):
        join(world, Caller(uid=EXPERT))
    with pytest.raises(PermissionDenied):  # think like another user: drop a rival from the list
        waitlist.leave_waitlist(world.db, caller=USER3, entry=entry)
    assert waitlist.leave_waitlist(world.db, caller=USER2, entry=entry)
    assert not waitlist.leave_waitlist(world.db, caller=USER2, entry=entry)
    assert waitlist.active_entries(world.db, EXPERT) == []
    # a paused expert takes no waitlist either, and tells nobody about freed time
    world.db.collection(col.EXPERTS).document(EXPERT).update({"status": "inactive"})
    with pytest.raises(FailedPrecondition):
        join(world, USER3)


def test_window_matching_is_in_the_users_zone() -> None:
    from datetime import UTC, datetime

    tokyo = WaitWindow.model_validate(
        {"daysOfWeek": [3], "startTime": "19:00", "endTime": "21:00", "timeZone": "Asia/Tokyo"}
    )
    start = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # 19:00 Wednesday in Tokyo
    assert waitlist.in_window(tokyo, start, start + timedelta(hours=1))
    assert not waitlist.in_window(tokyo, start, start + timedelta(hours=2, minutes=30))
    assert not waitlist.in_window(
        tokyo, start + timedelta(days=1), start + timedelta(days=1, hours=1)
    )
    with pytest.raises(ValueError):
        WaitWindow.model_validate(tokyo.model_dump() | {"endTime": "18:00"})


def _try_join(world: World, caller: Caller, duration: int) -> str:
    try:
        waitlist.join_waitlist(
            world.db,
            caller=caller,
            expert_id=EXPERT,
            session_type="mock_interview",
            duration=duration,
            window=WaitWindow.model_validate(WED_10_TO_11),
            clock=world.clock,
        )
    except ResourceExhausted:
        return "capped"
    return "joined"


def test_concurrent_joins_never_exceed_the_per_user_cap(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Think like a user scripting joins in parallel to get past the cap: the cap check and the
    create commit in one transaction, so exactly `cap` of them land."""
    monkeypatch.setattr(waitlist, "MAX_ENTRIES_PER_USER", 2)
    barrier = threading.Barrier(3)

    def attempt(duration: int) -> str:
        barrier.wait()
        return _try_join(world, USER2, duration)

    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = sorted(pool.map(attempt, (30, 45, 60)))
    assert outcomes == ["capped", "joined", "joined"]
    mine = [e for e in waitlist.active_entries(world.db, EXPERT) if e.userId == USER2.uid]
    assert len(mine) == 2
    seats = world.db.document(f"{col.WAITLIST_USERS}/{USER2.uid}").get().to_dict()
    assert sorted(seats["entryIds"]) == sorted(e.entryId for e in mine)
    # leaving gives the seat back; leaving twice gives back nothing more
    assert waitlist.leave_waitlist(world.db, caller=USER2, entry=mine[0].entryId)
    assert not waitlist.leave_waitlist(world.db, caller=USER2, entry=mine[0].entryId)
    assert _try_join(world, USER2, 90) == "joined"
    assert _try_join(world, USER2, mine[0].duration) == "capped"


def test_entries_from_before_the_seat_document_still_count(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(waitlist, "MAX_ENTRIES_PER_USER", 2)
    first = join(world, USER3, duration=30)
    join(world, USER3, duration=45)
    world.db.document(f"{col.WAITLIST_USERS}/{USER3.uid}").delete()  # as before this change
    assert _try_join(world, USER3, 60) == "capped"
    assert waitlist.leave_waitlist(world.db, caller=USER3, entry=first)
    assert _try_join(world, USER3, 60) == "joined"

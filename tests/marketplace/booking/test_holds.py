"""Hold expiry: one task per hold, the sweep as a safety net, exactly once, on a test clock; a
hold never outlives the session's start; a late payment is a new booking, fully checked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from google.api_core import exceptions as gexc

from salamin.marketplace.booking import holds
from tests.support.booking import DAY, EXPERT, USER, USER2, World


def test_the_task_does_nothing_before_expiry_and_releases_after(world: World) -> None:
    result = world.book(USER)
    # the Tasks emulator ignores schedule times: an early delivery must be a no-op
    assert not holds.expire_hold(
        world.db,
        session_id=result.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    assert world.session(result.sessionId).status == "pending"
    world.clock.advance(timedelta(minutes=29, seconds=59))
    assert not holds.expire_hold(
        world.db,
        session_id=result.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    world.clock.advance(timedelta(seconds=1))
    assert holds.expire_hold(
        world.db,
        session_id=result.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    session = world.session(result.sessionId)
    assert (session.status, session.cancelledBy, session.expiredBy) == (
        "cancelled",
        "system",
        "task",
    )
    assert world.locks() == {}
    assert list(world.calendar().collection("busy").stream()) == []
    assert world.count("days", DAY) == 0 and world.count("weeks", "2026-W45") == 0
    assert world.double.get(result.paymentIntentId)["status"] == "canceled"
    # the sweep running afterwards finds nothing left to do
    swept = holds.sweep_expired_holds(world.db, clock=world.clock, payments=world.gateway)
    assert (swept.examined, swept.released) == (0, 0)
    cancels = [
        r for r in world.double.requests("/v1/payment_intents") if r["path"].endswith("/cancel")
    ]
    assert len(cancels) == 1


def test_task_and_sweep_racing_release_exactly_once(world: World) -> None:
    result = world.book(USER)
    world.clock.advance(timedelta(minutes=31))
    outcomes: list[bool] = []

    def run(source: holds.ExpirySource) -> None:
        for attempt in range(3):  # the emulator aborts contended transactions; Tasks retries
            try:
                outcomes.append(
                    holds.expire_hold(
                        world.db,
                        session_id=result.sessionId,
                        clock=world.clock,
                        payments=world.gateway,
                        source=source,
                    )
                )
                return
            except gexc.Aborted:
                if attempt == 2:
                    raise

    threads = [threading.Thread(target=run, args=(s,)) for s in ("task", "sweep", "task")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == [False, False, True]
    assert world.count("days", DAY) == 0  # decremented once, not three times
    cancels = [
        r for r in world.double.requests("/v1/payment_intents") if r["path"].endswith("/cancel")
    ]
    assert len(cancels) == 1


def test_sweep_releases_only_expired_holds(world: World) -> None:
    old = world.book(USER, start="10:00")
    world.clock.advance(timedelta(minutes=20))
    fresh = world.book(USER2, start="14:00")
    paid = world.book_and_pay(USER2, start="16:00")
    world.clock.advance(timedelta(minutes=15))  # old: 35 min, fresh: 15 min
    swept = holds.sweep_expired_holds(world.db, clock=world.clock, payments=world.gateway)
    assert (swept.examined, swept.released) == (1, 1)
    assert world.session(old.sessionId).status == "cancelled"
    assert world.session(fresh.sessionId).status == "pending"
    assert world.session(paid).status == "confirmed"
    assert world.count("days", DAY) == 2


def test_expiry_task_is_enqueued_once_and_deleted_on_payment(world: World) -> None:
    result = world.book(USER)
    key = (holds.EXPIRY_QUEUE, holds.expiry_task_id(result.sessionId))
    assert key in world.tasks.enqueued
    assert holds.expiry_task_id(result.sessionId) == f"{result.sessionId}-hold"
    world.pay(result)
    world.deliver()
    assert key in world.tasks.deleted and key not in world.tasks.enqueued
    # a task that fires anyway (already dispatched) finds a confirmed session and does nothing
    world.clock.advance(timedelta(hours=1))
    assert not holds.expire_hold(
        world.db,
        session_id=result.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    assert world.session(result.sessionId).status == "confirmed"


def test_a_hold_on_a_session_starting_soon_ends_at_its_start(world: World) -> None:
    """Booked 20 minutes ahead: the hold ends at the start, not 30 minutes after booking, and a
    payment arriving after the start does not confirm a session that has begun."""
    world.clock.set(datetime(2026, 11, 2, 8, 10, tzinfo=UTC))
    start = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    result = world.book(USER, date="2026-11-02", start="08:30")
    assert result.holdExpiresAt == start
    assert world.session(result.sessionId).holdExpiresAt == start
    _, scheduled = world.tasks.enqueued[
        (holds.EXPIRY_QUEUE, holds.expiry_task_id(result.sessionId))
    ]
    assert scheduled == start + holds.EXPIRY_GRACE
    world.clock.set(start)
    assert holds.expire_hold(
        world.db, session_id=result.sessionId, clock=world.clock, payments=None, source="task"
    )
    assert world.locks() == {}


def test_a_payment_after_the_start_on_an_unswept_hold_is_refunded(world: World) -> None:
    world.clock.set(datetime(2026, 11, 2, 8, 10, tzinfo=UTC))
    result = world.book(USER, date="2026-11-02", start="08:30")
    world.clock.set(datetime(2026, 11, 2, 8, 31, tzinfo=UTC))  # no task or sweep has run yet
    world.pay(result)
    assert [o.result for o in world.deliver()] == ["refunded"]
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus, session.refundedAmount) == (
        "cancelled",
        "refunded",
        12000,
    )
    assert session.refund is not None and session.refund.reason == "late_payment_time_passed"
    assert world.locks() == {} and world.count("days", "2026-11-02") == 0


def test_reviving_an_expired_hold_runs_the_full_bookability_check(world: World) -> None:
    """The time is still free, but the expert went on vacation meanwhile: a late payment is
    refunded, not confirmed on locks alone."""
    result = world.book(USER)
    world.clock.advance(timedelta(minutes=31))
    assert holds.sweep_expired_holds(world.db, clock=world.clock, payments=None).released == 1
    world.db.collection("experts").document(EXPERT).update({"availability.vacationMode": True})
    world.pay(result)  # the intent was never cancelled (payments=None above): it still pays
    assert [o.result for o in world.deliver()] == ["refunded"]
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("cancelled", "refunded")
    assert session.refund is not None and session.refund.reason == "late_payment_expert_on_vacation"
    assert world.locks() == {} and world.count("days", DAY) == 0
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]


def test_reviving_an_expired_hold_of_an_expert_without_payouts_is_refunded(world: World) -> None:
    result = world.book(USER)
    world.clock.advance(timedelta(minutes=31))
    holds.sweep_expired_holds(world.db, clock=world.clock, payments=None)
    world.db.document(f"experts/{EXPERT}/private/payouts").update({"payoutsEnabled": False})
    world.pay(result)
    assert [o.result for o in world.deliver()] == ["refunded"]
    session = world.session(result.sessionId)
    assert session.refund is not None
    assert session.refund.reason == "late_payment_expert_payouts_not_ready"

"""Discounts as a candidate would try to stack them: several holds side by side, at once, and
sessions refunded because the expert did not show."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from salamin.marketplace.booking import holds, lifecycle
from salamin.models.session import BookingResult
from tests.support.booking import USER, USER2, World, make_expert

FIRST = "first-timer"
BULK = "bulk-expert"


def _first_time_expert(world: World, db: Any, double: Any, gateway: Any) -> None:
    make_expert(
        db,
        double,
        gateway,
        expert_id=FIRST,
        first_time_discount={"percentage": 25, "maxSessions": 1},
    )


def test_a_live_hold_uses_up_the_first_time_discount(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    _first_time_expert(world, db, double, gateway)
    first = world.book(USER, expert_id=FIRST)
    assert (first.priceBreakdown.discountKind, first.amount) == ("first_time", 9000)
    second = world.book(USER, expert_id=FIRST, start="14:00")
    assert (second.priceBreakdown.discountKind, second.amount) == ("none", 12000)
    # another candidate is unaffected
    assert world.book(USER2, expert_id=FIRST, start="16:00").amount == 9000
    # once the discounted hold has expired unpaid, the discount is there again
    world.clock.advance(timedelta(minutes=31))
    holds.sweep_expired_holds(world.db, clock=world.clock, payments=world.gateway)
    third = world.book(USER, expert_id=FIRST, start="17:00")
    assert (third.priceBreakdown.discountKind, third.amount) == ("first_time", 9000)


def test_concurrent_holds_get_the_first_time_discount_at_most_max_sessions_times(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    _first_time_expert(world, db, double, gateway)
    starts = ["09:00", "11:00", "13:00", "15:00"]
    results: list[BookingResult] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(starts))

    def book(start: str) -> None:
        barrier.wait()
        try:
            results.append(world.book(USER, expert_id=FIRST, start=start))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(s,)) for s in starts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == len(starts)
    kinds = sorted(r.priceBreakdown.discountKind for r in results)
    assert kinds == ["first_time", "none", "none", "none"]
    assert sorted(r.amount for r in results) == [9000, 12000, 12000, 12000]
    # what Stripe was asked to charge agrees with the sessions
    intents = {r.paymentIntentId: r.amount for r in results}
    assert {i: world.double.get(i)["amount"] for i in intents} == intents


def test_a_session_refunded_for_the_experts_absence_does_not_count_towards_bulk(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    make_expert(
        db, double, gateway, expert_id=BULK, bulk=[{"minimumSessions": 2, "discountPercentage": 10}]
    )
    absent = world.book_and_pay(USER, expert_id=BULK)
    world.clock.set(world.session(absent).endDate)  # at the end: refunds at once
    lifecycle.report_no_show(
        world.db,
        caller=USER,
        session_id=absent,
        absent="expert",
        clock=world.clock,
        payments=world.gateway,
    )
    assert world.session(absent).paymentStatus == "refunded"
    after_absence = world.book(USER, expert_id=BULK, date="2026-11-05")
    assert (after_absence.priceBreakdown.discountKind, after_absence.amount) == ("none", 12000)
    # a session that was paid and held does count: the next one is the second
    world.pay(after_absence)
    world.deliver()
    second = world.book(USER, expert_id=BULK, date="2026-11-06")
    assert (second.priceBreakdown.discountKind, second.amount) == ("bulk", 10800)

"""getExpertEarnings: the ledger's own sums, per status, to the cent; stable pages; nobody
reads another expert's earnings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, PermissionDenied
from salamin.marketplace.booking import lifecycle
from salamin.marketplace.experts import earnings
from tests.support.booking import EXPERT, USER, USER2, World

ME = Caller(uid=EXPERT)


def read(world: World, caller: Caller = ME, **kw: object) -> earnings.EarningsPage:
    args: dict[str, object] = {
        "expert_id": None,
        "period_from": None,
        "period_to": None,
        "page_size": 20,
        "cursor": None,
        "now": world.clock.now(),
    }
    args.update(kw)
    return earnings.get_expert_earnings(world.db, caller=caller, **args)  # type: ignore[arg-type]


def test_totals_add_up_across_charges_and_a_partial_refund(world: World) -> None:
    first = world.book_and_pay(USER, start="10:00")
    world.book_and_pay(USER2, start="12:00")
    world.clock.advance(timedelta(hours=40))  # Wed 00:00: 10 h before the first: half back
    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=first,
        cancelled_by="user",
        reason="clash",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    page = read(world)
    [usd] = page.totals
    # 2 x 120.00 charged, 60.00 refunded; the fee is 20% of what was kept
    assert (usd.gross, usd.refunded, usd.fees, usd.net) == (18000, 6000, 3600, 14400)
    assert usd.gross == usd.fees + usd.net
    assert (usd.pending, usd.payable, usd.paidOut) == (14400, 0, 0)
    assert usd.lines == 3 and len(page.entries) == 3
    # the same sums as the ledger itself, line by line
    assert usd.net == sum(x["netAmount"] for x in world.ledger())
    assert page.entries[0]["type"] == "refund"  # newest first


def test_pages_are_stable_while_new_lines_arrive(world: World) -> None:
    for start in ("09:00", "11:00", "13:00"):
        world.book_and_pay(USER, start=start)
        world.clock.advance(timedelta(minutes=1))
    one = read(world, page_size=2)
    assert len(one.entries) == 2 and one.nextCursor
    world.book_and_pay(USER2, start="15:00")  # a newer line lands at the head
    two = read(world, page_size=2, cursor=one.nextCursor, now=world.clock.now())
    seen = [e["transactionId"] for e in one.entries + two.entries]
    assert len(seen) == len(set(seen)) == 3 and two.nextCursor is None


def test_period_filters_and_bad_periods(world: World) -> None:
    world.book_and_pay(USER, start="10:00")
    assert read(world, period_from="2026-11-03", period_to="2026-11-30").totals == []
    assert read(world, period_from="2026-11-02", period_to="2026-11-02").totals[0].lines == 1
    with pytest.raises(InvalidArgument):
        read(world, period_from="2026-11-05", period_to="2026-11-01")
    with pytest.raises(InvalidArgument):
        read(world, period_from="9999-12-30", period_to="9999-12-31")
    with pytest.raises(InvalidArgument):
        read(world, period_from="2020-01-01", period_to="2026-11-30")


def test_think_like_another_expert(world: World) -> None:
    world.book_and_pay(USER, start="10:00")
    with pytest.raises(PermissionDenied):
        read(world, caller=USER, expert_id=EXPERT)
    # a cursor taken from someone else's ledger is refused, not followed
    line = world.ledger()[0]["transactionId"]
    with pytest.raises(InvalidArgument):
        read(world, caller=USER, cursor=line)
    with pytest.raises(InvalidArgument):
        read(world, cursor="../../x")
    admin = read(world, caller=Caller(uid="admin", is_admin=True), expert_id=EXPERT)
    assert admin.totals[0].lines == 1

"""Cancel (refund tiers at their exact boundaries), reschedule, complete, no-shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, PermissionDenied
from salamin.marketplace.booking import lifecycle, payments
from salamin.marketplace.booking.booking import SlotTaken
from tests.support.booking import DAY, EXPERT, USER, USER2, World

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # "10:00" on DAY in London (GMT)
EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")

H = timedelta(hours=1)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("by", "notice", "expected"),
    [
        ("expert", timedelta(minutes=5), 100),
        ("expert", 48 * H, 100),
        ("user", 72 * H, 100),
        ("user", 24 * H, 100),
        ("user", 24 * H - S, 50),
        ("user", 2 * H, 50),
        ("user", 2 * H - S, 0),
        ("user", timedelta(0), 0),
    ],
)
def test_refund_tiers(by: str, notice: timedelta, expected: int) -> None:
    assert lifecycle.refund_percentage(cancelled_by=by, notice=notice) == expected  # type: ignore[arg-type]


def test_refund_amount_rounds_half_up_and_never_exceeds_what_is_left() -> None:
    assert lifecycle.refund_amount(price=12001, percentage=50, already_refunded=0) == 6001
    assert lifecycle.refund_amount(price=12000, percentage=100, already_refunded=3000) == 9000
    assert lifecycle.refund_amount(price=12000, percentage=0, already_refunded=0) == 0


def _cancel(world: World, session_id: str, *, by: str = "user", caller: Caller = USER):  # type: ignore[no-untyped-def]
    return lifecycle.cancel_session(
        world.db,
        caller=caller,
        session_id=session_id,
        cancelled_by=by,  # type: ignore[arg-type]
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )


@pytest.mark.parametrize(
    ("notice", "percent", "amount", "fee_back"),
    [
        (24 * H, 100, 12000, 2400),
        (24 * H - S, 50, 6000, 1200),
        (2 * H, 50, 6000, 1200),
        (2 * H - S, 0, 0, 0),
    ],
)
def test_user_cancellation_at_the_tier_boundaries(
    world: World, notice: timedelta, percent: int, amount: int, fee_back: int
) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(START - notice)
    outcome = _cancel(world, session_id)
    assert (outcome.refundPercentage, outcome.refundAmount) == (percent, amount)
    refunds = world.double.objects("re_")
    if amount:
        assert [r["amount"] for r in refunds] == [amount]
        assert outcome.refundStatus == "succeeded"
    else:
        assert refunds == [] and outcome.refundStatus == "none"
    session = world.session(session_id)
    assert session.status == "cancelled" and session.cancelledBy == "user"
    assert session.paymentStatus == {100: "refunded", 50: "partially_refunded", 0: "paid"}[percent]
    lines = world.ledger(session_id)
    assert sum(x["grossAmount"] for x in lines) == 12000 - amount
    assert sum(x["platformFee"] for x in lines) == 2400 - fee_back
    assert sum(x["netAmount"] for x in lines) == 9600 - (amount - fee_back)
    for line in lines:
        assert line["grossAmount"] == line["platformFee"] + line["netAmount"]
    assert world.private("stats")["totalEarnings"] == 9600 - (amount - fee_back)
    # the time is free again, and both parties were told with a CANCEL invite
    assert world.locks() == {} and world.count("days", DAY) == 0
    mails = world.mails()
    for party in ("user", "expert"):
        mail = mails[f"{session_id}-cancelled-{party}"]
        assert "method=CANCEL" in mail["message"]["attachments"][0]["contentType"]
    # Stripe's charge.refunded only confirms it
    world.deliver()
    assert len(world.ledger(session_id)) == len(lines)


def test_expert_cancellation_refunds_in_full_and_counts_against_the_expert(world: World) -> None:
    keep = world.book_and_pay(USER, start="14:00")
    session_id = world.book_and_pay(USER2)
    world.clock.set(START - timedelta(minutes=30))
    outcome = _cancel(world, session_id, by="expert", caller=EXPERT_CALLER)
    assert (outcome.refundPercentage, outcome.refundAmount) == (100, 12000)
    perf = world.expert()["performance"]
    assert perf["totalSessions"] == 2 and perf["cancellationRate"] == 0.5
    assert world.session(keep).status == "confirmed"


def test_only_the_sessions_own_parties_may_cancel_in_their_own_role(world: World) -> None:
    session_id = world.book_and_pay(USER)
    with pytest.raises(PermissionDenied):
        _cancel(world, session_id, caller=USER2)
    with pytest.raises(PermissionDenied):
        _cancel(world, session_id, by="expert", caller=USER)  # the user claiming to be the expert
    with pytest.raises(PermissionDenied):
        _cancel(world, session_id, by="user", caller=EXPERT_CALLER)
    assert world.session(session_id).status == "confirmed"


def test_cancelling_twice_refunds_once(world: World) -> None:
    session_id = world.book_and_pay(USER)
    _cancel(world, session_id)
    again = _cancel(world, session_id)
    assert again.refundAmount == 12000
    assert len(world.double.objects("re_")) == 1


def test_a_refund_stripe_refuses_for_now_is_finished_by_the_sweep(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.double.fail_next("/v1/refunds", status=503, times=1)
    outcome = _cancel(world, session_id)
    assert outcome.status == "cancelled" and outcome.refundStatus == "pending"
    assert world.double.objects("re_") == []
    assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 1
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]
    assert world.session(session_id).refund.status == "succeeded"  # type: ignore[union-attr]
    assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 0


def test_cancelling_an_unpaid_hold_frees_the_time_and_cancels_the_intent(world: World) -> None:
    result = world.book(USER)
    outcome = _cancel(world, result.sessionId)
    assert outcome.refundAmount == 0
    assert world.double.get(result.paymentIntentId)["status"] == "canceled"
    assert world.locks() == {}
    world.book(USER2)  # the same time is bookable again


def test_reschedule_moves_the_booking_atomically(world: World) -> None:
    session_id = world.book_and_pay(USER)
    before = world.session(session_id)
    moved = lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=session_id,
        date="2026-11-05",
        start_time="15:00",
        clock=world.clock,
    )
    assert moved.scheduledDate == datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
    assert moved.meetingLink == before.meetingLink and moved.inviteSequence == 1
    locks = world.locks()
    assert locks and all(k.startswith("20261105T1") for k in locks)
    assert world.count("days", DAY) == 0 and world.count("days", "2026-11-05") == 1
    assert world.count("weeks", "2026-W45") == 1
    busy = world.calendar().collection("busy").document(session_id).get().to_dict()
    assert busy["start"] == moved.scheduledDate and busy["status"] == "confirmed"
    assert f"{session_id}-rescheduled-1-user" in world.mails()
    # the old time is free for others now; the new one is not
    world.book(USER2, start="10:00")
    with pytest.raises(FailedPrecondition):
        world.book(USER2, date="2026-11-05", start="15:30")


def test_reschedule_to_an_overlapping_time_keeps_its_own_units(world: World) -> None:
    session_id = world.book_and_pay(USER)
    lifecycle.reschedule_session(
        world.db,
        caller=EXPERT_CALLER,
        session_id=session_id,
        date=DAY,
        start_time="10:30",
        clock=world.clock,
    )
    locks = world.locks()
    assert min(locks) == "20261104T1030Z" and len(locks) == 15
    assert world.count("days", DAY) == 1


def test_reschedule_rules(world: World) -> None:
    session_id = world.book_and_pay(USER)
    other = world.book_and_pay(USER2, start="14:00")
    with pytest.raises((SlotTaken, FailedPrecondition)):
        lifecycle.reschedule_session(
            world.db,
            caller=USER,
            session_id=session_id,
            date=DAY,
            start_time="14:30",
            clock=world.clock,
        )
    with pytest.raises(PermissionDenied):
        lifecycle.reschedule_session(
            world.db,
            caller=USER2,
            session_id=session_id,
            date=DAY,
            start_time="16:00",
            clock=world.clock,
        )
    world.clock.set(START - 24 * H + S)
    with pytest.raises(FailedPrecondition, match="24 hours"):
        lifecycle.reschedule_session(
            world.db,
            caller=USER,
            session_id=session_id,
            date=DAY,
            start_time="16:00",
            clock=world.clock,
        )
    assert world.session(session_id).scheduledDate == START
    assert world.session(other).status == "confirmed"


def test_completion_and_repeat_clients(world: World) -> None:
    first = world.book_and_pay(USER, start="08:00")
    second = world.book_and_pay(USER, start="12:00")
    third = world.book_and_pay(USER2, start="16:00")
    with pytest.raises(FailedPrecondition, match="after its scheduled end"):
        lifecycle.mark_session_completed(
            world.db, caller=EXPERT_CALLER, session_id=first, session_notes=None, clock=world.clock
        )
    world.clock.set(datetime(2026, 11, 4, 18, 0, tzinfo=UTC))
    with pytest.raises(PermissionDenied):
        lifecycle.mark_session_completed(
            world.db, caller=USER, session_id=first, session_notes=None, clock=world.clock
        )
    for sid in (first, second, third):
        done = lifecycle.mark_session_completed(
            world.db, caller=EXPERT_CALLER, session_id=sid, session_notes="good", clock=world.clock
        )
        assert done.status == "completed"
    perf = world.expert()["performance"]
    assert perf["completedSessions"] == 3
    assert perf["repeatClientRate"] == 0.5  # user-1 came back, user-2 did not (yet)


def test_no_shows(world: World) -> None:
    absent_user = world.book_and_pay(USER, start="10:00")
    absent_expert = world.book_and_pay(USER2, start="14:00")
    world.clock.set(START + timedelta(minutes=14, seconds=59))
    with pytest.raises(FailedPrecondition, match="15 minutes"):
        lifecycle.report_no_show(
            world.db,
            caller=EXPERT_CALLER,
            session_id=absent_user,
            absent="user",
            clock=world.clock,
            payments=world.gateway,
        )
    world.clock.set(START + timedelta(minutes=15))
    after = lifecycle.report_no_show(
        world.db,
        caller=EXPERT_CALLER,
        session_id=absent_user,
        absent="user",
        clock=world.clock,
        payments=world.gateway,
    )
    assert (after.status, after.paymentStatus) == ("no_show", "paid")
    assert after.noShow is not None and after.noShow.party == "user"
    with pytest.raises(PermissionDenied):  # the expert cannot report themself absent
        lifecycle.report_no_show(
            world.db,
            caller=EXPERT_CALLER,
            session_id=absent_expert,
            absent="expert",
            clock=world.clock,
            payments=world.gateway,
        )
    world.clock.set(datetime(2026, 11, 4, 15, 0, tzinfo=UTC))  # at the end: refunds at once
    after = lifecycle.report_no_show(
        world.db,
        caller=USER2,
        session_id=absent_expert,
        absent="expert",
        clock=world.clock,
        payments=world.gateway,
    )
    assert (after.status, after.paymentStatus, after.refundedAmount) == (
        "no_show",
        "refunded",
        12000,
    )
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]
    perf = world.expert()["performance"]
    assert perf["totalSessions"] == 2 and perf["noShowRate"] == 0.5
    assert world.private("stats")["totalEarnings"] == 9600  # the missed session's net went back
    assert world.private("stats")["performanceCounters"]["userNoShows"] == 1

"""Money held until the session is delivered: platform charge, dispute window, close task,
one Transfer of the expert's net, ledger `pending_payout` -> `payable` -> `paid_out`."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, SalaminError
from salamin.marketplace.booking import delivery, lifecycle, payouts
from salamin.marketplace.experts import earnings
from tests.support.booking import EXPERT, USER, World

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # "10:00" on DAY in London (GMT)
END = START + timedelta(hours=1)
WINDOW_END = END + timedelta(hours=48)
EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")
S = timedelta(seconds=1)


def _close(world: World, session_id: str) -> delivery.CloseOutcome:
    return delivery.close_session(
        world.db, session_id=session_id, clock=world.clock, payments=world.gateway
    )


def _complete(world: World, session_id: str) -> None:
    lifecycle.mark_session_completed(
        world.db, caller=EXPERT_CALLER, session_id=session_id, session_notes=None, clock=world.clock
    )


def _no_show(world: World, session_id: str, *, absent: str, caller: Caller) -> None:
    lifecycle.report_no_show(
        world.db,
        caller=caller,
        session_id=session_id,
        absent=absent,  # type: ignore[arg-type]
        clock=world.clock,
        payments=world.gateway,
    )


def test_the_platform_charges_the_candidate_with_the_session_as_transfer_group(
    world: World,
) -> None:
    result = world.book(USER)
    intent = world.double.get(result.paymentIntentId)
    assert intent["transfer_group"] == result.sessionId
    assert intent["transfer_data"] is None and intent["application_fee_amount"] is None
    world.pay(result)
    world.deliver()
    charge = world.double.get(world.double.get(result.paymentIntentId)["latest_charge"])
    assert charge["transfer_group"] == result.sessionId and charge["transfer_data"] is None
    assert world.double.objects("tr_") == []  # nothing reaches the expert at payment
    [line] = world.ledger(result.sessionId)
    assert (line["status"], line["netAmount"]) == ("pending_payout", 9600)


def test_confirmation_schedules_the_close_task_at_the_window_end(world: World) -> None:
    session_id = world.book_and_pay(USER)
    session = world.session(session_id)
    assert delivery.dispute_window_end(session) == WINDOW_END
    key = (delivery.CLOSE_QUEUE, delivery.close_task_id(session))
    payload, when = world.tasks.enqueued[key]
    assert payload == {"sessionId": session_id}
    assert when == WINDOW_END + delivery.CLOSE_GRACE


def test_an_early_task_does_nothing(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(WINDOW_END - S)  # the Tasks emulator ignores schedule times
    assert _close(world, session_id).result == "not_due"
    session = world.session(session_id)
    assert (session.status, session.payout) == ("confirmed", None)
    assert world.double.objects("tr_") == []


def test_a_session_nobody_disputes_is_completed_and_paid_once_after_the_window(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(WINDOW_END)
    outcome = _close(world, session_id)
    assert (outcome.result, outcome.completed_now) == ("paid_out", True)
    session = world.session(session_id)
    assert (session.status, session.completedBy) == ("completed", "system")
    assert session.payout is not None and session.payout.status == "paid_out"
    [transfer] = world.double.objects("tr_")
    assert transfer["id"] == session.payout.transferId == outcome.transfer_id
    charge = world.double.get(session.paymentIntentId or "")["latest_charge"]
    assert (transfer["amount"], transfer["currency"]) == (9600, "usd")
    assert transfer["source_transaction"] == charge
    assert transfer["transfer_group"] == session_id
    assert transfer["destination"] == world.private("payouts")["stripeAccountId"]
    [line] = world.ledger(session_id)
    assert (line["status"], line["transferId"]) == ("paid_out", transfer["id"])
    assert world.expert()["performance"]["completedSessions"] == 1
    # the task delivered again, and the sweep, pay nothing twice
    assert _close(world, session_id).result == "paid_out"
    assert payouts.retry_payable_payouts(world.db, payments=world.gateway, clock=world.clock) == 0
    assert len(world.double.objects("tr_")) == 1
    assert world.expert()["performance"]["completedSessions"] == 1


def test_the_expert_may_mark_completed_only_after_the_scheduled_end(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(END - S)
    with pytest.raises(FailedPrecondition) as early:
        _complete(world, session_id)
    assert early.value.reason == "session_not_ended"
    assert world.session(session_id).status == "confirmed"
    world.clock.set(END)
    _complete(world, session_id)
    session = world.session(session_id)
    assert (session.status, session.completedBy) == ("completed", "expert")
    # completed is not paid: the money waits for the window
    assert _close(world, session_id).result == "not_due"
    assert world.double.objects("tr_") == []
    world.clock.set(WINDOW_END)
    assert _close(world, session_id).result == "paid_out"
    assert world.expert()["performance"]["completedSessions"] == 1  # not counted twice


def test_a_no_show_is_reported_from_15_minutes_after_the_start_until_the_window_closes(
    world: World,
) -> None:
    late = world.book_and_pay(USER, start="10:00")
    in_time = world.book_and_pay(USER, start="14:00")
    world.clock.set(WINDOW_END)
    with pytest.raises(FailedPrecondition) as closed:
        _no_show(world, late, absent="expert", caller=USER)
    assert closed.value.reason == "dispute_window_closed"
    with pytest.raises(FailedPrecondition):
        _no_show(world, late, absent="user", caller=EXPERT_CALLER)
    assert world.session(late).status == "confirmed" and world.double.objects("re_") == []
    last_moment = datetime(2026, 11, 4, 15, 0, tzinfo=UTC) + delivery.DISPUTE_WINDOW - S
    world.clock.set(last_moment)
    _no_show(world, in_time, absent="expert", caller=USER)
    assert world.session(in_time).paymentStatus == "refunded"


def test_a_refund_before_the_payout_lowers_the_transfer_and_needs_no_reversal(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(START - timedelta(hours=10))  # 2-24 h notice: 50%
    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=session_id,
        cancelled_by="user",
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    [refund] = world.double.objects("re_")
    assert refund["amount"] == 6000 and world.double.objects("tr_") == []
    assert all(line["status"] == "pending_payout" for line in world.ledger(session_id))
    world.clock.set(WINDOW_END)
    outcome = _close(world, session_id)
    assert outcome.result == "paid_out" and not outcome.completed_now
    [transfer] = world.double.objects("tr_")
    assert transfer["amount"] == 4800  # the expert's 80% of the 6000 the candidate kept paid
    lines = world.ledger(session_id)
    assert {line["status"] for line in lines} == {"paid_out"}
    assert sum(line["netAmount"] for line in lines) == 4800
    assert world.session(session_id).status == "cancelled"
    # the expert's earnings view agrees: everything kept is paid out, nothing pending
    page = earnings.get_expert_earnings(
        world.db,
        caller=EXPERT_CALLER,
        expert_id=None,
        period_from=None,
        period_to=None,
        page_size=20,
        cursor=None,
        now=world.clock.now(),
    )
    [usd] = page.totals
    assert (usd.pending, usd.payable, usd.paidOut, usd.net) == (0, 0, 4800, 4800)


def test_an_expert_no_show_refunds_in_full_and_leaves_nothing_to_pay(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(END + timedelta(minutes=1))  # after the end: refunds at once
    _no_show(world, session_id, absent="expert", caller=USER)
    world.clock.set(WINDOW_END)
    assert _close(world, session_id).result == "nothing_due"
    assert world.double.objects("tr_") == []
    assert world.session(session_id).status == "no_show"


def test_a_candidate_no_show_pays_the_expert_after_the_window(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(START + timedelta(minutes=15))
    _no_show(world, session_id, absent="user", caller=EXPERT_CALLER)
    world.clock.set(WINDOW_END)
    assert _close(world, session_id).result == "paid_out"
    assert [t["amount"] for t in world.double.objects("tr_")] == [9600]


def test_concurrent_close_tasks_make_exactly_one_transfer(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(WINDOW_END)
    results: list[str] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            results.append(_close(world, session_id).result)
        except SalaminError as exc:  # e.g. Stripe's 409 while the same key is in flight
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _close(world, session_id)  # a retry of any task that failed finishes the record
    assert len(world.double.objects("tr_")) == 1
    session = world.session(session_id)
    assert session.payout is not None and session.payout.status == "paid_out"
    assert world.expert()["performance"]["completedSessions"] == 1
    [line] = world.ledger(session_id)
    assert line["transferId"] == session.payout.transferId


def test_a_transfer_stripe_refuses_for_now_is_finished_by_the_sweep(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(WINDOW_END)
    world.double.fail_next("/v1/transfers", 500, method="POST")
    with pytest.raises(SalaminError):
        _close(world, session_id)
    session = world.session(session_id)
    assert session.payout is not None and session.payout.status == "payable"
    [line] = world.ledger(session_id)
    assert line["status"] == "payable"
    assert payouts.retry_payable_payouts(world.db, payments=world.gateway, clock=world.clock) == 1
    assert world.session(session_id).payout.status == "paid_out"  # type: ignore[union-attr]
    assert len(world.double.objects("tr_")) == 1


def test_a_moved_session_closes_at_its_new_window_only(world: World) -> None:
    session_id = world.book_and_pay(USER)
    old = world.session(session_id)
    moved = lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=session_id,
        date="2026-11-06",
        start_time="10:00",
        clock=world.clock,
    )
    delivery.schedule_close(world.tasks, moved)  # as the rescheduleSession callable does
    assert delivery.close_task_id(moved) != delivery.close_task_id(old)
    assert (delivery.CLOSE_QUEUE, delivery.close_task_id(moved)) in world.tasks.enqueued
    world.clock.set(WINDOW_END)  # the old task, at the old window's end
    assert _close(world, session_id).result == "not_due"
    world.clock.set(delivery.dispute_window_end(moved))
    assert _close(world, session_id).result == "paid_out"


def test_the_sweep_closes_a_session_whose_task_was_lost(world: World) -> None:
    result = world.book(USER)
    world.tasks.fail_next = True  # the Tasks API is down when the payment is confirmed
    world.pay(result)
    world.deliver()
    session_id = result.sessionId
    assert world.session(session_id).status == "confirmed"
    assert not [k for k in world.tasks.enqueued if k[0] == delivery.CLOSE_QUEUE]
    world.clock.set(WINDOW_END - S)
    assert (
        delivery.sweep_unclosed_sessions(world.db, clock=world.clock, payments=world.gateway) == 0
    )
    world.clock.set(WINDOW_END + timedelta(minutes=5))
    assert (
        delivery.sweep_unclosed_sessions(world.db, clock=world.clock, payments=world.gateway) == 1
    )
    assert world.session(session_id).payout.status == "paid_out"  # type: ignore[union-attr]
    assert (
        delivery.sweep_unclosed_sessions(world.db, clock=world.clock, payments=world.gateway) == 0
    )
    assert len(world.double.objects("tr_")) == 1

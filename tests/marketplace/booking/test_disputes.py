"""A candidate's "the expert did not show" against the expert's "completed": a dispute for an
admin, no money moves by itself, the payout waits, `resolveDispute` decides once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, PermissionDenied
from salamin.marketplace.booking import delivery, disputes, lifecycle
from tests.support.booking import EXPERT, USER, World
from tests.support.documents import check_stored

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
END = START + timedelta(hours=1)
WINDOW_END = END + delivery.DISPUTE_WINDOW
EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")
ADMIN = Caller(uid="admin-1", email="ops@example.com", is_admin=True)


def _complete(world: World, session_id: str) -> None:
    lifecycle.mark_session_completed(
        world.db, caller=EXPERT_CALLER, session_id=session_id, session_notes=None, clock=world.clock
    )


def _report_expert_absent(world: World, session_id: str) -> None:
    lifecycle.report_no_show(
        world.db,
        caller=USER,
        session_id=session_id,
        absent="expert",
        clock=world.clock,
        payments=world.gateway,
    )


def _resolve(world: World, session_id: str, outcome: str, *, caller: Caller = ADMIN) -> object:
    return disputes.resolve_dispute(
        world.db,
        caller=caller,
        session_id=session_id,
        outcome=outcome,  # type: ignore[arg-type]
        note="checked the meeting logs",
        clock=world.clock,
        payments=world.gateway,
    )


def _close(world: World, session_id: str) -> str:
    return delivery.close_session(
        world.db, session_id=session_id, clock=world.clock, payments=world.gateway
    ).result


def _disputed(world: World) -> str:
    """The expert marks the session completed; the candidate then says the expert never came."""
    session_id = world.book_and_pay(USER)
    world.clock.set(END + timedelta(minutes=5))
    _complete(world, session_id)
    world.clock.set(END + timedelta(hours=3))
    _report_expert_absent(world, session_id)
    return session_id


def test_a_report_against_a_completed_session_opens_a_dispute_and_refunds_nothing(
    world: World,
) -> None:
    session_id = _disputed(world)
    session = world.session(session_id)
    assert session.status == "completed" and session.paymentStatus == "paid"
    assert session.dispute is not None and session.dispute.status == "open"
    assert world.double.objects("re_") == []
    path = f"{col.ADMIN_NOTIFICATIONS}/{session.dispute.notificationId}"
    note = check_stored(world.db, path)
    assert (note["type"], note["sessionId"], note["status"]) == (
        "session_dispute",
        session_id,
        "pending",
    )
    assert (note["expertId"], note["userId"], note["amount"]) == (EXPERT, USER.uid, 12000)
    # reporting again changes nothing (one notification)
    _report_expert_absent(world, session_id)
    assert len(list(world.db.collection(col.ADMIN_NOTIFICATIONS).stream())) == 1
    # the payout waits while the dispute is open, even after the window
    world.clock.set(WINDOW_END + timedelta(days=3))
    assert _close(world, session_id) == "disputed"
    assert world.double.objects("tr_") == []
    assert {line["status"] for line in world.ledger(session_id)} == {"pending_payout"}


def test_only_an_admin_resolves_and_only_once(world: World) -> None:
    session_id = _disputed(world)
    for caller in (USER, EXPERT_CALLER, Caller(uid="stranger")):
        with pytest.raises(PermissionDenied):
            _resolve(world, session_id, "refund_candidate", caller=caller)
    assert world.session(session_id).dispute.status == "open"  # type: ignore[union-attr]
    _resolve(world, session_id, "pay_expert")
    with pytest.raises(FailedPrecondition) as again:
        _resolve(world, session_id, "refund_candidate")
    assert again.value.reason == "no_open_dispute"
    assert world.double.objects("re_") == []
    # a session that was never disputed has nothing to resolve
    other = world.book_and_pay(USER, start="14:00", date="2026-11-05")
    with pytest.raises(FailedPrecondition):
        _resolve(world, other, "pay_expert")


def test_refund_candidate_turns_the_session_into_an_expert_no_show(world: World) -> None:
    session_id = _disputed(world)
    assert world.expert()["performance"]["completedSessions"] == 1
    _resolve(world, session_id, "refund_candidate")
    session = world.session(session_id)
    assert (session.status, session.paymentStatus, session.refundedAmount) == (
        "no_show",
        "refunded",
        12000,
    )
    assert session.noShow is not None and session.noShow.party == "expert"
    assert session.dispute is not None and session.dispute.outcome == "refund_candidate"
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]
    perf = world.expert()["performance"]
    assert perf["completedSessions"] == 0 and perf["noShowRate"] == 1.0
    assert world.private("stats")["totalEarnings"] == 0
    note = check_stored(world.db, f"{col.ADMIN_NOTIFICATIONS}/{session.dispute.notificationId}")
    assert (note["status"], note["handledBy"], note["outcome"]) == (
        "handled",
        ADMIN.uid,
        "refund_candidate",
    )
    assert note["note"] == "checked the meeting logs"
    world.clock.set(WINDOW_END)
    assert _close(world, session_id) == "nothing_due"
    assert world.double.objects("tr_") == []


def test_pay_expert_after_the_window_pays_at_once(world: World) -> None:
    session_id = _disputed(world)
    world.clock.set(WINDOW_END + timedelta(hours=5))
    assert _close(world, session_id) == "disputed"
    _resolve(world, session_id, "pay_expert")
    session = world.session(session_id)
    assert session.payout is not None and session.payout.status == "paid_out"
    assert [t["amount"] for t in world.double.objects("tr_")] == [9600]
    assert world.double.objects("re_") == [] and session.status == "completed"


def test_pay_expert_before_the_window_waits_for_it(world: World) -> None:
    session_id = _disputed(world)
    _resolve(world, session_id, "pay_expert")
    assert world.double.objects("tr_") == []
    world.clock.set(WINDOW_END)
    assert _close(world, session_id) == "paid_out"


def test_a_report_after_the_expert_marked_the_candidate_absent_is_a_dispute(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(START + timedelta(minutes=16))
    lifecycle.report_no_show(
        world.db,
        caller=EXPERT_CALLER,
        session_id=session_id,
        absent="user",
        clock=world.clock,
        payments=world.gateway,
    )
    _report_expert_absent(world, session_id)
    session = world.session(session_id)
    assert session.dispute is not None and session.dispute.status == "open"
    assert world.double.objects("re_") == []
    _resolve(world, session_id, "refund_candidate")
    counters = world.private("stats")["performanceCounters"]
    assert (counters["userNoShows"], counters["expertNoShows"]) == (0, 1)
    assert world.session(session_id).paymentStatus == "refunded"


def test_a_dispute_cannot_be_opened_after_the_window(world: World) -> None:
    session_id = world.book_and_pay(USER)
    world.clock.set(END)
    _complete(world, session_id)
    world.clock.set(WINDOW_END)
    with pytest.raises(FailedPrecondition) as late:
        _report_expert_absent(world, session_id)
    assert late.value.reason == "dispute_window_closed"
    assert world.session(session_id).dispute is None

"""A candidate who attended cannot turn "the expert did not show", reported during the session
(when the expert cannot yet mark it completed), into an automatic refund: the report stands,
the expert is told, and it is decided at the end + grace or by the expert's answer."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition
from salamin.marketplace.booking import delivery, disputes, lifecycle
from salamin.models.session import ExpertSession
from tests.support.booking import EXPERT, USER, World

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # "10:00" on DAY in London (GMT)
END = START + timedelta(hours=1)
DECISION = END + delivery.ABSENCE_DECISION_GRACE
WINDOW_END = END + delivery.DISPUTE_WINDOW
EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")
ADMIN = Caller(uid="admin-1", email="ops@example.com", is_admin=True)
S = timedelta(seconds=1)


def _report(world: World, session_id: str, *, absent: str = "expert") -> ExpertSession:
    return lifecycle.report_no_show(
        world.db,
        caller=USER if absent == "expert" else EXPERT_CALLER,
        session_id=session_id,
        absent=absent,  # type: ignore[arg-type]
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )


def _complete(world: World, session_id: str) -> None:
    lifecycle.mark_session_completed(
        world.db, caller=EXPERT_CALLER, session_id=session_id, session_notes=None, clock=world.clock
    )


def _decide(world: World, session_id: str) -> bool:
    return lifecycle.decide_absence_report(
        world.db, session_id=session_id, clock=world.clock, payments=world.gateway
    )


def _reported_during_the_session(world: World) -> str:
    session_id = world.book_and_pay(USER)
    world.clock.set(START + timedelta(minutes=20))
    _report(world, session_id)
    return session_id


def test_a_report_during_the_session_refunds_nothing_at_once(world: World) -> None:
    """The hole: at start + 20 min this used to refund in full immediately."""
    session_id = world.book_and_pay(USER)
    world.clock.set(START + timedelta(minutes=20))
    after = _report(world, session_id)
    assert (after.status, after.paymentStatus, after.refundedAmount) == ("confirmed", "paid", 0)
    assert world.double.objects("re_") == []
    assert after.absenceReport is not None
    assert (after.absenceReport.reportedBy, after.absenceReport.reportedAt) == (
        USER.uid,
        START + timedelta(minutes=20),
    )
    mail = world.mails()[f"{session_id}-absence-reported"]
    assert mail["to"] == "ada@example.com" and "30 minutes" in mail["message"]["text"]
    key = (delivery.CLOSE_QUEUE, delivery.absence_task_id(after))
    assert world.tasks.enqueued[key] == ({"sessionId": session_id}, DECISION + delivery.CLOSE_GRACE)
    # reporting again changes nothing, and the expert still cannot complete before the end
    assert _report(world, session_id).absenceReport == after.absenceReport
    with pytest.raises(FailedPrecondition) as early:
        _complete(world, session_id)
    assert early.value.reason == "session_not_ended"


def test_the_expert_marking_completed_after_the_end_opens_a_dispute(world: World) -> None:
    session_id = _reported_during_the_session(world)
    world.clock.set(END + timedelta(minutes=10))
    _complete(world, session_id)
    session = world.session(session_id)
    assert session.status == "completed" and session.dispute is not None
    assert session.dispute.status == "open"
    assert (session.paymentStatus, session.refundedAmount) == ("paid", 0)
    world.clock.set(DECISION)
    assert _decide(world, session_id) is False  # the expert answered: an admin decides
    world.clock.set(WINDOW_END)
    assert (
        delivery.close_session(
            world.db, session_id=session_id, clock=world.clock, payments=world.gateway
        ).result
        == "disputed"
    )
    assert world.double.objects("re_") == [] and world.double.objects("tr_") == []
    # the admin sides with the candidate: the no-show dates from the candidate's report
    disputes.resolve_dispute(
        world.db,
        caller=ADMIN,
        session_id=session_id,
        outcome="refund_candidate",
        note=None,
        clock=world.clock,
        payments=world.gateway,
    )
    resolved = world.session(session_id)
    assert resolved.noShow is not None
    assert resolved.noShow.reportedAt == START + timedelta(minutes=20)
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]


def test_a_silent_expert_is_refunded_once_at_the_decision_time(world: World) -> None:
    session_id = _reported_during_the_session(world)
    world.clock.set(DECISION - S)
    assert _decide(world, session_id) is False  # the Tasks emulator ignores schedule times
    assert lifecycle.sweep_absence_reports(world.db, clock=world.clock, payments=world.gateway) == 0
    assert world.session(session_id).status == "confirmed"
    world.clock.set(DECISION)
    results: list[int] = []
    errors: list[Exception] = []

    def task() -> None:
        try:
            results.append(int(_decide(world, session_id)))
        except Exception as exc:  # the emulator aborts contended transactions: Tasks retries
            errors.append(exc)

    def sweep() -> None:
        results.append(
            lifecycle.sweep_absence_reports(world.db, clock=world.clock, payments=world.gateway)
        )

    threads = [threading.Thread(target=f) for f in (task, task, sweep, task)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.append(int(_decide(world, session_id)))  # the retry of a task that failed
    assert sum(results) == 1
    session = world.session(session_id)
    assert (session.status, session.paymentStatus, session.refundedAmount) == (
        "no_show",
        "refunded",
        12000,
    )
    assert session.noShow is not None and session.noShow.party == "expert"
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]
    assert world.private("stats")["performanceCounters"]["expertNoShows"] == 1
    assert f"{session_id}-expert-no-show" in world.mails()
    with pytest.raises(FailedPrecondition):  # too late to answer now
        _complete(world, session_id)
    world.clock.set(WINDOW_END)
    assert (
        delivery.close_session(
            world.db, session_id=session_id, clock=world.clock, payments=world.gateway
        ).result
        == "nothing_due"
    )
    assert world.double.objects("tr_") == []


def test_the_expert_cannot_dodge_by_marking_the_candidate_absent(world: World) -> None:
    session_id = _reported_during_the_session(world)
    world.clock.set(START + timedelta(minutes=25))
    _report(world, session_id, absent="user")
    session = world.session(session_id)
    assert session.status == "no_show" and session.noShow is not None
    assert session.noShow.party == "user"
    assert session.dispute is not None and session.dispute.status == "open"
    assert world.double.objects("re_") == []
    world.clock.set(DECISION)
    assert _decide(world, session_id) is False
    assert world.session(session_id).paymentStatus == "paid"
    disputes.resolve_dispute(
        world.db,
        caller=ADMIN,
        session_id=session_id,
        outcome="refund_candidate",
        note=None,
        clock=world.clock,
        payments=world.gateway,
    )
    counters = world.private("stats")["performanceCounters"]
    assert (counters["userNoShows"], counters["expertNoShows"]) == (0, 1)
    assert [r["amount"] for r in world.double.objects("re_")] == [12000]


def test_the_close_task_leaves_a_standing_report_to_its_decision(world: World) -> None:
    """A decision that never ran (task and sweeps lost) is not completed by the system."""
    session_id = _reported_during_the_session(world)
    world.clock.set(WINDOW_END)
    outcome = delivery.close_session(
        world.db, session_id=session_id, clock=world.clock, payments=world.gateway
    )
    assert outcome.result == "not_due" and world.session(session_id).status == "confirmed"
    assert _decide(world, session_id) is True
    assert (
        delivery.close_session(
            world.db, session_id=session_id, clock=world.clock, payments=world.gateway
        ).result
        == "nothing_due"
    )
    assert world.double.objects("tr_") == []

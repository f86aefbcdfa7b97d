"""The pure decisions of cancel and reschedule, without Firestore."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, PermissionDenied
from salamin.marketplace.booking.lifecycle import (
    check_reschedule,
    decide_cancellation,
    moved_session,
    reusable_tokens,
)
from salamin.marketplace.calendar.availability import BookableSlot
from salamin.models.session import RefundRecord
from tests.support.booking import EXPERT, USER, USER2, session_model

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_paid_session_cancelled_early_by_the_user_is_refunded_in_full() -> None:
    d = decide_cancellation(session_model(), cancelled_by="user", now=START - 30 * H)
    assert (d.already, d.paid, d.percentage, d.amount) == (False, True, 100, 12000)


def test_late_user_cancellation_gets_half_of_what_is_still_paid() -> None:
    """After a 9000 refund (e.g. from the dashboard) the 50% tier applies to the 3000 still
    paid, not to the original 12000: cancelling never refunds more than the tier's share."""
    session = session_model(refundedAmount=9000, paymentStatus="partially_refunded")
    d = decide_cancellation(session, cancelled_by="user", now=START - 3 * H)
    assert (d.percentage, d.amount) == (50, 1500)
    full = decide_cancellation(session, cancelled_by="expert", now=START - 3 * H)
    assert (full.percentage, full.amount) == (100, 3000)


def test_an_unpaid_hold_cancels_without_refund() -> None:
    hold = session_model(status="pending", paymentStatus="pending")
    d = decide_cancellation(hold, cancelled_by="user", now=START + H)
    assert (d.paid, d.percentage, d.amount) == (False, 0, 0)


def test_a_cancelled_session_answers_as_before() -> None:
    done = session_model(
        status="cancelled",
        refundPercentage=50,
        refund=RefundRecord(amount=6000, reason="cancelled_by_user", idempotencyKey="k"),
    )
    d = decide_cancellation(done, cancelled_by="user", now=START)
    assert (d.already, d.percentage, d.amount) == (True, 50, 6000)


@pytest.mark.parametrize(
    ("status", "now"), [("completed", START - 48 * H), ("confirmed", START), ("no_show", START)]
)
def test_started_or_finished_sessions_cannot_be_cancelled(status: str, now: datetime) -> None:
    with pytest.raises(FailedPrecondition):
        decide_cancellation(session_model(status=status), cancelled_by="user", now=now)


def test_reschedule_rules() -> None:
    check_reschedule(session_model(), caller=USER, now=START - 24 * H)
    check_reschedule(session_model(), caller=Caller(uid=EXPERT), now=START - 48 * H)
    with pytest.raises(PermissionDenied):
        check_reschedule(session_model(), caller=USER2, now=START - 48 * H)
    with pytest.raises(FailedPrecondition):
        check_reschedule(session_model(), caller=USER, now=START - 24 * H + timedelta(seconds=1))
    with pytest.raises(FailedPrecondition):
        check_reschedule(session_model(status="pending"), caller=USER, now=START - 48 * H)


def test_a_move_keeps_only_the_tokens_of_its_day_and_week() -> None:
    day = "expertCalendars/e/days/2026-11-05"
    week = "expertCalendars/e/weeks/2026-W45"
    held = [
        "expertCalendars/e/days/2026-11-04/tokens/0",
        "expertCalendars/e/weeks/2026-W45/tokens/3",
    ]
    assert reusable_tokens(held, day_path=day, week_path=week) == [held[1]]
    # a prefix of another day's path is not that day
    assert reusable_tokens(held, day_path="expertCalendars/e/days/2026-11-0", week_path=week) == [
        held[1]
    ]


def test_the_moved_session_takes_the_new_time_and_bumps_the_invite() -> None:
    new_start = START + 24 * H + 5 * H
    slot = BookableSlot(
        start=new_start,
        end=new_start + H,
        blocked_until=new_start + H + timedelta(minutes=15),
        duration=60,
        session_type="mock_interview",
        local_date="2026-11-05",
        local_week="2026-W45",
        price=12000,
        currency="USD",
    )
    moved = moved_session(
        session_model(),
        slot=slot,
        start_time="15:00",
        units=["u1"],
        tokens=["t1"],
        now=START - 48 * H,
        moved_by="user",
    )
    assert (moved.scheduledDate, moved.localDate, moved.localStartTime) == (
        new_start,
        "2026-11-05",
        "15:00",
    )
    assert (moved.rescheduleCount, moved.inviteSequence) == (1, 1)
    assert (moved.lockUnits, moved.capTokens) == (["u1"], ["t1"])
    assert moved.rescheduledBy == "user"

"""The cancellation schedule (README's table), `allowCancellation`, the expert-move right, and
the reschedule limits, as pure decisions over a session's snapshotted policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition
from salamin.marketplace.booking import holds
from salamin.marketplace.booking.lifecycle import (
    candidate_refund_percentage,
    check_new_start,
    check_reschedule,
    decide_cancellation,
    refund_amount,
)
from salamin.models.expert import CancellationPolicy
from tests.support.booking import EXPERT, USER, session_model

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)
S = timedelta(seconds=1)


def _policy(refund: str, notice: int = 24, allow: bool = True) -> CancellationPolicy:
    return CancellationPolicy(allowCancellation=allow, minimumNotice=notice, refundPolicy=refund)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("refund", "min_notice", "notice", "expected"),
    [
        # partial with the default 24 h: the spec's tiers exactly
        ("partial", 24, 24 * H, 100),
        ("partial", 24, 24 * H - S, 50),
        ("partial", 24, 2 * H, 50),
        ("partial", 24, 2 * H - S, 0),
        # partial with 48 h: the full tier starts at 48 h, the half tier still ends at 2 h
        ("partial", 48, 48 * H, 100),
        ("partial", 48, 48 * H - S, 50),
        ("partial", 48, 2 * H - S, 0),
        # partial with 1 h: full down to 1 h, nothing later (the half band is empty)
        ("partial", 1, H, 100),
        ("partial", 1, H - S, 0),
        # full: every cancellation refunds in full, even late
        ("full", 24, timedelta(minutes=1), 100),
        ("full", 0, timedelta(0), 100),
        # none: full with the notice, nothing after it
        ("none", 24, 24 * H, 100),
        ("none", 24, 24 * H - S, 0),
        ("none", 72, 71 * H, 0),
        ("none", 0, timedelta(0), 100),
    ],
)
def test_the_cancellation_schedule(
    refund: str, min_notice: int, notice: timedelta, expected: int
) -> None:
    policy = _policy(refund, min_notice)
    assert candidate_refund_percentage(policy=policy, notice=notice) == expected


def test_not_allowed_refuses_the_candidate_but_the_expert_still_refunds_in_full() -> None:
    session = session_model(cancellationPolicy=_policy("none", allow=False))
    with pytest.raises(FailedPrecondition) as refused:
        decide_cancellation(session, cancelled_by="user", now=START - 100 * H)
    assert refused.value.reason == "cancellation_not_allowed"
    by_expert = decide_cancellation(session, cancelled_by="expert", now=START - H)
    assert (by_expert.percentage, by_expert.amount) == (100, 12000)
    # an unpaid hold can always be let go: no money moves
    hold = session_model(
        status="pending", paymentStatus="pending", cancellationPolicy=_policy("none", allow=False)
    )
    assert decide_cancellation(hold, cancelled_by="user", now=START - H).amount == 0


def test_after_the_experts_move_the_candidate_leaves_with_everything_until_the_start() -> None:
    for policy in (_policy("none", 72), _policy("partial"), _policy("none", allow=False)):
        moved = session_model(cancellationPolicy=policy, rescheduledBy="expert")
        d = decide_cancellation(moved, cancelled_by="user", now=START - timedelta(minutes=1))
        assert (d.percentage, d.amount) == (100, 12000)
        with pytest.raises(FailedPrecondition) as started:
            decide_cancellation(moved, cancelled_by="user", now=START)
        assert started.value.reason == "session_started"
    # the candidate's own later move ends that right
    own = session_model(cancellationPolicy=_policy("none"), rescheduledBy="user")
    assert decide_cancellation(own, cancelled_by="user", now=START - 3 * H).amount == 0


def test_tiers_apply_to_what_is_still_paid_and_never_exceed_what_was_captured() -> None:
    assert refund_amount(price=12000, percentage=50, already_refunded=3000) == 4500
    assert refund_amount(price=12000, percentage=100, already_refunded=3000) == 9000
    assert refund_amount(price=12000, percentage=100, already_refunded=12000) == 0
    assert refund_amount(price=12000, percentage=100, already_refunded=0, captured=10000) == 10000
    assert refund_amount(price=12000, percentage=50, already_refunded=8000, captured=9000) == 1000


def test_a_candidate_cannot_move_a_session_out_of_a_late_cancellation() -> None:
    """With 48 h notice and no late refund, moving at 30 h to next week and cancelling there
    would turn nothing into everything: the move is refused inside the notice."""
    session = session_model(cancellationPolicy=_policy("none", 48))
    with pytest.raises(FailedPrecondition) as late:
        check_reschedule(session, caller=USER, now=START - 30 * H)
    assert late.value.reason == "too_late_to_reschedule"
    assert check_reschedule(session, caller=USER, now=START - 48 * H) == "user"
    # the expert is bound by the 24 h rule only
    assert check_reschedule(session, caller=Caller(uid=EXPERT), now=START - 30 * H) == "expert"
    # under `full` a late cancellation refunds everything anyway: moving changes nothing
    generous = session_model(cancellationPolicy=_policy("full", 48))
    assert check_reschedule(generous, caller=USER, now=START - 30 * H) == "user"


def test_an_expert_never_moves_a_session_to_less_than_24_hours_ahead() -> None:
    now = START - 48 * H
    with pytest.raises(FailedPrecondition) as soon:
        check_new_start(role="expert", new_start=now + 24 * H - S, now=now)
    assert soon.value.reason == "new_time_too_soon"
    check_new_start(role="expert", new_start=now + 24 * H, now=now)
    check_new_start(role="user", new_start=now + 3 * H, now=now)  # the candidate's own choice


def test_a_hold_ends_at_the_earlier_of_30_minutes_and_the_start() -> None:
    booked = START - H
    assert holds.hold_expiry(booked_at=booked, start=START) == booked + holds.HOLD_DURATION
    soon = START - timedelta(minutes=10)
    assert holds.hold_expiry(booked_at=soon, start=START) == START

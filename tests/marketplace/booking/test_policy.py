"""The expert's cancellation policy as snapshotted at booking, and rescheduling that cannot
erase a refund: played as the other party would, on the Firestore emulator and the Stripe
double, with the test clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, InvalidArgument
from salamin.marketplace.booking import lifecycle
from salamin.marketplace.experts import profile
from salamin.models.expert import ExpertAvailability
from tests.support.booking import DAY, EXPERT, USER, USER2, World, make_expert

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # "10:00" on DAY in London (GMT)
EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")
H = timedelta(hours=1)


def _set_policy(world: World, **policy: Any) -> None:
    """The expert edits their cancellation policy through their profile, as the app does."""
    availability = ExpertAvailability.model_validate(world.expert()["availability"])
    changed = availability.model_copy(
        update={"cancellationPolicy": availability.cancellationPolicy.model_copy(update=policy)}
    )
    profile.update_expert_profile(
        world.db,
        caller=EXPERT_CALLER,
        changes=profile.ExpertProfileChanges(availability=changed),
        clock=world.clock,
    )


def _cancel(world: World, session_id: str, *, by: str = "user") -> lifecycle.CancelOutcome:
    return lifecycle.cancel_session(
        world.db,
        caller=EXPERT_CALLER if by == "expert" else USER,
        session_id=session_id,
        cancelled_by=by,  # type: ignore[arg-type]
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )


def _move(world: World, session_id: str, *, caller: Caller, date: str, start: str) -> Any:
    return lifecycle.reschedule_session(
        world.db,
        caller=caller,
        session_id=session_id,
        date=date,
        start_time=start,
        clock=world.clock,
    )


def _refunded(world: World) -> list[int]:
    return [r["amount"] for r in world.double.objects("re_")]


def test_the_policy_in_force_at_booking_is_what_a_cancellation_reads(world: World) -> None:
    """Booked under `full`; the expert then switches to `none` and forbids cancelling. The
    candidate's late cancellation still refunds in full, as promised at booking."""
    _set_policy(world, refundPolicy="full")
    session_id = world.book_and_pay(USER)
    assert world.session(session_id).cancellationPolicy.refundPolicy == "full"
    _set_policy(world, refundPolicy="none", allowCancellation=False, minimumNotice=72)
    world.clock.set(START - 3 * H)
    outcome = _cancel(world, session_id)
    assert (outcome.refundPercentage, outcome.refundAmount) == (100, 12000)
    assert _refunded(world) == [12000]


def test_a_stricter_policy_at_booking_holds_after_the_expert_relaxes_it(world: World) -> None:
    _set_policy(world, refundPolicy="none", minimumNotice=48)
    session_id = world.book_and_pay(USER)
    _set_policy(world, refundPolicy="full")
    world.clock.set(START - 30 * H)
    outcome = _cancel(world, session_id)
    assert (outcome.refundPercentage, outcome.refundAmount) == (0, 0)
    assert _refunded(world) == [] and world.session(session_id).status == "cancelled"


def test_cancellation_not_allowed_refuses_the_candidate_only(world: World) -> None:
    _set_policy(world, allowCancellation=False)
    session_id = world.book_and_pay(USER)
    with pytest.raises(FailedPrecondition) as refused:
        _cancel(world, session_id)
    assert refused.value.reason == "cancellation_not_allowed"
    session = world.session(session_id)
    assert (session.status, session.paymentStatus) == ("confirmed", "paid")
    assert _refunded(world) == [] and len(world.locks()) > 0
    # the expert cancelling refunds in full all the same
    world.clock.set(START - H)
    outcome = _cancel(world, session_id, by="expert")
    assert (outcome.refundPercentage, outcome.refundAmount) == (100, 12000)
    assert _refunded(world) == [12000]


def test_cancellation_not_allowed_still_refunds_an_expert_no_show(world: World) -> None:
    _set_policy(world, allowCancellation=False, refundPolicy="none")
    session_id = world.book_and_pay(USER)
    world.clock.set(START + timedelta(minutes=60))  # at the end: refunds at once
    after = lifecycle.report_no_show(
        world.db,
        caller=USER,
        session_id=session_id,
        absent="expert",
        clock=world.clock,
        payments=world.gateway,
    )
    assert (after.paymentStatus, after.refundedAmount) == ("refunded", 12000)
    assert _refunded(world) == [12000]


def test_an_expert_cannot_move_a_session_into_the_last_24_hours(world: World) -> None:
    """Moved to 21 h ahead, the candidate could then only cancel at the late tiers."""
    session_id = world.book_and_pay(USER)
    world.clock.set(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))
    with pytest.raises(FailedPrecondition) as soon:
        _move(world, session_id, caller=EXPERT_CALLER, date="2026-11-03", start="09:00")
    assert soon.value.reason == "new_time_too_soon"
    assert world.session(session_id).scheduledDate == START
    # exactly 24 h ahead is allowed
    moved = _move(world, session_id, caller=EXPERT_CALLER, date="2026-11-03", start="12:00")
    assert moved.scheduledDate == datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def test_after_the_experts_move_the_candidate_cancels_for_everything(world: World) -> None:
    session_id = world.book_and_pay(USER)
    moved = _move(world, session_id, caller=EXPERT_CALLER, date="2026-11-05", start="15:00")
    assert moved.rescheduledBy == "expert"
    new_start = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)
    world.clock.set(new_start - timedelta(minutes=30))  # would be 0 % without the move
    outcome = _cancel(world, session_id)
    assert (outcome.refundPercentage, outcome.refundAmount) == (100, 12000)
    assert _refunded(world) == [12000]


def test_a_candidate_cannot_move_a_session_to_escape_a_late_cancellation(world: World) -> None:
    """48 h notice, no late refund: at 30 h the candidate would move it a week on and cancel
    there in full. The move is refused; the cancellation gets the policy's 0 %."""
    _set_policy(world, refundPolicy="none", minimumNotice=48)
    session_id = world.book_and_pay(USER)
    world.clock.set(START - 30 * H)
    with pytest.raises(FailedPrecondition) as late:
        _move(world, session_id, caller=USER, date="2026-11-11", start="10:00")
    assert late.value.reason == "too_late_to_reschedule"
    assert world.session(session_id).scheduledDate == START
    assert _cancel(world, session_id).refundAmount == 0


def test_a_cancellation_after_a_partial_refund_takes_its_tier_of_what_is_left(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    intent_id = world.session(session_id).paymentIntentId
    partial: Any = {"payment_intent": intent_id, "amount": 3000}
    world.browser.v1.refunds.create(params=partial)  # e.g. a goodwill refund from the dashboard
    world.deliver()
    assert world.session(session_id).refundedAmount == 3000
    world.clock.set(START - 3 * H)
    outcome = _cancel(world, session_id)
    assert (outcome.refundPercentage, outcome.refundAmount) == (50, 4500)
    assert _refunded(world) == [3000, 4500]
    session = world.session(session_id)
    assert session.refundedAmount == 7500 and session.paymentStatus == "partially_refunded"
    lines = world.ledger(session_id)
    assert sum(x["grossAmount"] for x in lines) == 12000 - 7500


def test_a_session_stored_before_the_snapshot_reads_the_spec_tiers(world: World) -> None:
    from google.cloud import firestore

    session_id = world.book_and_pay(USER)
    world.db.collection("expertSessions").document(session_id).update(
        {"cancellationPolicy": firestore.DELETE_FIELD}
    )
    world.clock.set(START - 3 * H)
    assert _cancel(world, session_id).refundPercentage == 50
    assert world.count("days", DAY) == 0


def test_a_second_expert_with_its_own_policy_is_snapshotted_separately(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    make_expert(
        db,
        double,
        gateway,
        expert_id="strict",
        cancellation_policy={
            "allowCancellation": True,
            "minimumNotice": 72,
            "refundPolicy": "none",
        },
    )
    strict = world.book(USER, expert_id="strict")
    assert world.session(strict.sessionId).cancellationPolicy.minimumNotice == 72
    default = world.book(USER, start="14:00")
    assert world.session(default.sessionId).cancellationPolicy.minimumNotice == 24


def test_a_move_keeps_the_booked_duration_and_price_after_the_expert_changes_them(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)  # 60 minutes, USD 120.00
    pricing = world.expert()["pricing"]
    pricing["sessionTypes"]["mock_interview"].update(basePrice=20000, allowedDurations=[30, 90])
    profile.update_expert_profile(
        world.db,
        caller=EXPERT_CALLER,
        changes=profile.ExpertProfileChanges.model_validate({"pricing": pricing}),
        clock=world.clock,
    )
    with pytest.raises(InvalidArgument):  # new bookings follow the new offer
        world.book(USER2, start="16:00")
    moved = _move(world, session_id, caller=USER, date="2026-11-05", start="15:00")
    assert (moved.duration, moved.price, moved.endDate - moved.scheduledDate) == (60, 12000, H)
    world.clock.set(datetime(2026, 11, 5, 12, 0, tzinfo=UTC))
    outcome = _cancel(world, session_id)  # 3 h before: half of the booked price
    assert (outcome.refundPercentage, outcome.refundAmount) == (50, 6000)

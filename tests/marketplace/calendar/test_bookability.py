"""The one bookability policy (calendar/bookability.py) and what getAvailableSlots and the slot
rules make of it: an expert who cannot take payment is offered no slot and cannot be booked."""

from __future__ import annotations

import pytest

from salamin.core.errors import FailedPrecondition
from salamin.marketplace.calendar import availability as av
from salamin.marketplace.calendar.bookability import not_bookable
from salamin.models.expert import PublicExpert
from tests.support.discovery import NOW, expert_doc, put_expert, window


@pytest.mark.parametrize(
    ("status", "vacation", "payouts", "reason"),
    [
        ("active", False, True, None),
        ("active", False, False, "expert_payouts_not_ready"),
        ("active", True, True, "expert_on_vacation"),
        ("active", True, False, "expert_payouts_not_ready"),
        ("inactive", False, True, "expert_not_bookable"),
        ("suspended", False, False, "expert_not_bookable"),
        ("pending", False, True, "expert_not_bookable"),
    ],
)
def test_policy_reasons(status: str, vacation: bool, payouts: bool, reason: str | None) -> None:
    refused = not_bookable(status=status, vacation_mode=vacation, payouts_enabled=payouts)
    assert (refused.reason if refused else None) == reason
    if refused:
        assert refused.message and refused.error().details["reason"] == reason


def test_schedule_of_a_public_expert_reads_its_payout_mirror() -> None:
    ready = av.Schedule.of(PublicExpert.model_validate(expert_doc()))
    assert ready.payouts_enabled and ready.not_bookable() is None
    unready = av.Schedule.of(PublicExpert.model_validate(expert_doc(payouts=False)))
    refused = unready.not_bookable()
    assert refused is not None and refused.reason == "expert_payouts_not_ready"


def test_no_slots_and_no_booking_without_payouts(db) -> None:  # type: ignore[no-untyped-def]
    data = expert_doc("unpaid", windows=[window(1, "09:00", "12:00")], payouts=False)
    put_expert(db, data)
    result = av.get_available_slots(db, expert_id="unpaid", days_ahead=7, now=NOW)
    assert result.slots == []
    wire = result.to_wire()
    assert wire["bookable"] is False and wire["notBookableReason"] == "expert_payouts_not_ready"
    assert "payout" in wire["unavailableReason"]
    # the time that would be a slot of a ready expert is refused with the same reason
    schedule = av.Schedule.of(PublicExpert.model_validate(data))
    assert av.generate_slots(schedule, busy=av.Busy(), now=NOW, days_ahead=7) == []
    with pytest.raises(FailedPrecondition) as refused:
        av.check_bookable(
            db,
            expert=PublicExpert.model_validate(data),
            session_type="mock_interview",
            date="2026-11-02",
            start_time="10:00",
            duration=60,
            now=NOW,
        )
    assert refused.value.details["reason"] == "expert_payouts_not_ready"


def test_a_ready_expert_is_bookable_on_the_wire(db) -> None:  # type: ignore[no-untyped-def]
    put_expert(db, expert_doc("ready", windows=[window(1, "09:00", "12:00")]))
    wire = av.get_available_slots(db, expert_id="ready", days_ahead=7, now=NOW).to_wire()
    assert wire["bookable"] is True and wire["slots"]
    assert "notBookableReason" not in wire and "unavailableReason" not in wire

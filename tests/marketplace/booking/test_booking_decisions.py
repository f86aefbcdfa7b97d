"""The pure parts of createBookingRequest: who may book whom, and the pending session it
creates. No Firestore here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salamin.core.errors import FailedPrecondition, PermissionDenied
from salamin.marketplace.booking.booking import check_bookable_expert, check_booker, new_session
from salamin.marketplace.booking.pricing import ClientHistory, quote_session_price
from salamin.marketplace.calendar.availability import BookableSlot
from salamin.marketplace.onboarding.applications import public_expert_document
from salamin.models.expert import (
    ExpertApplicationInput,
    ExpertPayoutAccount,
    ExpertProfile,
    PublicExpert,
)
from salamin.models.session import BookingRequest
from tests.support.booking import DAY, EXPERT, NOW, USER, USER2
from tests.support.factories import application_data

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def _expert(**overrides: Any) -> PublicExpert:
    profile = ExpertProfile(
        expertId=EXPERT,
        status="active",
        joinedAt=NOW,
        lastActiveAt=NOW,
        **ExpertApplicationInput.model_validate(application_data()).model_dump(),
    )
    return PublicExpert.model_validate({**public_expert_document(profile), **overrides})


def _account(**overrides: Any) -> ExpertPayoutAccount:
    return ExpertPayoutAccount.model_validate(
        {"stripeAccountId": "acct_1", "payoutsEnabled": True, **overrides}
    )


def _request(**overrides: Any) -> BookingRequest:
    fields: dict[str, Any] = {
        "expertId": EXPERT,
        "sessionType": "mock_interview",
        "date": DAY,
        "startTime": "10:00",
        "duration": 60,
    }
    return BookingRequest.model_validate({**fields, **overrides})


def test_you_book_for_yourself_and_never_yourself() -> None:
    check_booker(USER, _request())
    check_booker(USER, _request(userId=USER.uid))
    with pytest.raises(PermissionDenied):
        check_booker(USER, _request(userId=USER2.uid))
    with pytest.raises(FailedPrecondition):
        check_booker(USER.__class__(uid=EXPERT), _request())


@pytest.mark.parametrize(
    ("expert", "account", "reason"),
    [
        ({"status": "suspended"}, {}, "expert_not_bookable"),
        ({}, {"stripeAccountId": None}, "expert_payouts_not_ready"),
        ({}, {"stripeAccountId": ""}, "expert_payouts_not_ready"),
        ({}, {"payoutsEnabled": False}, "expert_payouts_not_ready"),
        # the public mirror says ready, the private account does not: booking asks the account
        ({"payoutsEnabled": True}, {"payoutsEnabled": False}, "expert_payouts_not_ready"),
    ],
)
def test_only_active_experts_with_payouts_can_be_booked(
    expert: dict[str, Any], account: dict[str, Any], reason: str
) -> None:
    with pytest.raises(FailedPrecondition) as refused:
        check_bookable_expert(_expert(**expert), _account(**account))
    assert refused.value.details["reason"] == reason


def test_a_bookable_expert_gives_the_destination_account() -> None:
    assert check_bookable_expert(_expert(), _account()) == "acct_1"


def test_the_new_session_is_pending_with_the_quote_and_the_hold() -> None:
    expert = _expert()
    quote = quote_session_price(
        expert.pricing, session_type="mock_interview", duration=60, history=ClientHistory()
    )
    slot = BookableSlot(
        start=START,
        end=START + timedelta(hours=1),
        blocked_until=START + timedelta(minutes=75),
        duration=60,
        session_type="mock_interview",
        price=quote.baseAmount,
        currency=quote.currency,
        local_date=DAY,
        local_week="2026-W45",
    )
    hold = NOW + timedelta(minutes=30)
    session = new_session(
        session_id="s-1",
        caller=USER,
        request=_request(specialRequests="system design please"),
        expert=expert,
        slot=slot,
        quote=quote,
        hold_expires=hold,
        now=NOW,
    )
    assert (session.status, session.paymentStatus, session.holdExpiresAt) == (
        "pending",
        "pending",
        hold,
    )
    assert (session.userId, session.expertId, session.price) == (USER.uid, EXPERT, quote.amount)
    assert (session.scheduledDate, session.blockedUntil) == (slot.start, slot.blocked_until)
    assert session.specialRequests == "system design please"
    assert session.lockUnits == [] and session.capTokens == []

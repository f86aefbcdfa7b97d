"""Pricing policy: integer minor units, half-up rounding, discounts that never stack, 20% fee."""

from __future__ import annotations

import random

import pytest

from salamin.core.errors import FailedPrecondition, InvalidArgument
from salamin.marketplace.booking import pricing
from salamin.marketplace.booking.pricing import ClientHistory, quote_session_price
from salamin.models.expert import ExpertPricing


def _pricing(base: int = 12000, **extra: object) -> ExpertPricing:
    return ExpertPricing.model_validate(
        {
            "sessionTypes": {
                "mock_interview": {
                    "basePrice": base,
                    "currency": "USD",
                    "minimumDuration": 30,
                    "allowedDurations": [30, 45, 60, 90],
                }
            },
            **extra,
        }
    )


@pytest.mark.parametrize(
    ("hourly", "minutes", "expected"),
    [
        (12000, 60, 12000),
        (12000, 45, 9000),
        (12500, 45, 9375),
        (9999, 50, 8333),  # 8332.5 -> 8333 (half up)
        (9999, 30, 5000),  # 4999.5 -> 5000
        (10001, 30, 5001),  # 5000.5 -> 5001
        (101, 30, 51),  # 50.5 -> 51
    ],
)
def test_base_amount_from_hourly_rate(hourly: int, minutes: int, expected: int) -> None:
    quote = quote_session_price(
        _pricing(hourly), session_type="mock_interview", duration=minutes, history=ClientHistory()
    )
    assert quote.baseAmount == expected
    assert quote.amount == expected
    assert quote.discountKind == "none"
    assert isinstance(quote.amount, int)


def test_platform_fee_is_twenty_percent_and_splits_exactly() -> None:
    assert pricing.platform_fee(12000) == 2400
    assert pricing.platform_fee(9375) == 1875
    assert pricing.platform_fee(8333) == 1667  # 1666.6 -> 1667
    rng = random.Random(7)
    for _ in range(2000):
        amount = rng.randint(0, 10_000_000)
        fee = pricing.platform_fee(amount)
        assert 0 <= fee <= amount
        assert abs(fee * 100 - amount * 20) <= 50  # within half a minor unit
        quote_net = amount - fee
        assert fee + quote_net == amount


def test_first_time_discount_applies_until_first_completion_and_max_sessions() -> None:
    p = _pricing(firstTimeDiscount={"percentage": 25, "maxSessions": 2})
    first = quote_session_price(
        p, session_type="mock_interview", duration=60, history=ClientHistory()
    )
    assert (first.discountKind, first.discountPercentage, first.amount) == ("first_time", 25, 9000)
    assert first.platformFee == 1800 and first.expertNet == 7200
    second = quote_session_price(
        p, session_type="mock_interview", duration=60, history=ClientHistory(paid_sessions=1)
    )
    assert second.discountKind == "first_time"
    third = quote_session_price(
        p, session_type="mock_interview", duration=60, history=ClientHistory(paid_sessions=2)
    )
    assert third.discountKind == "none" and third.amount == 12000
    after_completion = quote_session_price(
        p,
        session_type="mock_interview",
        duration=60,
        history=ClientHistory(completed_sessions=1, paid_sessions=1),
    )
    assert after_completion.discountKind == "none"


def test_bulk_discount_takes_the_best_tier_and_never_stacks_with_first_time() -> None:
    p = _pricing(
        firstTimeDiscount={"percentage": 10, "maxSessions": 5},
        bulkDiscounts=[
            {"minimumSessions": 3, "discountPercentage": 5},
            {"minimumSessions": 5, "discountPercentage": 15},
        ],
    )
    # 3rd paid session, never completed: first-time 10% beats bulk 5%
    q = quote_session_price(
        p, session_type="mock_interview", duration=60, history=ClientHistory(paid_sessions=2)
    )
    assert (q.discountKind, q.discountPercentage) == ("first_time", 10)
    # 5th session: bulk 15% beats first-time 10%, and they do not add up
    q = quote_session_price(
        p, session_type="mock_interview", duration=60, history=ClientHistory(paid_sessions=4)
    )
    assert (q.discountKind, q.discountPercentage, q.amount) == ("bulk", 15, 10200)
    # after a completion, only bulk can apply
    q = quote_session_price(
        p,
        session_type="mock_interview",
        duration=60,
        history=ClientHistory(completed_sessions=3, paid_sessions=3),
    )
    assert (q.discountKind, q.discountPercentage) == ("bulk", 5)


def test_discount_rounds_half_up_and_parts_add_up() -> None:
    p = _pricing(9999, firstTimeDiscount={"percentage": 15, "maxSessions": 1})
    q = quote_session_price(p, session_type="mock_interview", duration=50, history=ClientHistory())
    # base 8333; 15% = 1249.95 -> 1250
    assert (q.baseAmount, q.discountAmount, q.amount) == (8333, 1250, 7083)
    assert q.platformFee + q.expertNet == q.amount


def test_unknown_session_type_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as err:
        quote_session_price(
            _pricing(), session_type="resume_review", duration=60, history=ClientHistory()
        )
    assert err.value.fields[0]["path"] == "sessionType"


def test_fee_returned_on_running_totals_returns_the_whole_fee() -> None:
    rng = random.Random(11)
    for _ in range(500):
        price = rng.randint(1, 1_000_000)
        fee = pricing.platform_fee(price)
        parts = sorted(rng.sample(range(1, price), min(3, price - 1))) if price > 3 else []
        totals = [*parts, price]
        before = 0
        returned = 0
        for after in totals:
            step = pricing.fee_returned(
                fee=fee, price=price, refunded_before=before, refunded_after=after
            )
            assert 0 <= step <= after - before or fee == 0
            returned += step
            before = after
        assert returned == fee


def test_a_price_below_stripes_minimum_charge_is_refused_at_quote_time() -> None:
    """USD 0.50 is Stripe's smallest charge: a 99% first-time discount on USD 30/h for 30
    minutes (USD 0.15) is refused with the reason and the limit, not sent to Stripe."""
    cheap = _pricing(3000, firstTimeDiscount={"percentage": 99, "maxSessions": 1})
    with pytest.raises(FailedPrecondition) as exc:
        quote_session_price(
            cheap, session_type="mock_interview", duration=30, history=ClientHistory()
        )
    assert exc.value.details["reason"] == "amount_below_minimum"
    assert (exc.value.details["minimum"], exc.value.details["amount"]) == (50, 15)
    # the same rate without the discount is chargeable
    after_first = ClientHistory(completed_sessions=1, paid_sessions=1)
    quote = quote_session_price(
        cheap, session_type="mock_interview", duration=30, history=after_first
    )
    assert quote.amount == 1500

"""Money arithmetic: exact integer rounding, half up."""

from __future__ import annotations

import pytest

from salamin.core import money
from salamin.core.errors import FailedPrecondition


def test_round_half_up_is_exact_on_integers() -> None:
    assert money.round_half_up(5, 2) == 3  # 2.5 -> 3
    assert money.round_half_up(7, 2) == 4  # 3.5 -> 4
    assert money.round_half_up(4, 3) == 1  # 1.33 -> 1
    assert money.round_half_up(5, 3) == 2  # 1.67 -> 2
    assert money.round_half_up(0, 7) == 0
    with pytest.raises(ValueError):
        money.round_half_up(-1, 2)


@pytest.mark.parametrize(
    ("amount", "currency"), [(50, "USD"), (50, "usd"), (30, "GBP"), (50, "EUR"), (50, "JPY")]
)
def test_stripes_minimum_charge_is_accepted(amount: int, currency: str) -> None:
    money.check_chargeable(amount, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "minimum"),
    [(49, "USD", 50), (29, "GBP", 30), (49, "EUR", 50), (0, "USD", 50), (299, "SEK", 300)],
)
def test_below_stripes_minimum_charge_is_refused_with_the_limit(
    amount: int, currency: str, minimum: int
) -> None:
    with pytest.raises(FailedPrecondition) as exc:
        money.check_chargeable(amount, currency)
    assert exc.value.details == {
        "reason": "amount_below_minimum",
        "currency": currency,
        "minimum": minimum,
        "amount": amount,
    }


def test_above_eight_digits_is_refused() -> None:
    money.check_chargeable(money.MAXIMUM_CHARGE, "USD")
    with pytest.raises(FailedPrecondition) as exc:
        money.check_chargeable(money.MAXIMUM_CHARGE + 1, "USD")
    assert exc.value.details["reason"] == "amount_above_maximum"


@pytest.mark.parametrize("currency", ["BHD", "JOD", "KWD", "OMR", "TND", "XYZ"])
def test_three_decimal_and_unknown_currencies_are_never_charged(currency: str) -> None:
    with pytest.raises(FailedPrecondition) as exc:
        money.check_chargeable(100_000, currency)
    assert exc.value.details["reason"] == "currency_not_supported"
    assert money.currency_problem(currency) is not None


def test_three_decimal_currencies_are_refused_by_name() -> None:
    assert "three-decimal" in (money.currency_problem("KWD") or "")
    assert money.currency_problem("USD") is None

"""Money arithmetic and the currencies we charge in: integer minor units only, never floats.

The one rounding rule for money anywhere: a fraction of a minor unit is rounded half up,
computed with integers. So USD 99.99/h for 50 minutes is 8332.5 -> 8333 cents.
"""

from __future__ import annotations

from salamin.core.errors import FailedPrecondition


def round_half_up(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half up, exactly (both non-negative integers)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up needs numerator >= 0 and denominator > 0")
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount: int, percentage: int) -> int:
    return round_half_up(amount * percentage, 100)


# --- currencies we charge in ---------------------------------------------------------------------

MINIMUM_CHARGE: dict[str, int] = {
    "USD": 50, "AED": 200, "AUD": 50, "BGN": 100, "BRL": 50, "CAD": 50, "CHF": 50,
    "CZK": 1500, "DKK": 250, "EUR": 50, "GBP": 30, "HKD": 400, "HUF": 17500, "INR": 50,
    "JPY": 50, "MXN": 1000, "MYR": 200, "NOK": 300, "NZD": 50, "PLN": 200, "RON": 200,
    "SEK": 300, "SGD": 50, "THB": 1000,
}  # fmt: skip
"""Stripe's documented minimum charge per presentment currency, in minor units (USD 0.50 is
50; JPY is zero-decimal, so JPY 50 is 50). The currencies a price may be set in are exactly the
keys: each has a minimum we know, so no price can fail at Stripe for being too small."""

MAXIMUM_CHARGE = 99_999_999
"""Stripe's amount limit: at most eight digits of minor units."""

THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
"""Refused everywhere (prices, booking): Stripe wants their last digit zero, and our emails and
clients format two decimals; nothing is charged in them."""


def currency_problem(currency: str) -> str | None:
    """Why a price cannot be set in `currency` (an upper-case ISO code), or None."""
    if currency in THREE_DECIMAL:
        return "three-decimal currencies (BHD, JOD, KWD, OMR, TND) are not supported"
    if currency not in MINIMUM_CHARGE:
        return "is not a currency we charge in (" + ", ".join(sorted(MINIMUM_CHARGE)) + ")"
    return None


def check_chargeable(amount: int, currency: str) -> None:
    """A price Stripe will accept: a supported currency, at least its minimum charge, at most
    eight digits. Raises a typed `failed-precondition` with the reason and the limit."""
    code = currency.upper()
    problem = currency_problem(code)
    if problem is not None:
        raise FailedPrecondition(
            f"{code} {problem}", reason="currency_not_supported", details={"currency": code}
        )
    minimum = MINIMUM_CHARGE[code]
    if amount < minimum:
        raise FailedPrecondition(
            f"the price is below the smallest amount that can be charged in {code}",
            reason="amount_below_minimum",
            details={"currency": code, "minimum": minimum, "amount": amount},
        )
    if amount > MAXIMUM_CHARGE:
        raise FailedPrecondition(
            "the price is above the largest amount that can be charged",
            reason="amount_above_maximum",
            details={"currency": code, "maximum": MAXIMUM_CHARGE, "amount": amount},
        )

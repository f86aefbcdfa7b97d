"""Money arithmetic: integer minor units only, never floats.

The one rounding rule for money anywhere: a fraction of a minor unit is rounded half up,
computed with integers. So USD 99.99/h for 50 minutes is 8332.5 -> 8333 cents.
"""

from __future__ import annotations


def round_half_up(numerator: int, denominator: int) -> int:
    """`numerator / denominator` rounded half up, exactly (both non-negative integers)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up needs numerator >= 0 and denominator > 0")
    return (2 * numerator + denominator) // (2 * denominator)


def percent_of(amount: int, percentage: int) -> int:
    return round_half_up(amount * percentage, 100)

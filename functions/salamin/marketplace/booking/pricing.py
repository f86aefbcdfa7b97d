"""Session prices, discounts and the platform fee: integer minor units only, never floats.

Rounding rule (the only one used for money anywhere): a fraction of a minor unit is rounded
half up, computed with integers (`round_half_up`). So a USD 125.00/h rate for 45 minutes is
9375 cents exactly, and USD 99.99/h for 50 minutes is 8332.5 -> 8333 cents.

Discounts (spec `firstTimeDiscount`, `bulkDiscounts`) never stack: the larger one applies.
- first-time: the user has no completed session with this expert yet, and their paid
  sessions plus their live (unexpired, unpaid) holds with them are fewer than `maxSessions`.
  Holds count so that several holds opened side by side cannot each take the discount; a
  booking that takes it also claims one of `maxSessions` claim documents in its atomic commit
  (booking.py), so concurrent requests cannot either;
- bulk: this booking is at least the `minimumSessions`-th paid session of the user with this
  expert. Cancelled and unpaid sessions, live holds, and sessions refunded in full (an expert
  who did not show up, a dispute decided for the candidate) do not count.
The discount is `round_half_up(base * percentage / 100)` and is taken off the base amount.
A price Stripe would refuse (below the currency's minimum charge, `core.money`) is refused here,
at quote time, with `amount_below_minimum`.
"""

from __future__ import annotations

from dataclasses import dataclass

from salamin.core.errors import InvalidArgument
from salamin.core.money import check_chargeable, percent_of, round_half_up
from salamin.models.expert import ExpertPricing, FirstTimeDiscount
from salamin.models.session import PriceQuote

PLATFORM_FEE_PERCENT = 20


def platform_fee(amount: int) -> int:
    """Policy: the platform keeps 20% of what the user pays; the expert gets the rest."""
    return percent_of(amount, PLATFORM_FEE_PERCENT)


def fee_returned(*, fee: int, price: int, refunded_before: int, refunded_after: int) -> int:
    """Fee given back by a refund that takes the total refunded from `before` to `after`.

    Computed on running totals, so any sequence of partial refunds that ends at the full price
    returns exactly the whole fee, and no line is ever off by more than the rounding of one unit.
    """
    if price == 0:
        return 0
    if not 0 <= refunded_before <= refunded_after <= price:
        raise ValueError("refund totals out of range")
    return round_half_up(fee * refunded_after, price) - round_half_up(fee * refunded_before, price)


@dataclass(frozen=True)
class ClientHistory:
    """What pricing needs to know about this user with this expert."""

    completed_sessions: int = 0
    paid_sessions: int = 0
    """Paid, not cancelled, not fully refunded sessions (confirmed, completed or no-show)."""
    live_holds: int = 0
    """Unpaid holds whose time is not up yet."""


def first_time_applies(discount: FirstTimeDiscount | None, *, history: ClientHistory) -> bool:
    """Policy (pure): the first-time discount is for someone who has not had a session with
    this expert yet, at most `maxSessions` times, counting live holds as taken."""
    return (
        discount is not None
        and discount.percentage > 0
        and history.completed_sessions == 0
        and history.paid_sessions + history.live_holds < discount.maxSessions
    )


def quote_session_price(
    pricing: ExpertPricing,
    *,
    session_type: str,
    duration: int,
    history: ClientHistory,
    first_time_claimable: bool = True,
) -> PriceQuote:
    """The price of one session, with the discount applied and the fee split out.
    `first_time_claimable=False`: every first-time claim is held by another live booking."""
    type_pricing = pricing.sessionTypes.get(session_type)  # type: ignore[call-overload]
    if type_pricing is None:
        raise InvalidArgument.at("sessionType", "this expert does not offer that session type")
    if duration <= 0:
        raise InvalidArgument.at("duration", "must be positive")
    hourly = type_pricing.basePrice
    base = round_half_up(hourly * duration, 60)

    kind = "none"
    percentage = 0
    first = pricing.firstTimeDiscount
    if first is not None and first_time_claimable and first_time_applies(first, history=history):
        kind, percentage = "first_time", first.percentage
    session_number = history.paid_sessions + 1
    for tier in pricing.bulkDiscounts or []:
        if session_number >= tier.minimumSessions and tier.discountPercentage > percentage:
            kind, percentage = "bulk", tier.discountPercentage

    discount = percent_of(base, percentage)
    amount = base - discount
    check_chargeable(amount, type_pricing.currency)
    fee = platform_fee(amount)
    return PriceQuote(
        currency=type_pricing.currency,
        hourlyRate=hourly,
        duration=duration,
        baseAmount=base,
        discountKind=kind,  # type: ignore[arg-type]
        discountPercentage=percentage,
        discountAmount=discount,
        amount=amount,
        platformFee=fee,
        expertNet=amount - fee,
    )

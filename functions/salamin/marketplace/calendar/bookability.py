"""Policy (pure): can this expert be booked at all, whatever the time?

The one answer that `createBookingRequest` (booking.py), `getAvailableSlots` (availability.py)
and search (the `search.bookable` index flag and each result's `bookable`) all give, so an expert
that is shown as bookable takes the booking, and one that cannot take payment is never offered.

An expert is bookable when their status is `active`, they are not on vacation, and their payouts
are set up (a Stripe Connect account that can receive transfers). Booking asks the private
payout account; slots and search ask the public `payoutsEnabled` mirror of it, which the same
writer keeps in step (marketplace/booking/payouts.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from salamin.core.errors import FailedPrecondition

NotBookableReason = Literal["expert_not_bookable", "expert_on_vacation", "expert_payouts_not_ready"]
"""The `details.reason` values of this policy (a subset of `core.errors.Reason`)."""


@dataclass(frozen=True)
class NotBookable:
    reason: NotBookableReason
    message: str
    """For people: shown by clients as is."""

    def error(self) -> FailedPrecondition:
        return FailedPrecondition(self.message, reason=self.reason)


NOT_ACTIVE = NotBookable("expert_not_bookable", "the expert is not accepting bookings")
ON_VACATION = NotBookable("expert_on_vacation", "the expert is on vacation")
PAYOUTS_NOT_READY = NotBookable(
    "expert_payouts_not_ready",
    "the expert has not finished payout setup and cannot be booked yet",
)


def not_bookable(*, status: str, vacation_mode: bool, payouts_enabled: bool) -> NotBookable | None:
    """Why the expert cannot be booked, or None when they can. Order: status, then payouts
    (the candidate can do nothing about either), then vacation."""
    if status != "active":
        return NOT_ACTIVE
    if not payouts_enabled:
        return PAYOUTS_NOT_READY
    if vacation_mode:
        return ON_VACATION
    return None

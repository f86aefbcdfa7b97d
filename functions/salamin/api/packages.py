"""Callables for package deals (issue 10): `purchasePackage`, `refundPackageCredits`, and the
`expirePackageCredits` task. Booking with a credit is `createBookingRequest` with
`packagePurchaseId`.

main.py passes the Stripe secret's value in, as for booking; the webhook side is the shared
`stripeWebhook` (see `marketplace.booking.packages`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.api import _callable
from salamin.api.booking import stripe_gateway
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.marketplace.booking import packages
from salamin.models.base import DocId, NonEmptyStr, SalaminModel
from salamin.models.expert import SessionType
from salamin.models.session import ExpertId


class PurchasePackageRequest(SalaminModel):
    """`sessionType` and `duration`: what each credit books (either may be omitted when the
    expert offers only one)."""

    expertId: ExpertId
    packageName: NonEmptyStr
    sessionType: SessionType | None = None
    duration: Annotated[int, Field(ge=15, le=480)] | None = None


class RefundPackageCreditsRequest(SalaminModel):
    purchaseId: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{10,40}$")]


def purchase_package(caller: Caller, req: PurchasePackageRequest, *, stripe_key: str) -> Any:
    return packages.purchase_package(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        package_name=req.packageName,
        session_type=req.sessionType,
        duration=req.duration,
        clock=SystemClock(),
        payments=stripe_gateway(stripe_key),
    )


def refund_package_credits(
    caller: Caller, req: RefundPackageCreditsRequest, *, stripe_key: str
) -> Any:
    return packages.refund_unused_credits(
        firebase.db(),
        caller=caller,
        purchase_id=req.purchaseId,
        clock=SystemClock(),
        payments=stripe_gateway(stripe_key),
    )


class ExpirePackageCreditsTask(SalaminModel):
    packagePurchaseId: DocId


def expire_package_credits_task(data: Any) -> dict[str, Any]:
    """The per-purchase Cloud Task at `expiresAt`. An early delivery (the emulator ignores
    schedule times) or a repeated one finds nothing to do."""
    task = _callable.parse(ExpirePackageCreditsTask, data)
    forfeited = packages.expire_credits(
        firebase.db(), purchase_id=task.packagePurchaseId, clock=SystemClock()
    )
    return {"forfeited": forfeited}

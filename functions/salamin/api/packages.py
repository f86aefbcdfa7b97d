"""Callables for package deals (issue 10): `purchasePackage`, `refundPackageCredits`.

main.py passes the Stripe secret's value in, as for booking; the webhook side is the shared
`stripeWebhook` (see `marketplace.booking.packages`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.api.booking import stripe_gateway
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.marketplace.booking import packages
from salamin.models.base import NonEmptyStr, SalaminModel
from salamin.models.session import ExpertId


class PurchasePackageRequest(SalaminModel):
    expertId: ExpertId
    packageName: NonEmptyStr


class RefundPackageCreditsRequest(SalaminModel):
    purchaseId: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{10,40}$")]


def purchase_package(caller: Caller, req: PurchasePackageRequest, *, stripe_key: str) -> Any:
    return packages.purchase_package(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        package_name=req.packageName,
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

"""Package-deal test helpers: deals offered by the booking World's expert, bought and paid
through the Stripe double and the webhook, and booked with a credit."""

from __future__ import annotations

from typing import Any

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.marketplace.booking import packages, webhooks
from salamin.models.package import PackagePurchase
from salamin.models.session import BookingRequest, CreditBookingResult
from tests.support.booking import DAY, EXPERT, USER, World

DEAL = {
    "name": "Three mocks",
    "description": "",
    "sessionCount": 3,
    "totalPrice": 10000,
    "validityDays": 90,
    "discountPercentage": 15,
}


def offer(world: World, *deals: dict[str, Any], expert_id: str = EXPERT) -> World:
    world.db.collection(col.EXPERTS).document(expert_id).update(
        {"pricing.packageDeals": list(deals or [DEAL])}
    )
    return world


def buy(
    world: World,
    caller: Caller = USER,
    *,
    name: str = str(DEAL["name"]),
    duration: int = 60,
    expert_id: str = EXPERT,
) -> dict[str, Any]:
    return packages.purchase_package(
        world.db,
        caller=caller,
        expert_id=expert_id,
        package_name=name,
        clock=world.clock,
        payments=world.gateway,
        duration=duration,
    )


def purchase(world: World, purchase_id: str) -> PackagePurchase:
    snap = world.db.collection(col.PACKAGE_PURCHASES).document(purchase_id).get()
    return PackagePurchase.model_validate(snap.to_dict())


def pay(world: World, bought: dict[str, Any], *, redeliver: bool = True) -> list[str]:
    """Pay as Stripe.js would, and apply every signed webhook (twice: a redelivery)."""
    world.browser.v1.payment_intents.confirm(
        bought["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    assert world.double.wait_for_deliveries(5.0)
    results = []
    for raw, signature in world.sink.take():
        event = world.gateway.parse_webhook(raw, signature)
        for _ in range(2 if redeliver else 1):
            outcome = webhooks.handle_event(
                world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
            )
            results.append(f"{event.type}:{outcome.result}")
    return results


def bought_and_paid(world: World, caller: Caller = USER, **kwargs: Any) -> str:
    bought = buy(world, caller, **kwargs)
    pay(world, bought, redeliver=False)
    return str(bought["purchaseId"])


def book_with_credit(
    world: World,
    purchase_id: str,
    caller: Caller = USER,
    *,
    start: str = "10:00",
    date: str = DAY,
    duration: int = 60,
    expert_id: str = EXPERT,
    session_type: str = "mock_interview",
) -> CreditBookingResult:
    request = BookingRequest(
        expertId=expert_id,
        sessionType=session_type,  # type: ignore[arg-type]
        date=date,
        startTime=start,
        duration=duration,
        packagePurchaseId=purchase_id,
    )
    return packages.book_with_credit(
        world.db, caller=caller, request=request, clock=world.clock, tasks=world.tasks
    )


def in_balance(p: PackagePurchase) -> None:
    """totalPrice == redeemed + reserved + refunded + expired + unused, to the cent."""
    assert sum(c.value for c in p.credits) == p.totalPrice

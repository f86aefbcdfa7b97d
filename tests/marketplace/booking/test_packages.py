"""Package deals: bought once through the webhook, credits that add up to the cent, unused
credits refunded pro rata, forfeited credits recognised for the expert at expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from salamin.marketplace.booking import packages, webhooks
from salamin.marketplace.experts import earnings
from salamin.models.package import PackagePurchase
from tests.support.booking import EXPERT, USER, USER2, World

DEAL = {
    "name": "Three mocks",
    "description": "",
    "sessionCount": 3,
    "totalPrice": 10000,
    "validityDays": 90,
    "discountPercentage": 15,
}


@pytest.fixture
def deal_world(world: World) -> World:
    world.db.collection(col.EXPERTS).document(EXPERT).update({"pricing.packageDeals": [DEAL]})
    return world


def buy(world: World, caller: Caller = USER) -> dict[str, Any]:
    return packages.purchase_package(
        world.db,
        caller=caller,
        expert_id=EXPERT,
        package_name=DEAL["name"],  # type: ignore[arg-type]
        clock=world.clock,
        payments=world.gateway,
    )


def purchase(world: World, purchase_id: str) -> PackagePurchase:
    snap = world.db.collection(col.PACKAGE_PURCHASES).document(purchase_id).get()
    return PackagePurchase.model_validate(snap.to_dict())


def pay(world: World, bought: dict[str, Any]) -> list[str]:
    """Pay as Stripe.js would, and apply every signed webhook twice (a redelivery)."""
    world.browser.v1.payment_intents.confirm(
        bought["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    assert world.double.wait_for_deliveries(5.0)
    results = []
    for raw, signature in world.sink.take():
        event = world.gateway.parse_webhook(raw, signature)
        for _ in range(2):
            outcome = webhooks.handle_event(
                world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
            )
            results.append(f"{event.type}:{outcome.result}")
    return results


def in_balance(p: PackagePurchase) -> None:
    """totalPrice == redeemed + refunded + expired + unused, to the cent."""
    assert sum(c.value for c in p.credits) == p.totalPrice


def test_credit_values_add_up_exactly() -> None:
    assert packages.credit_values(10000, 3) == [3334, 3333, 3333]
    for total in (0, 1, 99, 10001, 123457):
        for count in (1, 2, 3, 7, 100):
            values = packages.credit_values(total, count)
            assert sum(values) == total and max(values) - min(values) <= 1


def test_buy_pay_once_then_refund_unused_pro_rata(deal_world: World) -> None:
    w = deal_world
    bought = buy(w)
    assert bought["amount"] == 10000 and bought["sessionCount"] == 3
    intent = w.double.get(bought["paymentIntentId"])
    assert intent["amount"] == 10000 and intent["transfer_group"] == bought["purchaseId"]
    assert not intent.get("transfer_data")  # the platform holds the money
    assert purchase(w, bought["purchaseId"]).status == "pending"
    applied = pay(w, bought)
    assert "payment_intent.succeeded:confirmed" in applied
    assert "payment_intent.succeeded:duplicate" in applied  # the redelivery changed nothing
    paid = purchase(w, bought["purchaseId"])
    assert paid.status == "paid" and [c.value for c in paid.credits] == [3334, 3333, 3333]
    assert paid.expiresAt == w.clock.now() + timedelta(days=90)
    in_balance(paid)
    # nothing is owed to the expert at purchase
    assert w.ledger() == []
    with pytest.raises(PermissionDenied):  # think like another candidate
        packages.refund_unused_credits(
            w.db, caller=USER2, purchase_id=bought["purchaseId"], clock=w.clock, payments=w.gateway
        )
    refund = packages.refund_unused_credits(
        w.db, caller=USER, purchase_id=bought["purchaseId"], clock=w.clock, payments=w.gateway
    )
    assert (refund["refundAmount"], refund["creditsRefunded"]) == (10000, 3)
    refunds = [r for r in w.double.requests("/v1/refunds") if r["method"] == "POST"]
    assert len(refunds) == 1
    after = purchase(w, bought["purchaseId"])
    assert {c.state for c in after.credits} == {"refunded"} and after.refunds[
        0
    ].status == "succeeded"
    in_balance(after)
    with pytest.raises(FailedPrecondition):  # twice: nothing left
        packages.refund_unused_credits(
            w.db, caller=USER, purchase_id=bought["purchaseId"], clock=w.clock, payments=w.gateway
        )


def test_expiry_forfeits_unused_credits_into_the_experts_ledger(deal_world: World) -> None:
    w = deal_world
    bought = buy(w)
    pay(w, bought)
    assert packages.expire_credits(w.db, purchase_id=bought["purchaseId"], clock=w.clock) == 0
    w.clock.advance(timedelta(days=90))
    with pytest.raises(FailedPrecondition):
        packages.refund_unused_credits(
            w.db, caller=USER, purchase_id=bought["purchaseId"], clock=w.clock, payments=w.gateway
        )
    assert packages.expire_credits(w.db, purchase_id=bought["purchaseId"], clock=w.clock) == 10000
    assert packages.expire_credits(w.db, purchase_id=bought["purchaseId"], clock=w.clock) == 0
    [line] = w.ledger()
    assert (line["grossAmount"], line["platformFee"], line["netAmount"]) == (10000, 2000, 8000)
    closed = purchase(w, bought["purchaseId"])
    assert closed.status == "closed" and {c.state for c in closed.credits} == {"expired"}
    in_balance(closed)
    page = earnings.get_expert_earnings(
        w.db,
        caller=Caller(uid=EXPERT),
        expert_id=None,
        period_from=None,
        period_to=None,
        page_size=10,
        cursor=None,
        now=w.clock.now(),
    )
    assert (page.totals[0].gross, page.totals[0].fees, page.totals[0].pending) == (
        10000,
        2000,
        8000,
    )


def test_bad_purchases_write_nothing(deal_world: World) -> None:
    w = deal_world
    with pytest.raises(InvalidArgument):
        packages.purchase_package(
            w.db,
            caller=USER,
            expert_id=EXPERT,
            package_name="Free lunch",
            clock=w.clock,
            payments=w.gateway,
        )
    with pytest.raises(FailedPrecondition):
        packages.purchase_package(
            w.db,
            caller=Caller(uid=EXPERT),
            expert_id=EXPERT,
            package_name=DEAL["name"],  # type: ignore[arg-type]
            clock=w.clock,
            payments=w.gateway,
        )
    assert list(w.db.collection(col.PACKAGE_PURCHASES).stream()) == []

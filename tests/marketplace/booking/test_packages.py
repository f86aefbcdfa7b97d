"""Package deals: bought once through the webhook, credits that add up to the cent, unused
credits refunded pro rata, forfeited credits recognised for the expert at expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from salamin.marketplace.booking import packages, webhooks
from salamin.marketplace.experts import earnings
from tests.support.booking import EXPERT, USER, USER2, World
from tests.support.packages import DEAL, buy, in_balance, offer, pay, purchase


@pytest.fixture
def deal_world(world: World) -> World:
    return offer(world)


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


def test_the_payment_schedules_one_expiry_task_at_expires_at(deal_world: World) -> None:
    """The webhook enqueues `expirePackageCredits` for `expiresAt` (+ grace) under one task id;
    a redelivery enqueues the same id; a Tasks outage fails the webhook so Stripe retries."""
    w = deal_world
    bought = buy(w)
    w.tasks.fail_next = True
    w.browser.v1.payment_intents.confirm(
        bought["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    assert w.double.wait_for_deliveries(5.0)
    events = [w.gateway.parse_webhook(raw, sig) for raw, sig in w.sink.take()]
    [paid_event] = [e for e in events if e.type == "payment_intent.succeeded"]
    with pytest.raises(RuntimeError):  # the webhook answers 500 and Stripe delivers again
        webhooks.handle_event(
            w.db, event=paid_event, clock=w.clock, payments=w.gateway, tasks=w.tasks
        )
    assert purchase(w, bought["purchaseId"]).status == "paid"
    assert w.tasks.enqueued == {}
    for _ in range(2):
        webhooks.handle_event(
            w.db, event=paid_event, clock=w.clock, payments=w.gateway, tasks=w.tasks
        )
    key = (packages.EXPIRY_QUEUE, packages.expiry_task_id(bought["purchaseId"]))
    assert list(w.tasks.enqueued) == [key]
    payload, when = w.tasks.enqueued[key]
    expires = purchase(w, bought["purchaseId"]).expiresAt
    assert expires is not None
    assert payload == {"packagePurchaseId": bought["purchaseId"]}
    assert when == expires + packages.EXPIRY_GRACE
    # the task's work before and after its time, with the injectable clock
    assert packages.expire_credits(w.db, purchase_id=bought["purchaseId"], clock=w.clock) == 0
    w.clock.set(expires)
    assert packages.expire_credits(w.db, purchase_id=bought["purchaseId"], clock=w.clock) == 10000


def test_the_buyer_picks_what_a_credit_books_among_what_the_expert_offers(
    deal_world: World,
) -> None:
    w = deal_world
    for kwargs, path in (
        ({"duration": None}, "duration"),  # the expert offers four lengths: choose one
        ({"duration": 75}, "duration"),
        ({"session_type": "resume_review", "duration": 60}, "sessionType"),
    ):
        with pytest.raises(InvalidArgument) as exc:
            packages.purchase_package(
                w.db,
                caller=USER,
                expert_id=EXPERT,
                package_name=str(DEAL["name"]),
                clock=w.clock,
                payments=w.gateway,
                **kwargs,  # type: ignore[arg-type]
            )
        assert exc.value.fields[0]["path"] == path
    assert list(w.db.collection(col.PACKAGE_PURCHASES).stream()) == []
    bought = buy(w, duration=45)
    assert (bought["sessionType"], bought["duration"]) == ("mock_interview", 45)
    stored = purchase(w, bought["purchaseId"])
    assert (stored.sessionType, stored.duration) == ("mock_interview", 45)

"""Webhook events: signatures, duplicates, out-of-order delivery, late payments, refunds synced
from Stripe, and Connect account readiness."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import WebhookSignatureInvalid
from salamin.marketplace.booking import holds, payouts, webhooks
from tests.support.booking import (
    EXPERT,
    USER,
    USER2,
    WEBHOOK_SECRET,
    World,
    make_expert,
    sign_webhook,
)


def _signed(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    return sign_webhook(payload, secret, at)


def test_forged_stale_or_tampered_signatures_are_rejected_before_anything_is_read(
    world: World,
) -> None:
    result = world.book(USER)
    world.pay(result)
    assert world.double.wait_for_deliveries(5.0)
    raw, header = world.sink.take()[0]
    tampered = raw.replace(b'"amount": 12000', b'"amount": 1')
    assert tampered != raw
    cases = [
        (raw, _signed(raw, secret="whsec_forged")),  # wrong secret
        (tampered, header),  # body changed after signing
        (raw, _signed(raw, at=int(time.time()) - 3600)),  # replayed an hour later
        (raw, None),  # no header
        (b"not json", _signed(b"not json")),
    ]
    for body, sig in cases:
        with pytest.raises(WebhookSignatureInvalid):
            world.gateway.parse_webhook(body, sig)
    assert list(world.db.collection(col.STRIPE_EVENTS).stream()) == []
    assert world.session(result.sessionId).status == "pending"
    # the genuine delivery still works afterwards
    event = world.gateway.parse_webhook(raw, header)
    outcome = webhooks.handle_event(
        world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
    )
    assert outcome.result == "confirmed"


def test_a_redelivered_event_is_applied_once(world: World) -> None:
    result = world.book(USER)
    world.pay(result)
    world.deliver()
    (event,) = [e for e in world.double.events("payment_intent.succeeded")]
    world.double.redeliver(event["id"])
    world.double.redeliver(event["id"])
    assert [o.result for o in world.deliver()] == ["duplicate", "duplicate"]
    assert len(world.ledger(result.sessionId)) == 1
    assert world.expert()["performance"]["totalSessions"] == 1
    assert world.private("stats")["totalEarnings"] == 9600
    recorded = world.db.collection(col.STRIPE_EVENTS).document(event["id"]).get().to_dict()
    assert recorded["status"] == "done" and recorded["outcome"] == "confirmed"


def test_out_of_order_failure_after_success_changes_nothing(world: World) -> None:
    result = world.book(USER)
    world.double.hold_deliveries()
    world.pay(result, card="pm_card_chargeDeclined")  # payment_failed, held back
    world.pay(result, card="pm_card_visa")  # payment_intent.succeeded, held back
    failed = world.double.events("payment_intent.payment_failed")[0]["id"]
    succeeded = world.double.events("payment_intent.succeeded")[0]["id"]
    world.double.deliver(succeeded)
    world.double.deliver(failed)
    world.double.release()
    results = [o.result for o in world.deliver()]
    assert results[0] == "confirmed"
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("confirmed", "paid")
    assert not any("payment-failed" in k for k in world.mails())


def test_late_payment_with_the_time_still_free_is_confirmed(world: World) -> None:
    result = world.book(USER)
    world.clock.advance(timedelta(minutes=31))
    assert holds.sweep_expired_holds(world.db, clock=world.clock, payments=None).released == 1
    assert world.locks() == {} and world.count("days", "2026-11-04") == 0
    world.pay(result)  # the intent was never cancelled (payments=None above): it still pays
    assert [o.result for o in world.deliver()] == ["confirmed"]
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("confirmed", "paid")
    assert session.cancellationReason is None
    assert {v["sessionId"] for v in world.locks().values()} == {result.sessionId}
    assert world.count("days", "2026-11-04") == 1
    assert len(world.ledger(result.sessionId)) == 1


def test_late_payment_after_the_time_was_taken_is_refunded_in_full(world: World) -> None:
    first = world.book(USER)
    world.clock.advance(timedelta(minutes=31))
    holds.sweep_expired_holds(world.db, clock=world.clock, payments=None)
    second = world.book(USER2, start="10:30")  # overlaps the expired hold's time
    world.pay(first)
    assert [o.result for o in world.deliver()] == ["refunded"]
    late = world.session(first.sessionId)
    assert (late.status, late.paymentStatus, late.refundedAmount) == (
        "cancelled",
        "refunded",
        12000,
    )
    assert late.refund is not None and late.refund.status == "succeeded"
    (refund,) = world.double.objects("re_")
    assert refund["amount"] == 12000 and refund["payment_intent"] == first.paymentIntentId
    assert f"{first.sessionId}-late-refund" in world.mails()
    lines = world.ledger(first.sessionId)
    assert sum(x["grossAmount"] for x in lines) == 0
    assert sum(x["platformFee"] for x in lines) == 0 and sum(x["netAmount"] for x in lines) == 0
    assert {v["sessionId"] for v in world.locks().values()} == {second.sessionId}
    # Stripe's charge.refunded for that refund only confirms what we already recorded
    world.deliver()
    assert world.session(first.sessionId).refundedAmount == 12000
    assert len(world.ledger(first.sessionId)) == 2


def test_a_dashboard_refund_is_synced_and_ledgered(world: World) -> None:
    session_id = world.book_and_pay(USER)
    intent_id = world.session(session_id).paymentIntentId
    assert intent_id is not None
    partial: Any = {"payment_intent": intent_id, "amount": 3001}
    rest: Any = {"payment_intent": intent_id}
    world.browser.v1.refunds.create(params=partial)
    world.deliver()
    session = world.session(session_id)
    assert (session.paymentStatus, session.refundedAmount) == ("partially_refunded", 3001)
    lines = world.ledger(session_id)
    assert sum(x["grossAmount"] for x in lines) == 12000 - 3001
    refund_line = next(x for x in lines if x["type"] == "refund")
    # 20% of 3001 = 600.2 -> 600 of the fee goes back with it
    assert (refund_line["platformFee"], refund_line["netAmount"]) == (-600, -2401)
    assert world.private("stats")["totalEarnings"] == 9600 - 2401
    # refund the rest: the fee comes back exactly
    world.browser.v1.refunds.create(params=rest)
    world.deliver()
    lines = world.ledger(session_id)
    assert [sum(x[k] for x in lines) for k in ("grossAmount", "platformFee", "netAmount")] == [
        0,
        0,
        0,
    ]
    assert world.session(session_id).paymentStatus == "refunded"


def test_payment_for_an_unknown_session_is_refunded(world: World) -> None:
    expert = world.private("payouts")
    intent = world.browser.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "metadata": {"sessionId": "doesNotExist12345"},
            "transfer_data": {"destination": expert["stripeAccountId"]},
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    assert [o.result for o in world.deliver()] == ["orphan_refunded"]
    (refund,) = world.double.objects("re_")
    assert refund["payment_intent"] == intent.id and refund["amount"] == 5000


def test_account_updated_syncs_payout_readiness_forward_only(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    make_expert(db, double, gateway, expert_id="newbie", onboard=False)
    world.deliver()
    doc = world.private("payouts", "newbie")
    assert doc["payoutsEnabled"] is False and world.expert("newbie")["payoutsEnabled"] is False
    double.onboard_account(doc["stripeAccountId"])
    world.deliver()
    assert world.expert("newbie")["payoutsEnabled"] is True
    # an older snapshot (not ready) delivered late does not undo it
    stale = {
        "id": doc["stripeAccountId"],
        "object": "account",
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "capabilities": {},
        "metadata": {"expertId": "newbie"},
    }
    assert payouts.sync_account(db, account=stale, event_created=1) is False
    assert world.expert("newbie")["payoutsEnabled"] is True


def test_ensure_payout_account_is_idempotent(world: World, double: Any) -> None:
    first = payouts.ensure_payout_account(world.db, world.gateway, expert_id=EXPERT)
    again = payouts.ensure_payout_account(world.db, world.gateway, expert_id=EXPERT)
    assert first.stripeAccountId == again.stripeAccountId
    assert first.payoutsEnabled and first.chargesEnabled
    assert len(double.objects("acct_")) == 1
    account = double.get(first.stripeAccountId)
    assert account["type"] == "express" and account["metadata"] == {"expertId": EXPERT}


def test_unhandled_event_types_are_recorded_and_ignored(world: World) -> None:
    body = json.dumps(
        {
            "id": "evt_custom_1",
            "object": "event",
            "type": "customer.created",
            "created": 1,
            "data": {"object": {"id": "cus_1"}},
        }
    ).encode()
    event = world.gateway.parse_webhook(body, _signed(body))
    out = webhooks.handle_event(
        world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
    )
    assert out.result == "ignored"
    again = webhooks.handle_event(
        world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
    )
    assert again.result == "duplicate"

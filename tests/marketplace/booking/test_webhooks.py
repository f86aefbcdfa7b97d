"""Stripe as it really behaves: two webhook endpoints with their own signing secrets, payments
that arrive after the session has started, and Stripe's wording kept away from clients."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway, WebhookSignatureInvalid
from salamin.marketplace.booking import webhooks
from tests.support.booking import (
    CONNECT_WEBHOOK_SECRET,
    SECRET_KEY,
    USER,
    WEBHOOK_SECRET,
    World,
    make_expert,
    sign_webhook,
)


def _apply(world: World, raw: bytes, header: str) -> Any:
    event = world.gateway.parse_webhook(raw, header)
    return webhooks.handle_event(
        world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
    )


# --- two endpoints, two secrets ------------------------------------------------------------------


def test_connect_events_come_signed_with_the_connect_secret_and_are_applied(
    world: World, db: Any, double: Any, gateway: Any
) -> None:
    make_expert(db, double, gateway, expert_id="newbie", onboard=False)
    world.deliver()
    account_id = world.private("payouts", "newbie")["stripeAccountId"]
    double.onboard_account(account_id)
    assert double.wait_for_deliveries(5.0)
    ((raw, header),) = world.sink.take()
    # the Connect endpoint signs with its own secret: the platform's alone does not verify it
    platform_only = StripeGateway(SECRET_KEY, webhook_secret=WEBHOOK_SECRET, api_base=double.url)
    with pytest.raises(WebhookSignatureInvalid):
        platform_only.parse_webhook(raw, header)
    event = world.gateway.parse_webhook(raw, header)
    assert (event.type, event.endpoint, event.account) == ("account.updated", "connect", account_id)
    webhooks.handle_event(
        world.db, event=event, clock=world.clock, payments=world.gateway, tasks=world.tasks
    )
    assert world.expert("newbie")["payoutsEnabled"] is True


def test_an_event_signed_with_neither_secret_is_refused_and_nothing_is_written(
    world: World,
) -> None:
    body = json.dumps(
        {
            "id": "evt_forged_1",
            "object": "event",
            "type": "account.updated",
            "created": 1,
            "account": "acct_x",
            "data": {"object": {"id": "acct_x", "object": "account", "charges_enabled": True}},
        }
    ).encode()
    for secret in ("whsec_forged", WEBHOOK_SECRET + "x", CONNECT_WEBHOOK_SECRET[:-1]):
        with pytest.raises(WebhookSignatureInvalid):
            world.gateway.parse_webhook(body, sign_webhook(body, secret))
    assert list(world.db.collection(col.STRIPE_EVENTS).stream()) == []
    # each genuine secret verifies, and says which endpoint signed
    assert world.gateway.parse_webhook(body, sign_webhook(body, WEBHOOK_SECRET)).endpoint == (
        "platform"
    )
    connect = world.gateway.parse_webhook(body, sign_webhook(body, CONNECT_WEBHOOK_SECRET))
    assert connect.endpoint == "connect"


def test_a_payment_event_signed_by_the_connect_endpoint_confirms_nothing(world: World) -> None:
    """A connected account's own events reach the Connect endpoint; a payment there (with our
    metadata copied in) is not a payment to the platform and must not confirm a booking."""
    result = world.book(USER)
    world.pay(result)
    assert world.double.wait_for_deliveries(5.0)
    ((raw, _),) = world.sink.take()
    outcome = _apply(world, raw, sign_webhook(raw, CONNECT_WEBHOOK_SECRET))
    assert outcome.result == "ignored"
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("pending", "pending")
    assert world.ledger(result.sessionId) == []
    # the platform endpoint's genuine delivery of the same payment (another event) confirms it
    again = json.loads(raw)
    again["id"] = again["id"] + "b"
    genuine = json.dumps(again).encode()
    assert _apply(world, genuine, sign_webhook(genuine, WEBHOOK_SECRET)).result == "confirmed"


# --- a payment that arrives after the start ------------------------------------------------------


def test_a_payment_after_the_start_is_refunded_in_full_and_cancels_the_session(
    world: World,
) -> None:
    """Booked at 08:10 for 08:30, the hold (until 08:40) is still live at 08:35, but the
    session began at 08:30: the money goes back in full and the session is cancelled with that
    reason."""
    world.clock.advance(timedelta(minutes=10))
    result = world.book(USER, date="2026-11-02", start="08:30", duration=30)
    assert world.locks() != {}
    world.clock.advance(timedelta(minutes=25))
    world.pay(result)
    assert [o.result for o in world.deliver()] == ["refunded"]
    session = world.session(result.sessionId)
    assert (session.status, session.cancellationReason, session.cancelledBy) == (
        "cancelled",
        "payment_after_start",
        "system",
    )
    assert (session.paymentStatus, session.refundedAmount) == ("refunded", result.amount)
    assert session.refund is not None and session.refund.status == "succeeded"
    (refund,) = world.double.objects("re_")
    assert (refund["amount"], refund["payment_intent"]) == (result.amount, result.paymentIntentId)
    assert world.locks() == {} and world.count("days", "2026-11-02") == 0
    lines = world.ledger(result.sessionId)
    assert [sum(x[k] for x in lines) for k in ("grossAmount", "platformFee", "netAmount")] == [
        0,
        0,
        0,
    ]
    assert f"{result.sessionId}-late-refund" in world.mails()
    world.deliver()  # Stripe's charge.refunded confirms what was recorded
    assert world.session(result.sessionId).status == "cancelled"
    assert len(world.ledger(result.sessionId)) == 2


# --- Stripe's wording never reaches a client ------------------------------------------------------


def test_a_declined_payment_is_stored_with_our_message_and_stripes_code_only(
    world: World,
) -> None:
    result = world.book(USER)
    world.pay(result, card="pm_card_chargeDeclinedInsufficientFunds")
    world.deliver()
    session = world.session(result.sessionId)
    assert session.paymentStatus == "failed"
    assert session.lastPaymentError == (
        "payment declined: insufficient funds on this card; try another payment method"
    )
    (mail,) = [m for k, m in world.mails().items() if "payment-failed" in k]
    assert "Your card has insufficient funds." not in json.dumps(mail, default=str)

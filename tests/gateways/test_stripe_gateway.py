"""The Stripe gateway against the Stripe double: every Stripe-side error becomes one of our typed
errors with our own message; Stripe's text stays in the log. Refunds of destination charges
reverse the transfer; refunds of platform charges do not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from salamin.core.errors import SalaminError
from salamin.gateways.stripe_gateway import (
    PaymentDeclined,
    StripeGateway,
    StripeRejected,
    StripeUnavailable,
    _translate,
)
from scripts.doubles.stripe_double import StripeDouble

KEY = "sk_test_gateway_tests"


@pytest.fixture(scope="module")
def double() -> Iterator[StripeDouble]:
    d = StripeDouble(port=0)
    d.start()
    yield d
    d.stop()


@pytest.fixture
def gateway(double: StripeDouble) -> StripeGateway:
    double.reset()
    return StripeGateway(KEY, api_base=double.url, timeout=2.0, max_network_retries=0)


@pytest.fixture
def client(double: StripeDouble) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": double.url}, max_network_retries=0)


def _paid_intent(gateway: StripeGateway, client: stripe.StripeClient, double: StripeDouble) -> str:
    intent = gateway.create_payment_intent(
        amount=5000,
        currency="USD",
        transfer_group="s1",
        metadata={"sessionId": "s1"},
        description="Session s1",
        idempotency_key="s1-pi",
    )
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    return intent.id


def _shown(exc: SalaminError) -> str:
    """Everything a client receives from the error: its message and details."""
    return exc.message + json.dumps(exc.details)


def test_stripe_refusals_answer_our_message_with_stripes_code_only(
    gateway: StripeGateway, client: stripe.StripeClient, double: StripeDouble
) -> None:
    intent_id = _paid_intent(gateway, client, double)
    with pytest.raises(StripeRejected) as too_much:
        gateway.refund(
            payment_intent_id=intent_id, amount=5001, metadata={}, idempotency_key="s1-r1"
        )
    assert too_much.value.message == "the payment provider refused this request"
    assert too_much.value.details == {
        "reason": "payment_rejected",
        "stripeCode": "amount_too_large",
    }
    assert "unrefunded" not in _shown(too_much.value)

    with pytest.raises(StripeRejected) as missing:
        gateway.retrieve_payment_intent("pi_doesnotexist")
    assert "No such" not in _shown(missing.value) and "pi_doesnotexist" not in _shown(missing.value)

    gateway.refund(payment_intent_id=intent_id, amount=100, metadata={}, idempotency_key="s1-r2")
    with pytest.raises(StripeRejected) as reused:  # same key, other parameters
        gateway.refund(
            payment_intent_id=intent_id, amount=200, metadata={}, idempotency_key="s1-r2"
        )
    assert reused.value.stripe_code == "idempotency_error"
    assert "Keys for idempotent requests" not in _shown(reused.value)


def test_stripe_outages_answer_our_message(gateway: StripeGateway, double: StripeDouble) -> None:
    double.fail_next("/v1/payment_intents", 500)
    with pytest.raises(StripeUnavailable) as down:
        gateway.retrieve_payment_intent("pi_any")
    assert down.value.message == "the payment provider failed; try again"
    assert "injected" not in _shown(down.value)
    double.fail_next("/v1/payment_intents", 400)
    with pytest.raises(StripeRejected) as refused:
        gateway.retrieve_payment_intent("pi_any")
    assert "Injected" not in _shown(refused.value)


@pytest.mark.parametrize(
    ("card", "ours", "code"),
    [
        ("pm_card_chargeDeclined", "payment declined: try another card", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "payment declined: insufficient funds on this card; try another payment method",
            "insufficient_funds",
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            "payment declined: this card has expired; try another payment method",
            "expired_card",
        ),
    ],
)
def test_a_card_decline_answers_our_message_and_the_decline_code(
    gateway: StripeGateway,
    client: stripe.StripeClient,
    double: StripeDouble,
    card: str,
    ours: str,
    code: str,
) -> None:
    params: Any = {
        "amount": 5000,
        "currency": "usd",
        "payment_method": card,
        "confirm": True,
    }
    with pytest.raises(stripe.CardError) as raw:
        client.v1.payment_intents.create(params=params)
    declined = _translate(raw.value)
    assert isinstance(declined, PaymentDeclined)
    assert declined.message == ours
    assert declined.details == {"reason": "payment_declined", "declineCode": code}
    assert str(raw.value.user_message) not in _shown(declined)


def test_refunds_are_of_the_platforms_charge_and_carry_stripes_status(
    gateway: StripeGateway, client: stripe.StripeClient, double: StripeDouble
) -> None:
    intent_id = _paid_intent(gateway, client, double)
    made = gateway.refund(
        payment_intent_id=intent_id,
        amount=200,
        metadata={"sessionId": "s1", "reason": "cancelled_by_user"},
        idempotency_key="b",
    )
    assert (made.amount, made.status, made.payment_intent, made.failure_reason) == (
        200,
        "succeeded",
        intent_id,
        None,
    )
    assert made.metadata == {"sessionId": "s1", "reason": "cancelled_by_user"}
    assert double.get(made.id)["transfer_reversal"] is None  # nothing reached the expert yet
    charge = gateway.retrieve_charge(str(double.get(intent_id)["latest_charge"]))
    assert (charge.amount, charge.amount_refunded, charge.payment_intent) == (5000, 200, intent_id)

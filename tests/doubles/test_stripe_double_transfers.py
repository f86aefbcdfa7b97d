"""Separate charges and transfers on the Stripe double, driven by the real `stripe` library:
`transfer_group` on the platform's PaymentIntent and charge, and Transfers validated as Stripe
validates them (destination capability, succeeded source charge, never more than what is left
of it, idempotency)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import stripe

from scripts.doubles.stripe_double import StripeDouble


@pytest.fixture
def double() -> Iterator[StripeDouble]:
    server = StripeDouble(retry_delays=(0.01,))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(double: StripeDouble) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_transfers", base_addresses={"api": double.url}, max_network_retries=0
    )


def _account(client: stripe.StripeClient, double: StripeDouble, *, onboard: bool = True) -> str:
    account = client.v1.accounts.create(
        {
            "type": "express",
            "country": "US",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )
    if onboard:
        double.onboard_account(account.id)
    return account.id


def _paid_charge(
    client: stripe.StripeClient, *, group: str = "session1", amount: int = 12000
) -> str:
    pi = client.v1.payment_intents.create(
        {
            "amount": amount,
            "currency": "usd",
            "transfer_group": group,
            "automatic_payment_methods": {"enabled": True},
        }
    )
    assert pi.transfer_data is None and pi.application_fee_amount is None
    done = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert isinstance(done.latest_charge, str)
    return done.latest_charge


def _transfer(
    client: stripe.StripeClient, *, key: str | None = None, **params: object
) -> stripe.Transfer:
    body = {"currency": "usd", "transfer_group": "session1", **params}
    options: stripe.RequestOptions = {"idempotency_key": key} if key else {}
    return client.v1.transfers.create(body, options)  # type: ignore[arg-type]


def test_platform_charge_carries_the_transfer_group(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    charge = _paid_charge(client, group="sess_abc")
    stored = double.get(charge)
    assert stored["transfer_group"] == "sess_abc" and stored["transfer_data"] is None


def test_transfer_from_a_charge_to_a_ready_account(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    acct = _account(client, double)
    charge = _paid_charge(client)
    tr = _transfer(
        client, amount=9600, destination=acct, source_transaction=charge, metadata={"s": "1"}
    )
    assert tr.id.startswith("tr_") and tr.object == "transfer"
    assert (tr.amount, tr.currency, tr.destination) == (9600, "usd", acct)
    assert (tr.source_transaction, tr.transfer_group, tr.reversed) == (charge, "session1", False)
    assert tr.metadata.to_dict() == {"s": "1"}
    assert client.v1.transfers.retrieve(tr.id).to_dict() == tr.to_dict()
    listed = client.v1.transfers.list({"transfer_group": "session1"})
    assert [t.id for t in listed.data] == [tr.id]
    assert client.v1.transfers.list({"transfer_group": "other"}).data == []
    assert [e["data"]["object"]["id"] for e in double.events("transfer.created")] == [tr.id]


def test_transfer_never_exceeds_what_is_left_of_the_charge(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    acct = _account(client, double)
    charge = _paid_charge(client, amount=12000)
    client.v1.refunds.create({"charge": charge, "amount": 5000})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        _transfer(client, amount=7001, destination=acct, source_transaction=charge)
    assert too_much.value.code == "amount_too_large" and too_much.value.param == "amount"
    _transfer(client, amount=4000, destination=acct, source_transaction=charge)
    with pytest.raises(stripe.InvalidRequestError):  # 12000 - 5000 - 4000 = 3000 left
        _transfer(client, amount=3001, destination=acct, source_transaction=charge)
    _transfer(client, amount=3000, destination=acct, source_transaction=charge)
    assert len(double.objects("tr_")) == 2


def test_transfer_validation_like_stripe(client: stripe.StripeClient, double: StripeDouble) -> None:
    ready = _account(client, double)
    not_ready = _account(client, double, onboard=False)
    charge = _paid_charge(client)
    cases: list[tuple[dict[str, object], str | None, str]] = [
        ({"amount": 100, "destination": "acct_nope", "source_transaction": charge},
         "resource_missing", "destination"),
        ({"amount": 100, "destination": not_ready, "source_transaction": charge},
         "insufficient_capabilities_for_transfer", "destination"),
        ({"amount": 100, "destination": ready, "source_transaction": "ch_missing"},
         "resource_missing", "source_transaction"),
        ({"amount": 100, "destination": ready}, "balance_insufficient", "amount"),
        ({"amount": 0, "destination": ready, "source_transaction": charge},
         "parameter_invalid_integer", "amount"),
        ({"amount": 100, "destination": ready, "source_transaction": charge, "currency": "eur"},
         None, "currency"),
        ({"amount": 100, "destination": ready, "source_transaction": charge, "bogus": "1"},
         "parameter_unknown", "bogus"),
    ]  # fmt: skip
    for params, code, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as err:
            _transfer(client, **params)  # type: ignore[arg-type]
        assert (err.value.code, err.value.param) == (code, param), params
    assert double.objects("tr_") == []


def test_a_failed_charge_cannot_fund_a_transfer(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    acct = _account(client, double)
    pi = client.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd", "automatic_payment_methods": {"enabled": True}}
    )
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_chargeDeclined"})
    failed = client.v1.payment_intents.retrieve(pi.id).latest_charge
    assert isinstance(failed, str)
    with pytest.raises(stripe.InvalidRequestError) as err:
        _transfer(client, amount=100, destination=acct, source_transaction=failed)
    assert err.value.param == "source_transaction"


def test_the_same_idempotency_key_makes_one_transfer_even_concurrently(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    acct = _account(client, double)
    charge = _paid_charge(client)
    results: list[str] = []
    errors: list[Exception] = []

    def send() -> None:
        try:
            tr = _transfer(
                client, key="s1-transfer", amount=9600, destination=acct, source_transaction=charge
            )
            results.append(tr.id)
        except stripe.StripeError as exc:  # 409 while the first request still runs
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(double.objects("tr_")) == 1
    assert results and set(results) == {double.objects("tr_")[0]["id"]}
    with pytest.raises(stripe.IdempotencyError):  # same key, different amount
        _transfer(
            client, key="s1-transfer", amount=100, destination=acct, source_transaction=charge
        )

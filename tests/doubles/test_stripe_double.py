"""The Stripe double, driven by the real `stripe` 16 library as the booking code will drive it."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import stripe
from stripe.params import (
    AccountCreateParams,
    PaymentIntentConfirmParams,
    PaymentIntentCreateParams,
)

from scripts.doubles._stripe_forms import parse_form
from scripts.doubles.stripe_double import StripeDouble

REPO_ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_test_double_secret"


class WebhookSink:
    """Records every POST it receives; answers with queued statuses, then 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.received.append({"raw": raw, "headers": dict(self.headers)})
                    status = sink.statuses.pop(0) if sink.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/stripe/webhook"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def events(self) -> list[stripe.Event]:
        """Every received body, verified and parsed the way a webhook handler does it."""
        return [
            stripe.Webhook.construct_event(
                r["raw"], r["headers"]["Stripe-Signature"], WEBHOOK_SECRET
            )
            for r in self.received
        ]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    server = WebhookSink()
    yield server
    server.stop()


@pytest.fixture
def double(sink: WebhookSink) -> Iterator[StripeDouble]:
    server = StripeDouble(
        webhook_url=sink.url, webhook_secret=WEBHOOK_SECRET, retry_delays=(0.01, 0.01, 0.01)
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(double: StripeDouble) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_double", base_addresses={"api": double.url})


def _coach(client: stripe.StripeClient, double: StripeDouble, *, onboard: bool = True) -> str:
    params: AccountCreateParams = {
        "type": "express",
        "email": "coach@example.com",
        "country": "US",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "metadata": {"coach_id": "c1"},
    }
    account = client.v1.accounts.create(params)
    if onboard:
        double.onboard_account(account.id)
    return account.id


def _booking_intent(
    client: stripe.StripeClient, destination: str, *, key: str = "booking-b1-pi", **extra: Any
) -> stripe.PaymentIntent:
    params: PaymentIntentCreateParams = {
        "amount": 5000,
        "currency": "usd",
        "description": "Session b1",
        "metadata": {"booking_id": "b1", "coach_id": "c1"},
        "application_fee_amount": 750,
        "transfer_data": {"destination": destination},
        "automatic_payment_methods": {"enabled": True},
    }
    params.update(extra)  # type: ignore[typeddict-item]
    return client.v1.payment_intents.create(params, {"idempotency_key": key})


def _delivered_types(double: StripeDouble) -> list[str]:
    assert double.wait_for_deliveries(5)
    return [d["type"] for d in double.deliveries() if d["status"] == 200]


# ---------------------------------------------------------------------- payment intents


def test_create_echoes_connect_params(client: stripe.StripeClient, double: StripeDouble) -> None:
    acct = _coach(client, double)
    pi = _booking_intent(client, acct)
    assert pi.id.startswith("pi_")
    assert pi.object == "payment_intent"
    assert pi.client_secret is not None and pi.client_secret.startswith(f"{pi.id}_secret_")
    assert pi.status == "requires_payment_method"
    assert (pi.amount, pi.amount_received, pi.currency) == (5000, 0, "usd")
    assert pi.application_fee_amount == 750
    assert pi.transfer_data is not None and pi.transfer_data.destination == acct
    assert pi.automatic_payment_methods is not None and pi.automatic_payment_methods.enabled
    assert pi.metadata.to_dict() == {"booking_id": "b1", "coach_id": "c1"}
    assert pi.description == "Session b1"
    assert isinstance(pi.created, int) and pi.latest_charge is None
    again = client.v1.payment_intents.retrieve(pi.id)
    assert again.to_dict() == pi.to_dict()


def test_confirm_succeeds_and_emits_signed_webhook(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    pi = _booking_intent(client, _coach(client, double))
    done = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert done.status == "succeeded"
    assert done.amount_received == 5000
    assert isinstance(done.latest_charge, str) and done.latest_charge.startswith("ch_")
    charge = client.v1.payment_intents.retrieve(pi.id, {"expand": ["latest_charge"]}).latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.paid, charge.amount, charge.payment_intent) == (True, 5000, pi.id)
    assert _delivered_types(double) == ["account.updated", "payment_intent.succeeded"]
    event = sink.events()[-1]
    assert event.id.startswith("evt_") and event.type == "payment_intent.succeeded"
    assert event.livemode is False and event.api_version
    assert event.data.object["id"] == pi.id
    assert event.data.object["metadata"]["booking_id"] == "b1"
    assert event.data.object["status"] == "succeeded"
    assert event.request is not None and event.request.idempotency_key


def test_create_with_confirm_true(client: stripe.StripeClient, double: StripeDouble) -> None:
    pi = _booking_intent(
        client, _coach(client, double), confirm=True, payment_method="pm_card_visa"
    )
    assert pi.status == "succeeded"
    assert pi.payment_method == "pm_card_visa"


@pytest.mark.parametrize("card", ["pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"])
def test_decline_raises_card_error_and_leaves_intent_payable(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink, card: str
) -> None:
    pi = _booking_intent(client, _coach(client, double))
    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.confirm(pi.id, {"payment_method": card})
    err = caught.value
    assert err.http_status == 402 and err.code == "card_declined"
    assert err.error is not None and err.error.decline_code == "generic_decline"
    assert err.error.payment_intent is not None and err.error.payment_intent.id == pi.id
    failed = client.v1.payment_intents.retrieve(pi.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error is not None
    assert failed.last_payment_error.code == "card_declined"
    assert failed.amount_received == 0
    assert _delivered_types(double)[-1] == "payment_intent.payment_failed"
    # The customer can retry with another card on the same intent.
    retried = client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    assert retried.status == "succeeded" and retried.last_payment_error is None


def test_cancel_and_cancel_refused_once_succeeded(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    acct = _coach(client, double)
    open_pi = _booking_intent(client, acct, key="k-open")
    canceled = client.v1.payment_intents.cancel(
        open_pi.id, {"cancellation_reason": "requested_by_customer"}
    )
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert canceled.cancellation_reason == "requested_by_customer"
    with pytest.raises(stripe.InvalidRequestError) as confirm_canceled:
        client.v1.payment_intents.confirm(open_pi.id, {"payment_method": "pm_card_visa"})
    assert confirm_canceled.value.code == "payment_intent_unexpected_state"

    paid = _booking_intent(client, acct, key="k-paid", confirm=True, payment_method="pm_card_visa")
    with pytest.raises(stripe.InvalidRequestError) as cancel_paid:
        client.v1.payment_intents.cancel(paid.id)
    assert cancel_paid.value.http_status == 400
    assert cancel_paid.value.code == "payment_intent_unexpected_state"
    assert client.v1.payment_intents.retrieve(paid.id).status == "succeeded"
    assert "payment_intent.canceled" in _delivered_types(double)


def test_update_merges_metadata(client: stripe.StripeClient, double: StripeDouble) -> None:
    pi = _booking_intent(client, _coach(client, double))
    updated = client.v1.payment_intents.update(
        pi.id, {"metadata": {"slot": "2026-12-01T10:00", "coach_id": ""}}
    )
    assert updated.metadata.to_dict() == {"booking_id": "b1", "slot": "2026-12-01T10:00"}


def test_manual_capture(client: stripe.StripeClient, double: StripeDouble) -> None:
    pi = _booking_intent(
        client,
        _coach(client, double),
        capture_method="manual",
        confirm=True,
        payment_method="pm_card_visa",
    )
    assert (pi.status, pi.amount_capturable, pi.amount_received) == ("requires_capture", 5000, 0)
    captured = client.v1.payment_intents.capture(pi.id)
    assert (captured.status, captured.amount_received) == ("succeeded", 5000)


# ---------------------------------------------------------------------- idempotency


def test_idempotent_replay_and_mismatch(client: stripe.StripeClient, double: StripeDouble) -> None:
    acct = _coach(client, double)
    first = _booking_intent(client, acct, key="booking-b7")
    again = _booking_intent(client, acct, key="booking-b7")
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert first.last_response is not None
    assert "Idempotent-Replayed" not in first.last_response.headers
    with pytest.raises(stripe.IdempotencyError) as caught:
        _booking_intent(client, acct, key="booking-b7", amount=9000)
    assert caught.value.http_status == 400
    replays = [r["replayed"] for r in double.requests("/v1/payment_intents")]
    assert replays == [False, True, False]


def test_decline_is_replayed_for_same_key(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    pi = _booking_intent(client, _coach(client, double))
    params: PaymentIntentConfirmParams = {"payment_method": "pm_card_chargeDeclined"}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.confirm(pi.id, params, {"idempotency_key": "confirm-1"})
    assert len(double.events("payment_intent.payment_failed")) == 1


# ---------------------------------------------------------------------- refunds


def test_refund_partial_then_full_and_over_refund_rejected(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    pi = _booking_intent(
        client, _coach(client, double), confirm=True, payment_method="pm_card_visa"
    )
    partial = client.v1.refunds.create(
        {
            "payment_intent": pi.id,
            "amount": 1500,
            "reason": "requested_by_customer",
            "metadata": {"booking_id": "b1"},
        }
    )
    assert partial.id.startswith("re_") and partial.object == "refund"
    assert (partial.amount, partial.status, partial.payment_intent) == (1500, "succeeded", pi.id)
    metadata = client.v1.refunds.retrieve(partial.id).metadata
    assert metadata is not None and metadata["booking_id"] == "b1"
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 3501})
    assert over.value.param == "amount" and over.value.http_status == 400
    rest = client.v1.refunds.create({"payment_intent": pi.id})
    assert rest.amount == 3500
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create({"payment_intent": pi.id, "amount": 1})
    assert again.value.param == "amount"
    assert again.value.code == "charge_already_refunded"

    _delivered_types(double)
    refunded = [e for e in sink.events() if e.type == "charge.refunded"]
    charges = [e.data.object for e in refunded]
    assert [(c["amount_refunded"], c["refunded"]) for c in charges] == [(1500, False), (5000, True)]
    assert all(c["payment_intent"] == pi.id and c["amount"] == 5000 for c in charges)


def test_refund_requires_succeeded_intent(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    pi = _booking_intent(client, _coach(client, double))
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.refunds.create({"payment_intent": pi.id})
    assert caught.value.param == "payment_intent"


# ---------------------------------------------------------------------- connect


def test_account_link_onboarding_emits_account_updated(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    acct = _coach(client, double, onboard=False)
    before = client.v1.accounts.retrieve(acct)
    assert acct.startswith("acct_") and before.type == "express"
    assert (before.charges_enabled, before.payouts_enabled, before.details_submitted) == (
        False,
        False,
        False,
    )
    link = client.v1.account_links.create(
        {
            "account": acct,
            "refresh_url": "https://app.example/refresh",
            "return_url": "https://app.example/return",
            "type": "account_onboarding",
        }
    )
    assert link.url.startswith(f"{double.url}/connect/onboarding/{acct}")
    with urllib.request.urlopen(link.url) as page:
        assert page.status == 200
        assert page.headers["X-Next-Url"] == "https://app.example/return"
    after = client.v1.accounts.retrieve(acct)
    assert (after.charges_enabled, after.payouts_enabled, after.details_submitted) == (
        True,
        True,
        True,
    )
    assert after.capabilities is not None and after.capabilities.transfers == "active"
    with urllib.request.urlopen(link.url) as page:  # links are single use
        assert page.headers["X-Next-Url"] == "https://app.example/refresh"
    assert _delivered_types(double) == ["account.updated"]
    event = sink.events()[0]
    assert event.data.object["id"] == acct and event.data.object["charges_enabled"] is True
    previous = event.data.previous_attributes
    assert previous is not None and previous["charges_enabled"] is False


def test_destination_must_exist_and_be_onboarded(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    pending = _coach(client, double, onboard=False)
    with pytest.raises(stripe.InvalidRequestError) as not_ready:
        _booking_intent(client, pending, key="k1")
    assert not_ready.value.code == "insufficient_capabilities_for_transfer"
    assert not_ready.value.param == "transfer_data[destination]"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        _booking_intent(client, "acct_nope", key="k2")
    assert unknown.value.code == "resource_missing"


# ---------------------------------------------------------------------- validation, auth, faults


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"currency": "usd"}, "amount"),
        ({"amount": 0, "currency": "usd"}, "amount"),
        ({"amount": -5, "currency": "usd"}, "amount"),
        ({"amount": "12.5", "currency": "usd"}, "amount"),
        ({"amount": 20, "currency": "usd"}, "amount"),
        ({"amount": 5000}, "currency"),
        ({"amount": 5000, "currency": "dollars"}, "currency"),
        ({"amount": 5000, "currency": "usd", "amuont": 1}, "amuont"),
        (
            {"amount": 5000, "currency": "usd", "application_fee_amount": 9},
            "application_fee_amount",
        ),
        ({"amount": 5000, "currency": "usd", "payment_method": "pm_bogus"}, "payment_method"),
    ],
)
def test_invalid_params_raise_invalid_request_error(
    client: stripe.StripeClient, params: dict[str, Any], param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.create(params)  # type: ignore[arg-type]
    assert caught.value.http_status == 400
    assert caught.value.param == param


def test_unknown_ids_are_404(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.payment_intents.retrieve("pi_missing"),
        lambda: client.v1.refunds.retrieve("re_missing"),
        lambda: client.v1.accounts.retrieve("acct_missing"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            call()
        assert caught.value.http_status == 404 and caught.value.code == "resource_missing"


def test_requires_test_secret_key(double: StripeDouble) -> None:
    live = stripe.StripeClient("sk_live_nope", base_addresses={"api": double.url})
    with pytest.raises(stripe.AuthenticationError):
        live.v1.payment_intents.retrieve("pi_x")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{double.url}/v1/payment_intents/pi_x")
    assert caught.value.code == 401
    assert json.loads(caught.value.read())["error"]["type"] == "invalid_request_error"
    basic = urllib.request.Request(  # curl -u sk_test_...: style
        f"{double.url}/v1/payment_intents/pi_x",
        headers={"Authorization": "Basic " + base64.b64encode(b"sk_test_abc:").decode()},
    )
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(basic)
    assert missing.value.code == 404


def test_injected_5xx_raises_api_error_without_retry(
    client: stripe.StripeClient, double: StripeDouble
) -> None:
    double.fail_next("/v1/payment_intents", status=503)
    with pytest.raises(stripe.APIError) as caught:
        client.v1.payment_intents.create({"amount": 5000, "currency": "usd"})
    assert caught.value.http_status == 503
    # StripeClient's default max_network_retries is 0: exactly one request was sent.
    assert [r["status"] for r in double.requests("/v1/payment_intents")] == [503]
    ok = client.v1.payment_intents.create({"amount": 5000, "currency": "usd"})
    assert ok.status == "requires_payment_method"


def test_lost_response_is_recovered_by_retry_with_same_key(double: StripeDouble) -> None:
    retrying = stripe.StripeClient(
        "sk_test_double", base_addresses={"api": double.url}, max_network_retries=1
    )
    double.fail_next("/v1/payment_intents", status=500, phase="after")
    pi = retrying.v1.payment_intents.create(
        {"amount": 5000, "currency": "usd"}, {"idempotency_key": "booking-b9"}
    )
    log = double.requests("/v1/payment_intents")
    assert [(r["status"], r["replayed"]) for r in log] == [(500, False), (200, True)]
    assert double.get(pi.id)["amount"] == 5000
    assert len(double.objects("pi_")) == 1


def test_delay_next_times_out_client_and_replay_recovers(double: StripeDouble) -> None:
    impatient = stripe.StripeClient(
        "sk_test_double",
        base_addresses={"api": double.url},
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    double.delay_next("/v1/payment_intents", seconds=3)
    params: PaymentIntentCreateParams = {"amount": 5000, "currency": "usd"}
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params, {"idempotency_key": "booking-b10"})
    recovered = impatient.v1.payment_intents.create(params, {"idempotency_key": "booking-b10"})
    assert recovered.last_response is not None
    assert recovered.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(double.objects("pi_")) == 1


def test_retry_while_first_call_still_runs_gets_409(double: StripeDouble) -> None:
    impatient = stripe.StripeClient(
        "sk_test_double",
        base_addresses={"api": double.url},
        http_client=stripe.RequestsClient(timeout=0.3),
    )
    double.delay_next("/v1/payment_intents", seconds=3, phase="before")
    params: PaymentIntentCreateParams = {"amount": 5000, "currency": "usd"}
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.payment_intents.create(params, {"idempotency_key": "booking-b11"})
    with pytest.raises(stripe.APIError) as caught:
        impatient.v1.payment_intents.create(params, {"idempotency_key": "booking-b11"})
    assert caught.value.http_status == 409
    assert caught.value.error is not None  # APIError keeps no .code; the body has it
    assert caught.value.error.code == "idempotency_key_in_use"
    assert double.objects("pi_") == []


# ---------------------------------------------------------------------- webhooks


def test_tampered_or_wrongly_signed_webhooks_are_rejected(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    _coach(client, double)
    _delivered_types(double)
    raw, header = sink.received[0]["raw"], sink.received[0]["headers"]["Stripe-Signature"]
    assert header.startswith("t=") and ",v1=" in header
    assert stripe.Webhook.construct_event(raw, header, WEBHOOK_SECRET).type == "account.updated"
    tampered = raw.replace(b'"charges_enabled": true', b'"charges_enabled": false')
    assert tampered != raw
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, WEBHOOK_SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(raw, header, "whsec_other")
    reserialised = json.dumps(json.loads(raw))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(reserialised, header, WEBHOOK_SECRET)


def test_redeliver_sends_the_same_event_again(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    _coach(client, double)
    _delivered_types(double)
    event_id = double.events("account.updated")[0]["id"]
    attempts = double.redeliver(event_id)
    assert [a["status"] for a in attempts] == [200]
    assert [e.id for e in sink.events()] == [event_id, event_id]
    assert [d["kind"] for d in double.deliveries(event_id)] == ["auto", "redelivery"]


def test_stale_signature_timestamp_is_rejected(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    _coach(client, double)
    _delivered_types(double)
    event_id = double.events()[0]["id"]
    double.redeliver(event_id, timestamp=1_000_000_000)
    last = sink.received[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            last["raw"], last["headers"]["Stripe-Signature"], WEBHOOK_SECRET
        )


def test_hold_and_deliver_out_of_order(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    acct = _coach(client, double)
    _delivered_types(double)
    double.hold_deliveries()
    pi = _booking_intent(client, acct)
    client.v1.payment_intents.confirm(pi.id, {"payment_method": "pm_card_visa"})
    client.v1.refunds.create({"payment_intent": pi.id})
    succeeded, refunded = double.pending_events()
    assert double.event(succeeded)["type"] == "payment_intent.succeeded"
    assert double.event(refunded)["type"] == "charge.refunded"
    double.deliver(refunded)
    double.deliver(succeeded)
    double.release()
    assert double.wait_for_deliveries(5)
    assert [e.type for e in sink.events()] == [
        "account.updated",
        "charge.refunded",
        "payment_intent.succeeded",
    ]
    assert double.pending_events() == []


def test_failed_delivery_is_retried_and_recorded(
    client: stripe.StripeClient, double: StripeDouble, sink: WebhookSink
) -> None:
    sink.statuses = [500, 503]
    _coach(client, double)
    assert double.wait_for_deliveries(5)
    attempts = double.deliveries()
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    assert len({e.id for e in sink.events()}) == 1


def test_http_control_api(client: stripe.StripeClient, double: StripeDouble) -> None:
    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{double.url}/_double{path}", data=data, method=method)
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    acct = _coach(client, double, onboard=False)
    call("POST", f"/accounts/{acct}/onboard")
    assert call("POST", "/deliveries/wait", {"timeout": 5}) == {"idle": True}
    events = call("GET", "/events")["data"]
    assert [e["type"] for e in events] == ["account.updated"]
    assert call("GET", f"/deliveries?event_id={events[0]['id']}")["data"][0]["status"] == 200
    call("POST", "/fail_next", {"path_prefix": "/v1/accounts", "status": 500})
    with pytest.raises(stripe.APIError):
        client.v1.accounts.retrieve(acct)
    assert call("GET", f"/objects/{acct}")["charges_enabled"] is True
    call("POST", "/reset")
    assert call("GET", "/events")["data"] == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.retrieve(acct)


def test_runs_as_a_script() -> None:
    proc = subprocess.Popen(
        [sys.executable, "scripts/doubles/stripe_double.py", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        remote = stripe.StripeClient("sk_test_double", base_addresses={"api": url})
        assert remote.v1.payment_intents.create({"amount": 5000, "currency": "eur"}).id
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_parse_form_nesting() -> None:
    parsed = parse_form(
        "metadata[booking_id]=b1&transfer_data[destination]=acct_1&expand[]=a&expand[]=b"
        "&items[0][price]=p1&items[1][price]=p2&automatic_payment_methods[enabled]=true"
        "&metadata[empty]="
    )
    assert parsed == {
        "metadata": {"booking_id": "b1", "empty": ""},
        "transfer_data": {"destination": "acct_1"},
        "expand": ["a", "b"],
        "items": [{"price": "p1"}, {"price": "p2"}],
        "automatic_payment_methods": {"enabled": "true"},
    }

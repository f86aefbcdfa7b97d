"""Booking fixtures: an in-process Stripe double whose signed webhooks are recorded and applied
on demand, the real StripeGateway pointed at it, a controllable clock, and a `World` with one
bookable expert."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from salamin.core.clock import FixedClock
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.doubles.stripe_double import StripeDouble
from scripts.doubles.webhook_sink import WebhookSink
from tests.support.booking import (
    CONNECT_WEBHOOK_SECRET,
    NOW,
    SECRET_KEY,
    WEBHOOK_SECRET,
    World,
    make_expert,
)
from tests.support.fakes import RecordingTasks


@pytest.fixture(scope="session")
def _double_and_sink() -> Iterator[tuple[StripeDouble, WebhookSink]]:
    sink = WebhookSink()
    double = StripeDouble(
        port=0,
        webhook_url=sink.url,
        webhook_secret=WEBHOOK_SECRET,
        connect_webhook_secret=CONNECT_WEBHOOK_SECRET,
    )
    double.start()
    yield double, sink
    double.stop()
    sink.stop()


@pytest.fixture
def double(_double_and_sink: tuple[StripeDouble, WebhookSink]) -> StripeDouble:
    d, sink = _double_and_sink
    d.reset()
    d.configure_webhook(sink.url, WEBHOOK_SECRET, CONNECT_WEBHOOK_SECRET)
    sink.reset()
    return d


@pytest.fixture
def sink(_double_and_sink: tuple[StripeDouble, WebhookSink], double: StripeDouble) -> WebhookSink:
    return _double_and_sink[1]


@pytest.fixture
def gateway(double: StripeDouble) -> StripeGateway:
    return StripeGateway(
        SECRET_KEY,
        webhook_secret=WEBHOOK_SECRET,
        connect_webhook_secret=CONNECT_WEBHOOK_SECRET,
        api_base=double.url,
        timeout=1.5,
        max_network_retries=0,
    )


@pytest.fixture
def browser(double: StripeDouble) -> stripe.StripeClient:
    """What the candidate's browser does with the client secret (Stripe.js), as a client."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": double.url})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def tasks() -> RecordingTasks:
    return RecordingTasks()


@pytest.fixture
def world(
    db: Any,
    double: StripeDouble,
    sink: WebhookSink,
    gateway: StripeGateway,
    browser: stripe.StripeClient,
    clock: FixedClock,
    tasks: RecordingTasks,
) -> World:
    make_expert(db, double, gateway)
    double.wait_for_deliveries(5.0)
    sink.take()  # the account.updated of onboarding is not what these tests look at
    return World(db, double, sink, gateway, browser, clock, tasks)

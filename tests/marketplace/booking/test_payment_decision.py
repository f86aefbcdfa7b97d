"""`decide_payment`: what a succeeded PaymentIntent does to the session it names (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.gateways.stripe_gateway import PaymentIntentInfo
from salamin.marketplace.booking.payments import decide_payment
from salamin.models.session import ExpertSession
from tests.support.booking import session_model

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
BEFORE = START - timedelta(hours=48)


def _intent(amount: int = 12000, currency: str = "usd", pi: str = "pi_1") -> PaymentIntentInfo:
    return PaymentIntentInfo(
        id=pi,
        client_secret=None,
        status="succeeded",
        amount=amount,
        amount_received=amount,
        currency=currency,
        metadata={"sessionId": "s-1"},
    )


def _pending(**overrides: object) -> ExpertSession:
    return session_model(**{"status": "pending", "paymentStatus": "pending", **overrides})


def test_a_pending_hold_takes_its_time() -> None:
    assert decide_payment(_pending(), intent=_intent(), now=BEFORE) == ("occupy", None)
    failed_once = _pending(paymentStatus="failed", paymentIntentId="pi_1")
    assert decide_payment(failed_once, intent=_intent(), now=BEFORE) == ("occupy", None)


def test_an_unknown_session_is_an_orphan() -> None:
    assert decide_payment(None, intent=_intent(), now=BEFORE) == ("orphan", "unknown_session")


@pytest.mark.parametrize(
    "intent",
    [_intent(amount=11999), _intent(currency="eur"), _intent(pi="pi_other")],
    ids=["amount", "currency", "intent-id"],
)
def test_an_intent_that_does_not_match_its_session_is_an_orphan(intent: PaymentIntentInfo) -> None:
    session = _pending(paymentIntentId="pi_1")
    assert decide_payment(session, intent=intent, now=BEFORE) == ("orphan", "mismatch")


def test_currency_case_does_not_matter() -> None:
    assert decide_payment(_pending(), intent=_intent(currency="USD"), now=BEFORE)[0] == "occupy"


def test_a_paid_or_refunded_session_is_already_done() -> None:
    for status in ("paid", "partially_refunded", "refunded"):
        paid = session_model(paymentStatus=status, paymentIntentId="pi_1")
        assert decide_payment(paid, intent=_intent(), now=BEFORE) == ("already", None)


def test_an_expired_hold_is_revived_only_while_its_time_is_ahead() -> None:
    expired = _pending(status="cancelled", cancellationReason="hold_expired")
    assert decide_payment(expired, intent=_intent(), now=BEFORE) == ("occupy", None)
    assert decide_payment(expired, intent=_intent(), now=START) == (
        "refund",
        "session_not_bookable",
    )


def test_a_session_cancelled_by_a_person_is_refunded() -> None:
    cancelled = _pending(status="cancelled", cancellationReason="plans changed")
    assert decide_payment(cancelled, intent=_intent(), now=BEFORE) == (
        "refund",
        "session_not_bookable",
    )

"""Stripe as it really behaves: two webhook endpoints with their own signing secrets, payments
that arrive after the session has started, Stripe's wording kept away from clients, refunds made
from the dashboard, and refunds that fail (tracked through refund.updated, never retried for
ever, never left in the ledger)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway, WebhookSignatureInvalid
from salamin.marketplace.booking import lifecycle, payments, webhooks
from salamin.models.notifications import RefundFailedNotification
from tests.support.booking import (
    CONNECT_WEBHOOK_SECRET,
    EXPERT,
    SECRET_KEY,
    USER,
    USER2,
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
    """Booked at 08:10 for 08:30 (the hold ends at the start), paid at 08:35 before any task or
    sweep released the hold: the money goes back in full and the session is cancelled, by the
    system, with the reason the time is no longer bookable."""
    world.clock.advance(timedelta(minutes=10))
    result = world.book(USER, date="2026-11-02", start="08:30", duration=30)
    assert world.locks() != {}
    world.clock.advance(timedelta(minutes=25))
    world.pay(result)
    assert [o.result for o in world.deliver()] == ["refunded"]
    session = world.session(result.sessionId)
    assert (session.status, session.cancellationReason, session.cancelledBy) == (
        "cancelled",
        "time_passed",
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


# --- refunds made at Stripe ----------------------------------------------------------------------


def _cancel(world: World, session_id: str) -> Any:
    """The candidate cancels 48 h ahead: a full refund, decided and sent to Stripe."""
    return lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=session_id,
        cancelled_by="user",
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )


def _sums(world: World, session_id: str) -> list[int]:
    lines = world.ledger(session_id)
    return [sum(x[k] for x in lines) for k in ("grossAmount", "platformFee", "netAmount")]


def _admin_notices(world: World) -> list[RefundFailedNotification]:
    return [
        RefundFailedNotification.model_validate(s.to_dict())
        for s in world.db.collection(col.ADMIN_NOTIFICATIONS).stream()
        if (s.to_dict() or {}).get("type") == "refund_failed"
    ]


def test_a_full_dashboard_refund_cancels_the_session_and_frees_its_time(world: World) -> None:
    session_id = world.book_and_pay(USER)
    intent_id = world.session(session_id).paymentIntentId
    locks = world.locks()
    assert locks and world.count("days", "2026-11-04") == 1
    partial: Any = {"payment_intent": intent_id, "amount": 3000}
    world.browser.v1.refunds.create(params=partial)
    world.deliver()
    session = world.session(session_id)
    assert (session.status, session.paymentStatus) == ("confirmed", "partially_refunded")
    assert world.locks() == locks  # a partial refund keeps the session and its time
    rest: Any = {"payment_intent": intent_id}
    world.browser.v1.refunds.create(params=rest)
    (outcome,) = world.deliver()
    session = world.session(session_id)
    assert (session.status, session.cancelledBy, session.cancellationReason) == (
        "cancelled",
        "system",
        "refunded_at_stripe",
    )
    assert (session.paymentStatus, session.refundedAmount) == ("refunded", 12000)
    assert outcome.status == "cancelled"
    assert world.locks() == {} and world.count("days", "2026-11-04") == 0
    assert not world.exists(f"{col.EXPERT_CALENDARS}/{EXPERT}/busy/{session_id}")
    assert _sums(world, session_id) == [0, 0, 0]
    assert "Salamin cancelled" in world.mails()[f"{session_id}-cancelled-user"]["message"]["text"]
    # a redelivery changes nothing, and the freed time can be booked again
    (event,) = [e for e in world.double.events("charge.refunded")][-1:]
    world.double.redeliver(event["id"])
    assert [o.result for o in world.deliver()] == ["duplicate"]
    assert world.book(USER2).sessionId != session_id


def test_a_refund_that_fails_after_the_fact_is_reversed_and_opens_an_admin_notification(
    world: World,
) -> None:
    """Stripe's refund-failure card: the refund answers `succeeded`, then fails (the card was
    closed). The candidate got nothing back, so the ledger must not say so."""
    result = world.book(USER)
    world.pay(result, card="pm_card_refundFail")
    world.deliver()
    outcome = _cancel(world, result.sessionId)
    assert outcome.refundStatus == "succeeded"  # what Stripe first answers
    results = [o.result for o in world.deliver()]  # charge.refunded, then the two failures
    assert len(results) == 3 and "duplicate" not in results
    session = world.session(result.sessionId)
    assert session.refund is not None
    assert (session.refund.status, session.refund.failureReason) == (
        "failed",
        "expired_or_canceled_card",
    )
    assert (session.status, session.paymentStatus, session.refundedAmount) == (
        "cancelled",
        "paid",
        0,
    )
    assert _sums(world, result.sessionId) == [12000, 2400, 9600]
    kinds = sorted(x["type"] for x in world.ledger(result.sessionId))
    assert kinds == ["charge", "refund", "refund_failed"]
    assert world.private("stats")["totalEarnings"] == 9600
    (notice,) = _admin_notices(world)
    (refund,) = world.double.objects("re_")
    assert (notice.type, notice.sessionId, notice.amount, notice.currency) == (
        "refund_failed",
        result.sessionId,
        12000,
        "USD",
    )
    assert (notice.refundId, notice.failureReason) == (refund["id"], "expired_or_canceled_card")
    # nothing is retried: there is no pending refund left for the sweep
    assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 0
    assert len(world.double.objects("re_")) == 1


def test_a_refund_snapshot_delivered_after_its_failure_ledgers_nothing(world: World) -> None:
    """Stripe does not order deliveries: `charge.refunded` (taken while the refund was still
    good) may arrive after `refund.updated` said it failed. The charge as Stripe has it now
    decides, so the failed refund is not ledgered again."""
    result = world.book(USER)
    world.pay(result, card="pm_card_refundFail")
    world.deliver()
    world.double.hold_deliveries()
    _cancel(world, result.sessionId)
    (snapshot,) = world.double.events("charge.refunded")
    assert snapshot["data"]["object"]["amount_refunded"] == 12000
    (failed,) = world.double.events("refund.updated")
    world.double.deliver(failed["id"])
    world.double.deliver(snapshot["id"])
    world.double.release()
    world.deliver()
    session = world.session(result.sessionId)
    assert (session.refundedAmount, session.paymentStatus) == (0, "paid")
    assert _sums(world, result.sessionId) == [12000, 2400, 9600]
    assert len(_admin_notices(world)) == 1


def test_a_refund_stripe_refuses_fails_to_an_admin_at_once_and_a_dashboard_refund_settles_it(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    world.double.fail_next("/v1/refunds", status=400)
    outcome = _cancel(world, session_id)
    assert outcome.status == "cancelled" and outcome.refundStatus == "failed"
    assert world.double.objects("re_") == []
    assert _sums(world, session_id) == [12000, 2400, 9600]
    (notice,) = _admin_notices(world)
    assert (notice.type, notice.refundId, notice.failureReason) == (
        "refund_failed",
        None,
        "refund_rejected",
    )
    assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 0
    assert world.double.objects("re_") == []
    # the admin refunds from the dashboard: synced as a new refund, with a line of its own
    intent_id = world.session(session_id).paymentIntentId
    full: Any = {"payment_intent": intent_id}
    world.browser.v1.refunds.create(params=full)
    world.deliver()
    session = world.session(session_id)
    assert (session.status, session.paymentStatus, session.refundedAmount) == (
        "cancelled",
        "refunded",
        12000,
    )
    assert _sums(world, session_id) == [0, 0, 0]
    assert len(world.ledger(session_id)) == 4  # charge, refund, its reversal, the real refund


def test_an_unreachable_stripe_fails_the_refund_after_a_bounded_number_of_tries(
    world: World,
) -> None:
    session_id = world.book_and_pay(USER)
    world.double.fail_next("/v1/refunds", status=503, times=50)
    assert _cancel(world, session_id).refundStatus == "pending"
    for _ in range(payments.MAX_REFUND_ATTEMPTS - 2):
        assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 0
        assert world.session(session_id).refund.status == "pending"  # type: ignore[union-attr]
    payments.retry_pending_refunds(world.db, payments=world.gateway)
    session = world.session(session_id)
    assert session.refund is not None
    assert (session.refund.status, session.refund.attempts) == ("failed", 4)
    tries = len(world.double.requests("/v1/refunds"))
    assert tries == payments.MAX_REFUND_ATTEMPTS
    assert payments.retry_pending_refunds(world.db, payments=world.gateway) == 0
    assert len(world.double.requests("/v1/refunds")) == tries  # never tried again
    assert _sums(world, session_id) == [12000, 2400, 9600]
    assert [n.failureReason for n in _admin_notices(world)] == ["provider_unreachable"]

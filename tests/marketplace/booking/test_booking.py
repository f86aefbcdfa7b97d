"""createBookingRequest against the Firestore emulator and the Stripe double (no HTTP layer)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied, SalaminError
from salamin.gateways.stripe_gateway import StripeUnavailable
from salamin.marketplace.booking import holds, payments
from salamin.models.session import BookingRequest
from tests.support.booking import DAY, EXPERT, USER, USER2, World, make_expert


def _nothing_left(world: World, session_id: str | None = None) -> None:
    """No session, busy, lock or cap token anywhere: the calendar is as before the booking."""
    assert list(world.db.collection(col.EXPERT_SESSIONS).stream()) == []
    cal = world.calendar()
    assert list(cal.collection("busy").stream()) == []
    assert list(cal.collection("locks").stream()) == []
    for kind in ("days", "weeks"):
        for day in cal.collection(kind).stream():
            assert (day.to_dict() or {}).get("count", 0) == 0
            assert list(day.reference.collection("tokens").stream()) == []


def test_booking_and_payment_flow(world: World) -> None:
    """The spec's test: book, pay, and the session is confirmed, with everything around it."""
    result = world.book(USER, start="10:00")
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("pending", "pending")
    assert session.price == 12000 and session.currency == "USD"
    assert result.holdExpiresAt == world.clock.now() + timedelta(minutes=30)
    assert result.clientSecret.startswith(result.paymentIntentId)

    intent = world.double.get(result.paymentIntentId)
    assert intent["amount"] == 12000 and intent["currency"] == "usd"
    # a platform charge: the expert's net is transferred after delivery (test_delivery.py)
    assert intent["transfer_group"] == result.sessionId
    assert intent["application_fee_amount"] is None and intent["transfer_data"] is None
    assert intent["metadata"] == {
        "sessionId": result.sessionId,
        "expertId": EXPERT,
        "userId": USER.uid,
    }
    keys = [
        r["idempotency_key"]
        for r in world.double.requests("/v1/payment_intents")
        if r["method"] == "POST"
    ]
    assert keys == [f"{result.sessionId}-pi"]

    busy = world.calendar().collection("busy").document(result.sessionId).get().to_dict()
    assert busy["status"] == "held" and busy["expiresAt"] == result.holdExpiresAt
    locks = world.locks()
    assert len(locks) == 15  # 60 min + 15 min buffer in 5-minute units
    assert {v["sessionId"] for v in locks.values()} == {result.sessionId}
    assert world.count("days", DAY) == 1 and world.count("weeks", "2026-W45") == 1
    task = world.tasks.enqueued[(holds.EXPIRY_QUEUE, f"{result.sessionId}-hold")]
    assert task[0] == {"sessionId": result.sessionId}
    assert task[1] == result.holdExpiresAt + holds.EXPIRY_GRACE

    world.pay(result)
    outcomes = world.deliver()
    assert [o.result for o in outcomes] == ["confirmed"]

    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("confirmed", "paid")
    assert session.meetingLink and session.meetingLink.startswith("https://meet.jit.si/Salamin-")
    busy = world.calendar().collection("busy").document(result.sessionId).get().to_dict()
    assert busy["status"] == "confirmed" and busy["expiresAt"] is None
    assert all(
        v["status"] == "confirmed" and v["expiresAt"] is None for v in world.locks().values()
    )
    (line,) = world.ledger(result.sessionId)
    assert (line["grossAmount"], line["platformFee"], line["netAmount"]) == (12000, 2400, 9600)
    assert line["currency"] == "USD"
    perf = world.expert()["performance"]
    assert perf["totalSessions"] == 1 and world.private("stats")["totalEarnings"] == 9600
    mails = world.mails()
    user_mail = mails[f"{result.sessionId}-confirmed-user"]
    expert_mail = mails[f"{result.sessionId}-confirmed-expert"]
    assert user_mail["to"] == USER.email and expert_mail["to"] == "ada@example.com"
    for mail in (user_mail, expert_mail):
        (attachment,) = mail["message"]["attachments"]
        assert attachment["filename"] == "session.ics"
        assert session.meetingLink in mail["message"]["text"]
    assert world.tasks.deleted == [(holds.EXPIRY_QUEUE, f"{result.sessionId}-hold")]


def test_confirm_payment_call_asks_stripe_and_takes_the_same_path(world: World) -> None:
    result = world.book(USER, start="10:00")
    with pytest.raises(FailedPrecondition, match="not successful"):
        payments.confirm_payment_call(
            world.db,
            caller=USER,
            session_id=result.sessionId,
            payment_intent_id=result.paymentIntentId,
            clock=world.clock,
            payments=world.gateway,
            tasks=world.tasks,
        )
    world.pay(result)
    outcome = payments.confirm_payment_call(
        world.db,
        caller=USER,
        session_id=result.sessionId,
        payment_intent_id=result.paymentIntentId,
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    assert (outcome.result, outcome.status) == ("confirmed", "confirmed")
    # the webhook for the same payment arrives afterwards: nothing happens twice
    assert [o.result for o in world.deliver()] == ["already"]
    assert len(world.ledger(result.sessionId)) == 1
    with pytest.raises(PermissionDenied):
        payments.confirm_payment_call(
            world.db,
            caller=USER2,
            session_id=result.sessionId,
            payment_intent_id=result.paymentIntentId,
            clock=world.clock,
            payments=world.gateway,
            tasks=world.tasks,
        )


def test_twenty_concurrent_overlapping_requests_make_exactly_one_hold(world: World) -> None:
    starts = ["10:00", "10:30", "11:00"]  # every pair overlaps (60 min + 15 min buffer)
    callers = [Caller(uid=f"racer-{i}", email=f"racer{i}@example.com") for i in range(20)]
    results: list[Any] = [None] * 20
    barrier = threading.Barrier(20)

    def attempt(i: int) -> None:
        barrier.wait()
        try:
            results[i] = world.book(callers[i], start=starts[i % 3])
        except SalaminError as exc:
            results[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(losses) == 19 and all(isinstance(e, FailedPrecondition) for e in losses), losses
    sessions = list(world.db.collection(col.EXPERT_SESSIONS).stream())
    assert [s.id for s in sessions] == [wins[0].sessionId]
    assert {v["sessionId"] for v in world.locks().values()} == {wins[0].sessionId}
    assert len(list(world.calendar().collection("busy").stream())) == 1
    assert world.count("days", DAY) == 1
    assert len(world.double.objects("pi_")) == 1


def test_concurrent_bookings_of_different_times_all_succeed(world: World) -> None:
    starts = ["08:00", "09:30", "11:00", "12:30", "14:00", "15:30"]
    out: list[Any] = [None] * len(starts)

    def attempt(i: int) -> None:
        caller = Caller(uid=f"u-{i}", email=f"u{i}@example.com")
        try:
            out[i] = world.book(caller, start=starts[i])
        except SalaminError as exc:
            out[i] = exc

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not isinstance(r, Exception) for r in out), out
    assert world.count("days", DAY) == len(starts)
    assert len(
        list(world.calendar().collection("days").document(DAY).collection("tokens").stream())
    ) == len(starts)


def test_daily_cap_holds_exactly(world: World, db: Any, double: Any, gateway: Any) -> None:
    make_expert(db, double, gateway, expert_id="capped", per_day=2)
    world.book(USER, start="08:00", expert_id="capped")
    world.book(USER2, start="10:00", expert_id="capped")
    with pytest.raises(FailedPrecondition, match="fully booked"):
        world.book(Caller(uid="u3", email="u3@example.com"), start="12:00", expert_id="capped")


def test_an_expired_hold_does_not_block_and_is_released_once(world: World) -> None:
    first = world.book(USER, start="10:00")
    with pytest.raises(FailedPrecondition):
        world.book(USER2, start="10:30")
    world.clock.advance(timedelta(minutes=31))
    second = world.book(USER2, start="10:30")
    old = world.session(first.sessionId)
    assert (old.status, old.cancellationReason, old.expiredBy) == (
        "cancelled",
        "hold_expired",
        "booking",
    )
    assert world.double.get(first.paymentIntentId)["status"] == "canceled"
    assert {v["sessionId"] for v in world.locks().values()} == {second.sessionId}
    assert world.count("days", DAY) == 1


def test_request_errors_write_nothing(world: World, db: Any, double: Any, gateway: Any) -> None:
    with pytest.raises(FailedPrecondition, match="own sessions"):
        world.book(Caller(uid=EXPERT), start="10:00")
    request = BookingRequest(
        userId="someone-else",
        expertId=EXPERT,
        sessionType="mock_interview",
        date=DAY,
        startTime="10:00",
        duration=60,
    )
    from salamin.marketplace.booking import booking

    with pytest.raises(PermissionDenied):
        booking.create_booking_request(
            world.db,
            caller=USER,
            request=request,
            clock=world.clock,
            payments=world.gateway,
            tasks=world.tasks,
        )
    with pytest.raises(FailedPrecondition, match="not one of the expert's"):
        world.book(USER, start="10:10")
    with pytest.raises(NotFound):
        world.book(USER, expert_id="nobody")
    make_expert(db, double, gateway, expert_id="no-payouts", onboard=False)
    with pytest.raises(FailedPrecondition, match="payout"):
        world.book(USER, expert_id="no-payouts")
    _nothing_left(world)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ({"status": 500, "times": 1}, StripeUnavailable),  # a 5xx (the test gateway does not retry)
        ({"status": 402, "times": 1}, SalaminError),  # Stripe refuses (card_error shape)
        ({"status": 400, "times": 1}, SalaminError),  # invalid request
    ],
)
def test_stripe_errors_leave_no_orphan(world: World, fault: dict[str, int], expected: type) -> None:
    world.double.fail_next(
        "/v1/payment_intents", fault["status"], times=fault["times"], method="POST"
    )
    with pytest.raises(expected):
        world.book(USER, start="10:00")
    _nothing_left(world)
    # and the time is bookable again straight away
    assert world.book(USER2, start="10:00").sessionId


def test_stripe_timeout_leaves_no_orphan(world: World) -> None:
    world.double.delay_next("/v1/payment_intents", 3.0, method="POST", phase="after")
    with pytest.raises(StripeUnavailable):
        world.book(USER, start="10:00")
    _nothing_left(world)
    # Stripe made the intent before the answer was lost; its secret never reached the user.
    # Should it be paid anyway, the webhook finds no session and refunds it in full.
    (intent,) = world.double.objects("pi_")
    world.browser.v1.payment_intents.confirm(
        intent["id"], params={"payment_method": "pm_card_visa"}
    )
    assert [o.result for o in world.deliver()] == ["orphan_refunded"]
    (refund,) = world.double.objects("re_")
    assert refund["amount"] == intent["amount"] and refund["payment_intent"] == intent["id"]
    _nothing_left(world)


def test_declined_card_keeps_the_hold_then_expiry_frees_it(world: World) -> None:
    result = world.book(USER, start="10:00")
    world.pay(result, card="pm_card_chargeDeclined")
    outcomes = world.deliver()
    assert [o.paymentStatus for o in outcomes] == ["failed"]
    session = world.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("pending", "failed")
    assert any(k.startswith(f"{result.sessionId}-payment-failed-") for k in world.mails())
    with pytest.raises(FailedPrecondition):
        world.book(USER2, start="10:00")  # the hold still protects the time
    world.clock.advance(timedelta(minutes=30))
    assert holds.expire_hold(
        world.db,
        session_id=result.sessionId,
        clock=world.clock,
        payments=world.gateway,
        source="task",
    )
    assert world.session(result.sessionId).status == "cancelled"
    assert list(world.calendar().collection("busy").stream()) == []
    assert world.locks() == {}
    assert world.double.get(result.paymentIntentId)["status"] == "canceled"


def test_first_time_discount_is_charged(world: World, db: Any, double: Any, gateway: Any) -> None:
    make_expert(
        db,
        double,
        gateway,
        expert_id="discounter",
        first_time_discount={"percentage": 25, "maxSessions": 1},
    )
    result = world.book(USER, start="10:00", expert_id="discounter")
    assert result.amount == 9000 and result.priceBreakdown.discountKind == "first_time"
    intent = world.double.get(result.paymentIntentId)
    assert intent["amount"] == 9000 and result.priceBreakdown.platformFee == 1800

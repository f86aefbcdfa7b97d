"""Booking with a package credit: no PaymentIntent, the credit reserved in the commit that claims
the time and redeemed with the confirmation; a cancellation gives it back at the full-refund
tier only; the ledger adds up to the cent across purchase, redemption, refund and expiry; and
what a candidate could try (someone else's credits, another expert or session, an expired or
refunded credit, racing bookings, a refund while a booking is in flight, cancelling twice)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import FailedPrecondition, PermissionDenied, SalaminError
from salamin.marketplace.booking import delivery, lifecycle, packages, pricing
from salamin.marketplace.experts import earnings
from tests.support.booking import DAY, EXPERT, NOW, USER, USER2, World, make_expert
from tests.support.packages import (
    DEAL,
    book_with_credit,
    bought_and_paid,
    buy,
    in_balance,
    offer,
    purchase,
)

FOUR = {**DEAL, "name": "Four mocks", "sessionCount": 4, "totalPrice": 10001}
SHORT = {**DEAL, "name": "One day", "validityDays": 1}


@pytest.fixture
def deal_world(world: World) -> World:
    return offer(world, DEAL, FOUR, SHORT)


def payment_intents(world: World) -> int:
    return len([r for r in world.double.requests("/v1/payment_intents") if r["method"] == "POST"])


def stripe_refunds(world: World) -> list[dict[str, Any]]:
    return [r for r in world.double.requests("/v1/refunds") if r["method"] == "POST"]


def cancel(world: World, session_id: str, by: str = "user") -> lifecycle.CancelOutcome:
    caller = USER if by == "user" else Caller(uid=EXPERT)
    return lifecycle.cancel_session(
        world.db,
        caller=caller,
        session_id=session_id,
        cancelled_by=by,  # type: ignore[arg-type]
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )


def refund_unused(world: World, purchase_id: str) -> dict[str, Any]:
    return packages.refund_unused_credits(
        world.db, caller=USER, purchase_id=purchase_id, clock=world.clock, payments=world.gateway
    )


def test_a_credit_books_a_confirmed_session_without_payment(deal_world: World) -> None:
    w = deal_world
    purchase_id = bought_and_paid(w)
    intents_before = payment_intents(w)
    result = book_with_credit(w, purchase_id)
    assert result.status == "confirmed" and result.packagePurchaseId == purchase_id
    assert (result.paymentIntentId, result.clientSecret, result.holdExpiresAt) == (None,) * 3
    assert payment_intents(w) == intents_before  # no new payment
    session = w.session(result.sessionId)
    assert (session.status, session.paymentStatus) == ("confirmed", "paid")
    assert session.meetingLink
    assert session.paymentIntentId == purchase(w, purchase_id).paymentIntentId
    assert (session.price, session.priceBreakdown.discountKind) == (3334, "package")
    bought = purchase(w, purchase_id)
    assert [(c.state, c.sessionId) for c in bought.credits] == [
        ("redeemed", result.sessionId),
        ("unused", None),
        ("unused", None),
    ]
    in_balance(bought)
    # the time is taken for good: confirmed locks and busy interval
    assert {lock["status"] for lock in w.locks().values()} == {"confirmed"}
    busy = w.calendar().collection("busy").document(result.sessionId).get()
    assert busy.get("status") == "confirmed"
    # the expert's net per redeemed session: the credit's value less the 20% fee
    [line] = w.ledger(result.sessionId)
    fee = pricing.platform_fee(3334)
    assert (line["type"], line["grossAmount"], line["platformFee"], line["netAmount"]) == (
        "charge",
        3334,
        fee,
        3334 - fee,
    )
    assert line["packagePurchaseId"] == purchase_id
    assert line["paymentIntentId"] == bought.paymentIntentId  # the package's money
    assert w.private("stats")["totalEarnings"] == 3334 - fee
    assert f"{result.sessionId}-confirmed-user" in w.mails()


def test_a_package_price_wins_over_first_time_and_bulk_discounts(deal_world: World) -> None:
    w = deal_world
    w.db.collection(col.EXPERTS).document(EXPERT).update(
        {
            "pricing.firstTimeDiscount": {"percentage": 50, "maxSessions": 2},
            "pricing.bulkDiscounts": [{"minimumSessions": 2, "discountPercentage": 40}],
        }
    )
    purchase_id = bought_and_paid(w)
    first = w.session(book_with_credit(w, purchase_id, start="10:00").sessionId)
    second = w.session(book_with_credit(w, purchase_id, start="12:00").sessionId)
    for session, value in ((first, 3334), (second, 3333)):
        quote = session.priceBreakdown
        assert (quote.amount, quote.discountKind, quote.discountPercentage) == (
            value,
            "package",
            DEAL["discountPercentage"],
        )
    # credit sessions are paid sessions with this expert: a later paid booking is the third
    later = w.book(start="14:00")
    assert later.priceBreakdown.discountKind == "bulk"


def test_what_a_candidate_could_try_with_credits_is_refused_and_writes_nothing(
    deal_world: World,
) -> None:
    w = deal_world
    purchase_id = bought_and_paid(w)
    make_expert(w.db, w.double, w.gateway, expert_id="expert-bob", email="bob@example.com")
    with pytest.raises(PermissionDenied):  # someone else's package
        book_with_credit(w, purchase_id, USER2)
    with pytest.raises(FailedPrecondition) as other_expert:
        book_with_credit(w, purchase_id, expert_id="expert-bob")
    with pytest.raises(FailedPrecondition) as other_type:
        book_with_credit(w, purchase_id, session_type="resume_review")
    with pytest.raises(FailedPrecondition) as longer:
        book_with_credit(w, purchase_id, duration=90)
    assert {e.value.reason for e in (other_expert, other_type, longer)} == {"credit_not_applicable"}
    unpaid = buy(w)["purchaseId"]
    with pytest.raises(FailedPrecondition) as not_paid:
        book_with_credit(w, unpaid)
    assert not_paid.value.reason == "package_not_paid"
    short = bought_and_paid(w, name=str(SHORT["name"]))
    with pytest.raises(FailedPrecondition) as after_expiry:  # valid 1 day, session in 2
        book_with_credit(w, short)
    assert after_expiry.value.reason == "session_after_package_expiry"
    with pytest.raises(SalaminError):
        book_with_credit(w, "NoSuchPurchase0000")
    assert list(w.db.collection(col.EXPERT_SESSIONS).stream()) == []
    assert {c.state for c in purchase(w, purchase_id).credits} == {"unused"}
    # refunded credits, then expired ones, cannot be used either
    refund_unused(w, purchase_id)
    with pytest.raises(FailedPrecondition) as refunded:
        book_with_credit(w, purchase_id)
    assert refunded.value.reason == "no_unused_credits"
    other = bought_and_paid(w)
    w.clock.advance(timedelta(days=90))
    with pytest.raises(FailedPrecondition) as expired:
        book_with_credit(w, other, date=(w.clock.now() + timedelta(days=2)).date().isoformat())
    assert expired.value.reason == "package_expired"
    assert list(w.db.collection(col.EXPERT_SESSIONS).stream()) == []


def test_concurrent_bookings_never_spend_one_credit_twice(deal_world: World) -> None:
    """Five bookings of five free times race for three credits: exactly three win, each with
    its own credit; the others get `no_unused_credits` and leave nothing behind."""
    w = deal_world
    purchase_id = bought_and_paid(w)
    starts = ["09:00", "11:00", "13:00", "15:00", "17:00"]

    def attempt(start: str) -> str:
        try:
            return book_with_credit(w, purchase_id, start=start).sessionId
        except SalaminError as exc:
            return f"error:{getattr(exc, 'reason', exc.code)}"

    with ThreadPoolExecutor(max_workers=len(starts)) as pool:
        outcomes = list(pool.map(attempt, starts))
    booked = [o for o in outcomes if not o.startswith("error:")]
    assert len(booked) == 3, outcomes
    assert Counter(o for o in outcomes if o.startswith("error:")) == {"error:no_unused_credits": 2}
    bought = purchase(w, purchase_id)
    assert sorted(c.sessionId or "" for c in bought.credits) == sorted(booked)
    assert {c.state for c in bought.credits} == {"redeemed"}
    in_balance(bought)
    sessions = list(w.db.collection(col.EXPERT_SESSIONS).stream())
    assert sorted(s.id for s in sessions) == sorted(booked)
    assert {s.get("status") for s in sessions} == {"confirmed"}
    assert sum(line["grossAmount"] for line in w.ledger()) == 10000


def test_a_refund_while_a_booking_is_in_flight_never_refunds_its_credit(
    deal_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refund lands between the booking's claim and its confirmation: the reserved credit
    is not refunded, the booking still confirms, and every unit is accounted once."""
    w = deal_world
    purchase_id = bought_and_paid(w)
    confirm = packages.confirm_credit_session
    refunds: list[dict[str, Any]] = []

    def refund_first(db: Any, *, session_id: str, clock: Any) -> Any:
        refunds.append(refund_unused(w, purchase_id))
        return confirm(db, session_id=session_id, clock=clock)

    monkeypatch.setattr(packages, "confirm_credit_session", refund_first)
    result = book_with_credit(w, purchase_id)
    assert refunds[0]["creditsRefunded"] == 2 and refunds[0]["refundAmount"] == 6666
    bought = purchase(w, purchase_id)
    assert [c.state for c in bought.credits] == ["redeemed", "refunded", "refunded"]
    assert w.session(result.sessionId).status == "confirmed"
    in_balance(bought)


def test_a_refund_that_commits_first_makes_the_booking_fail_cleanly(
    deal_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refund commits after the booking read the purchase and before its claim commits:
    the claim's precondition fails, the booking reads again, finds no credit, writes nothing."""
    w = deal_world
    purchase_id = bought_and_paid(w)
    real = packages.booking.claim_time
    calls: list[int] = []

    def refund_then_claim(db: Any, **kwargs: Any) -> Any:
        if not calls:
            refund_unused(w, purchase_id)
        calls.append(1)
        return real(db, **kwargs)

    monkeypatch.setattr(packages.booking, "claim_time", refund_then_claim)
    with pytest.raises(FailedPrecondition) as exc:
        book_with_credit(w, purchase_id)
    assert exc.value.reason == "no_unused_credits" and len(calls) == 1
    assert list(w.db.collection(col.EXPERT_SESSIONS).stream()) == []
    assert w.locks() == {}
    assert {c.state for c in purchase(w, purchase_id).credits} == {"refunded"}


def test_a_failed_confirmation_undoes_the_claim_and_frees_the_credit(
    deal_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = deal_world
    purchase_id = bought_and_paid(w)

    def crash(db: Any, *, session_id: str, clock: Any) -> Any:
        raise RuntimeError("instance died")

    monkeypatch.setattr(packages, "confirm_credit_session", crash)
    with pytest.raises(RuntimeError):
        book_with_credit(w, purchase_id)
    assert list(w.db.collection(col.EXPERT_SESSIONS).stream()) == []
    assert w.locks() == {}
    assert {c.state for c in purchase(w, purchase_id).credits} == {"unused"}


def test_a_reservation_left_by_a_crash_is_freed_once_its_hold_is_over(
    deal_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No undo ran at all (the instance died): the credit stays reserved while the hold lives
    and is unused again for a refund or a booking once the hold is over."""
    w = deal_world
    purchase_id = bought_and_paid(w, name=str(FOUR["name"]))

    def die(db: Any, *, session_id: str, clock: Any) -> Any:
        raise SystemExit("instance died")

    monkeypatch.setattr(packages, "confirm_credit_session", die)
    monkeypatch.setattr(packages.booking, "roll_back", lambda db, *, session: None)
    monkeypatch.setattr(packages, "release_dead_reservations", lambda db, **kw: 0)
    with pytest.raises(SystemExit):
        book_with_credit(w, purchase_id)
    monkeypatch.undo()
    assert [c.state for c in purchase(w, purchase_id).credits] == ["reserved"] + ["unused"] * 3
    assert packages.release_dead_reservations(w.db, purchase_id=purchase_id, clock=w.clock) == 0
    w.clock.advance(packages.CREDIT_HOLD)
    refund = refund_unused(w, purchase_id)
    assert (refund["creditsRefunded"], refund["refundAmount"]) == (4, 10001)
    in_balance(purchase(w, purchase_id))


def test_cancelling_gives_the_credit_back_at_the_full_refund_tier_only(
    deal_world: World,
) -> None:
    w = deal_world
    purchase_id = bought_and_paid(w)
    early = book_with_credit(w, purchase_id, start="10:00").sessionId
    late = book_with_credit(w, purchase_id, start="14:00").sessionId
    by_expert = book_with_credit(w, purchase_id, start="17:00").sessionId
    # the user cancels 48 h ahead: full tier, the credit is unused again, no money moves
    out = cancel(w, early)
    assert (out.creditReturned, out.refundPercentage, out.refundAmount) == (True, 100, 3334)
    assert (out.paymentStatus, out.refundStatus) == ("refunded", "none")
    again = cancel(w, early)  # twice: the same answer, nothing given back twice
    assert (again.creditReturned, again.refundAmount) == (True, 3334)
    bought = purchase(w, purchase_id)
    assert [c.state for c in bought.credits] == ["unused", "redeemed", "redeemed"]
    lines = w.ledger(early)
    assert sorted(x["grossAmount"] for x in lines) == [-3334, 3334]
    assert sum(x["platformFee"] for x in lines) == 0 and sum(x["netAmount"] for x in lines) == 0
    # the user cancels 3 h ahead: the 50% tier uses the credit; nothing is split or refunded
    w.clock.set(w.session(late).scheduledDate - timedelta(hours=3))
    out = cancel(w, late)
    assert (out.creditReturned, out.refundPercentage, out.refundAmount) == (False, 0, 0)
    assert [x["grossAmount"] for x in w.ledger(late)] == [3333]
    # the expert cancels, even late: always the full tier
    out = cancel(w, by_expert, by="expert")
    assert out.creditReturned and out.refundAmount == 3333
    bought = purchase(w, purchase_id)
    assert [c.state for c in bought.credits] == ["unused", "redeemed", "unused"]
    assert stripe_refunds(w) == []
    in_balance(bought)
    mail = w.mails()[f"{early}-cancelled-user"]
    assert "package credit is back" in str(mail)
    # a credit given back books again
    rebooked = book_with_credit(w, purchase_id, start="18:00", date="2026-11-05")
    assert w.session(rebooked.sessionId).packageCreditIndex == 0


def _ledger_sums(world: World) -> tuple[int, int, int]:
    lines = world.ledger()
    for line in lines:
        assert line["grossAmount"] == line["platformFee"] + line["netAmount"]
    return (
        sum(x["grossAmount"] for x in lines),
        sum(x["platformFee"] for x in lines),
        sum(x["netAmount"] for x in lines),
    )


def _money(world: World, purchase_id: str) -> tuple[int, int]:
    """What Stripe holds: the package charge in, the refunds of it out."""
    bought = purchase(world, purchase_id)
    intent = world.double.get(bought.paymentIntentId or "")
    charge = world.double.get(intent["latest_charge"])
    return int(intent["amount_received"]), int(charge["amount_refunded"])


def test_ledger_adds_up_across_purchase_redemption_cancellation_and_refund(
    deal_world: World,
) -> None:
    """10001 in four credits (2501, 2500, 2500, 2500): two redeemed, one of them cancelled at
    the full tier, then the unused three refunded. The ledger equals money in minus money out,
    to the cent, and its fee and net split it exactly."""
    w = deal_world
    purchase_id = bought_and_paid(w, name=str(FOUR["name"]))
    first = book_with_credit(w, purchase_id, start="10:00").sessionId
    book_with_credit(w, purchase_id, start="12:00")
    cancel(w, first)
    refund = refund_unused(w, purchase_id)
    assert (refund["creditsRefunded"], refund["refundAmount"]) == (3, 7501)
    money_in, money_out = _money(w, purchase_id)
    assert (money_in, money_out) == (10001, 7501)
    gross, fee, net = _ledger_sums(w)
    assert gross == money_in - money_out == 2500
    assert (fee, net) == (pricing.platform_fee(2500), 2500 - pricing.platform_fee(2500))
    in_balance(purchase(w, purchase_id))


def test_ledger_adds_up_across_redemption_a_used_cancellation_and_expiry(
    deal_world: World,
) -> None:
    """10000 in three credits: one cancelled at the 50% tier (used), one delivered, one
    forfeited at expiry. Nothing is refunded, and the ledger recognises all 10000."""
    w = deal_world
    purchase_id = bought_and_paid(w)
    late = book_with_credit(w, purchase_id, start="10:00").sessionId
    book_with_credit(w, purchase_id, start="12:00")
    w.clock.set(w.session(late).scheduledDate - timedelta(hours=3))
    cancel(w, late)
    w.clock.set(purchase(w, purchase_id).expiresAt)  # type: ignore[arg-type]
    assert packages.expire_credits(w.db, purchase_id=purchase_id, clock=w.clock) == 3333
    money_in, money_out = _money(w, purchase_id)
    gross, fee, net = _ledger_sums(w)
    assert (money_in, money_out, gross) == (10000, 0, 10000)
    fees = [pricing.platform_fee(v) for v in (3334, 3333, 3333)]
    assert (fee, net) == (sum(fees), 10000 - sum(fees))
    page = earnings.get_expert_earnings(
        w.db,
        caller=Caller(uid=EXPERT),
        expert_id=None,
        period_from=NOW.date().isoformat(),
        period_to=w.clock.now().date().isoformat(),
        page_size=10,
        cursor=None,
        now=w.clock.now(),
    )
    assert (page.totals[0].gross, page.totals[0].fees, page.totals[0].net) == (gross, fee, net)
    closed = purchase(w, purchase_id)
    assert [c.state for c in closed.credits] == ["redeemed", "redeemed", "expired"]
    in_balance(closed)


def test_a_paid_session_and_a_credit_session_do_not_mix(deal_world: World) -> None:
    """Without `packagePurchaseId` a booking is paid as before, even with unused credits."""
    w = deal_world
    bought_and_paid(w)
    paid = w.book(start="10:00")
    assert paid.status == "pending" and paid.paymentIntentId and paid.clientSecret
    assert w.session(paid.sessionId).packagePurchaseId is None
    assert w.session(paid.sessionId).localDate == DAY


def report_expert_absent(world: World, session_id: str) -> Any:
    return lifecycle.report_no_show(
        world.db,
        caller=USER,
        session_id=session_id,
        absent="expert",
        clock=world.clock,
        payments=world.gateway,
    )


def test_an_expert_no_show_gives_the_credit_back_or_its_money_once_the_package_is_over(
    deal_world: World,
) -> None:
    """While the package runs the credit is unused again; reported after `expiresAt` (valid
    one day) its value goes back as money, once. Either way the ledger equals money in minus
    money out, to the cent."""
    w = deal_world
    running = bought_and_paid(w)
    session_id = book_with_credit(w, running).sessionId
    w.clock.set(w.session(session_id).endDate)  # at the end: decided at once
    after = report_expert_absent(w, session_id)
    assert (after.status, after.paymentStatus, after.refund) == ("no_show", "refunded", None)
    assert [c.state for c in purchase(w, running).credits] == ["unused"] * 3
    assert stripe_refunds(w) == []

    w.clock.set(NOW)
    short = bought_and_paid(w, name=str(SHORT["name"]))  # expires tomorrow 08:00
    today = book_with_credit(w, short, date=NOW.date().isoformat(), start="12:00").sessionId
    w.clock.set(NOW + timedelta(days=1, hours=1))  # reported after the package is over
    assert packages.expire_credits(w.db, purchase_id=short, clock=w.clock) == 6666
    report_expert_absent(w, today)
    report_expert_absent(w, today)  # twice: the money goes back once
    over = purchase(w, short)
    assert [c.state for c in over.credits] == ["refunded", "expired", "expired"]
    assert [(r.amount, r.status) for r in over.refunds] == [(3334, "succeeded")]
    assert len(stripe_refunds(w)) == 1
    money_in, money_out = _money(w, short)
    assert (money_in, money_out) == (10000, 3334)
    short_lines = [x for x in w.ledger() if x.get("packagePurchaseId") == short]
    assert sum(x["grossAmount"] for x in short_lines) == money_in - money_out == 6666
    in_balance(over)


def test_a_redeemed_credit_is_paid_out_from_the_package_charge(deal_world: World) -> None:
    """The close task is scheduled at confirmation; at the window's end the expert's net for
    the credit is transferred with the package's charge as the source, and the unused credits
    can still be refunded from that same charge."""
    w = deal_world
    purchase_id = bought_and_paid(w)
    session_id = book_with_credit(w, purchase_id).sessionId
    session = w.session(session_id)
    assert (delivery.CLOSE_QUEUE, delivery.close_task_id(session)) in w.tasks.enqueued
    w.clock.set(delivery.dispute_window_end(session))
    out = delivery.close_session(w.db, session_id=session_id, clock=w.clock, payments=w.gateway)
    assert out.result == "paid_out" and out.transfer_id
    transfer = w.double.get(out.transfer_id)
    intent = w.double.get(purchase(w, purchase_id).paymentIntentId or "")
    net = 3334 - pricing.platform_fee(3334)
    assert (transfer["amount"], transfer["source_transaction"]) == (net, intent["latest_charge"])
    assert [x["status"] for x in w.ledger(session_id)] == ["paid_out"]
    refund = refund_unused(w, purchase_id)
    assert refund["refundAmount"] == 6666
    money_in, money_out = _money(w, purchase_id)
    assert money_in - money_out - transfer["amount"] == pricing.platform_fee(3334)

"""The ledger adds up to the cent: every line, every sequence of refunds, every expert's sums."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from salamin.marketplace.booking import ledger, pricing
from salamin.models.session import ExpertSession, PriceQuote
from tests.support.booking import EXPERT, USER, USER2, World

T = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def _session(price: int) -> ExpertSession:
    fee = pricing.platform_fee(price)
    return ExpertSession(
        sessionId="s1234567890",
        userId="u",
        expertId="e",
        sessionType="mock_interview",
        scheduledDate=T,
        endDate=T,
        blockedUntil=T,
        duration=60,
        timeZone="UTC",
        localDate="2026-11-04",
        localWeek="2026-W45",
        localStartTime="10:00",
        status="confirmed",
        price=price,
        currency="USD",
        priceBreakdown=PriceQuote(
            currency="USD",
            hourlyRate=price,
            duration=60,
            baseAmount=price,
            amount=price,
            platformFee=fee,
            expertNet=price - fee,
        ),
        paymentStatus="paid",
        paymentIntentId="pi_1",
        createdAt=T,
    )


def test_charge_line_splits_gross_into_fee_and_net() -> None:
    line = ledger.charge_line(_session(9999), payment_intent_id="pi_1", now=T)
    assert (line.grossAmount, line.platformFee, line.netAmount) == (9999, 2000, 7999)
    assert line.transactionId == "s1234567890_charge"


def test_any_refund_sequence_returns_the_fee_exactly_and_every_line_balances() -> None:
    rng = random.Random(3)
    for _ in range(300):
        price = rng.randint(50, 500_000)
        session = _session(price)
        lines = [ledger.charge_line(session, payment_intent_id="pi_1", now=T)]
        refunded = 0
        while refunded < price:
            amount = rng.randint(1, price - refunded)
            line = ledger.refund_line(session, amount=amount, refunded_before=refunded, now=T)
            lines.append(line)
            refunded += amount
        for line in lines:
            assert line.grossAmount == line.platformFee + line.netAmount
        assert sum(x.grossAmount for x in lines) == 0
        assert sum(x.platformFee for x in lines) == 0
        assert sum(x.netAmount for x in lines) == 0
        assert len({x.transactionId for x in lines}) == len(lines)


def test_expert_totals_after_payments_and_a_half_refund(world: World) -> None:
    from salamin.marketplace.booking import lifecycle

    kept = world.book_and_pay(USER, start="08:00")
    halved = world.book_and_pay(USER2, start="12:00")
    world.clock.set(datetime(2026, 11, 4, 2, 0, tzinfo=UTC))  # 10 h before 12:00: 50%
    lifecycle.cancel_session(
        world.db,
        caller=USER2,
        session_id=halved,
        cancelled_by="user",
        reason="clash",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    totals = ledger.expert_totals(world.db, EXPERT)["USD"]
    assert (totals.gross, totals.platform_fee, totals.net, totals.lines) == (
        12000 + 6000,
        2400 + 1200,
        9600 + 4800,
        3,
    )
    assert totals.gross == totals.platform_fee + totals.net
    assert world.private("stats")["totalEarnings"] == totals.net
    assert world.session(kept).paymentStatus == "paid"

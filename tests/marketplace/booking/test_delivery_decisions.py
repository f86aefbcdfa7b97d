"""The delivery policies at their exact boundaries (pure: no emulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core.errors import FailedPrecondition
from salamin.marketplace.booking import delivery, ledger
from salamin.models.session import PayoutRecord
from tests.support.booking import NOW, session_model

START = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
END = START + timedelta(minutes=60)
S = timedelta(seconds=1)


def test_the_window_closes_48_hours_after_the_scheduled_end() -> None:
    assert delivery.dispute_window_end(session_model()) == END + timedelta(hours=48)


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        (START + timedelta(minutes=15) - S, "too_early"),
        (START + timedelta(minutes=15), None),
        (END + timedelta(hours=48) - S, None),
        (END + timedelta(hours=48), "dispute_window_closed"),
    ],
)
def test_no_show_reports_from_15_minutes_after_the_start_until_the_window_closes(
    at: datetime, reason: str | None
) -> None:
    if reason is None:
        delivery.check_no_show_time(session_model(), now=at)
        return
    with pytest.raises(FailedPrecondition) as refused:
        delivery.check_no_show_time(session_model(), now=at)
    assert refused.value.reason == reason


def test_no_report_once_the_payout_was_decided() -> None:
    payout = PayoutRecord(
        status="payable", amount=9600, currency="USD", idempotencyKey="k", payableAt=NOW
    )
    with pytest.raises(FailedPrecondition) as refused:
        delivery.check_no_show_time(session_model(payout=payout), now=START + timedelta(hours=2))
    assert refused.value.reason == "dispute_window_closed"


def test_completion_only_after_the_scheduled_end() -> None:
    with pytest.raises(FailedPrecondition) as early:
        delivery.check_completion_time(session_model(), now=END - S)
    assert early.value.reason == "session_not_ended"
    delivery.check_completion_time(session_model(), now=END)


def test_a_moved_session_gets_a_new_close_task_id() -> None:
    before = session_model()
    after = session_model(endDate=END + timedelta(days=1))
    assert delivery.close_task_id(before) == "s-1-close-20261106T110000Z"
    assert delivery.close_task_id(after) != delivery.close_task_id(before)


def test_a_refund_before_the_payout_is_pending_and_after_it_a_reversal() -> None:
    paid = session_model(paymentIntentId="pi_1")
    before = ledger.refund_line(paid, amount=6000, refunded_before=0, now=NOW)
    assert before.status == "pending_payout"
    payout = PayoutRecord(
        status="paid_out", amount=9600, currency="USD", idempotencyKey="k", payableAt=NOW
    )
    after = ledger.refund_line(
        paid.model_copy(update={"payout": payout}), amount=6000, refunded_before=0, now=NOW
    )
    assert after.status == "reversal"
    charge = ledger.charge_line(paid, payment_intent_id="pi_1", now=NOW)
    assert ledger.session_net([charge, before]) == 9600 - 4800
    assert ledger.session_net([charge.model_copy(update={"status": "paid_out"})]) == 0

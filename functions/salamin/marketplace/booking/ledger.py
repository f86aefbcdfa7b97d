"""The expert earnings ledger: `expertTransactions`, one line per money movement.

Every line satisfies `grossAmount == platformFee + netAmount`, in integer minor units:
- a charge line when a payment is confirmed: gross = price, fee = the platform's 20%, net = what
  the expert is owed once the session is delivered;
- a refund line (negative) per refund: the fee goes back in proportion to the refunded share,
  computed on running totals (`pricing.fee_returned`), so a full refund in any number of parts
  returns exactly the whole fee and leaves every sum at zero.
A refund whose money never moved (it failed at Stripe) gets a `refund_failed` line, its exact
opposite (`failed_refund_line`).
Line ids are derived from the session (and, for refunds, the running refunded total), and lines
are written with create inside the transaction that changes the session, so a replay cannot add
a second line.

Payout states (separate charges and transfers: the platform holds the money until then):
- every line starts `pending_payout`, refund lines too: a refund before the payout only lowers
  what the expert will be sent, it never needs a transfer reversal;
- when the session's dispute window has passed (delivery.py), all its lines move to `payable`
  together, and their net sum is the Transfer's amount (`session_net`);
- when the Transfer is made, they move to `paid_out` with its id (payouts.py).
A refund decided after the payout is written as `reversal`: it is part of no payout, and what the
expert was sent for it is not clawed back automatically (no transfer reversal; an admin settles
it). Our own refund paths cannot reach a paid-out session: cancellations end at the start,
no-show reports and disputes at the window's end, before any payout; only a refund made in the
Stripe dashboard can.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from google.cloud import firestore

from salamin.core import collections as col
from salamin.marketplace.booking import pricing
from salamin.models.session import ExpertSession, ExpertTransaction, LedgerStatus, LedgerType


def _ref(db: firestore.Client, transaction_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_TRANSACTIONS).document(transaction_id)


def charge_line(
    session: ExpertSession, *, payment_intent_id: str | None, now: datetime
) -> ExpertTransaction:
    """The money in: the price, the platform's fee, the expert's net."""
    return _line(
        session,
        suffix="charge",
        kind="charge",
        gross=session.price,
        fee=session.priceBreakdown.platformFee,
        status="pending_payout",
        payment_intent_id=payment_intent_id,
        now=now,
    )


def refund_line(
    session: ExpertSession, *, amount: int, refunded_before: int, now: datetime
) -> ExpertTransaction:
    """Money back: a negative line returning the fee in proportion (on running totals)."""
    after = refunded_before + amount
    if amount <= 0 or after > session.price:
        raise ValueError("refund must be positive and never above the price")
    fee_back = pricing.fee_returned(
        fee=session.priceBreakdown.platformFee,
        price=session.price,
        refunded_before=refunded_before,
        refunded_after=after,
    )
    retry = len(session.failedRefundIds)  # a total reached again after a failed refund
    return _line(
        session,
        suffix=f"refund_{after}" + (f"_r{retry}" if retry else ""),
        kind="refund",
        gross=-amount,
        fee=-fee_back,
        status="reversal" if session.payout is not None else "pending_payout",
        payment_intent_id=session.paymentIntentId,
        now=now,
    )


def failed_refund_line(line: ExpertTransaction, *, now: datetime) -> ExpertTransaction:
    """The exact opposite of a refund line whose refund failed: the money never moved, so the
    sums count it neither way. Before the payout it moves with the session's other lines (the
    expert is owed the money again); after it, it is part of no payout (`reversal`), like a
    refund decided then, and the admin notification settles it."""
    if line.type != "refund":
        raise ValueError("only a refund line can be reversed")
    status: LedgerStatus = "pending_payout" if line.status == "pending_payout" else "reversal"
    return line.model_copy(
        update={
            "transactionId": f"{line.transactionId}_failed",
            "type": "refund_failed",
            "grossAmount": -line.grossAmount,
            "platformFee": -line.platformFee,
            "netAmount": -line.netAmount,
            "status": status,
            "transferId": None,
            "createdAt": now,
        }
    )


def _line(
    session: ExpertSession,
    *,
    suffix: str,
    kind: LedgerType,
    gross: int,
    fee: int,
    status: LedgerStatus,
    payment_intent_id: str | None,
    now: datetime,
) -> ExpertTransaction:
    return ExpertTransaction(
        transactionId=f"{session.sessionId}_{suffix}",
        type=kind,
        expertId=session.expertId,
        userId=session.userId,
        sessionId=session.sessionId,
        currency=session.currency,
        grossAmount=gross,
        platformFee=fee,
        netAmount=gross - fee,
        status=status,
        paymentIntentId=payment_intent_id,
        createdAt=now,
    )


def write_line(
    transaction: firestore.Transaction, db: firestore.Client, line: ExpertTransaction
) -> None:
    transaction.create(_ref(db, line.transactionId), line.to_firestore())


def session_lines_query(db: firestore.Client, session_id: str) -> firestore.Query:
    return db.collection(col.EXPERT_TRANSACTIONS).where(
        filter=firestore.FieldFilter("sessionId", "==", session_id)
    )


def read_session_lines(
    transaction: firestore.Transaction, db: firestore.Client, session_id: str
) -> list[ExpertTransaction]:
    """A session's lines, read in `transaction` (so a concurrent line conflicts with it)."""
    snaps = transaction.get(session_lines_query(db, session_id))
    return [ExpertTransaction.model_validate(s.to_dict() or {}) for s in snaps]


def session_net(lines: list[ExpertTransaction]) -> int:
    """What the expert is owed for a session: the net of its lines not paid out or reversed."""
    return sum(x.netAmount for x in lines if x.status in ("pending_payout", "payable"))


def move_lines(
    transaction: firestore.Transaction,
    db: firestore.Client,
    lines: list[ExpertTransaction],
    *,
    source: LedgerStatus,
    target: LedgerStatus,
    transfer_id: str | None = None,
) -> int:
    """Move the lines in `source` to `target` (with the transfer id); returns how many."""
    moved = 0
    for line in lines:
        if line.status != source:
            continue
        update: dict[str, object] = {"status": target}
        if transfer_id is not None:
            update["transferId"] = transfer_id
        transaction.update(_ref(db, line.transactionId), update)
        moved += 1
    return moved


@dataclass(frozen=True)
class Totals:
    currency: str
    gross: int
    platform_fee: int
    net: int
    lines: int


def expert_totals(db: firestore.Client, expert_id: str) -> dict[str, Totals]:
    """Per-currency sums of an expert's ledger (for statements, reconciliation and tests)."""
    sums: dict[str, list[int]] = {}
    query = db.collection(col.EXPERT_TRANSACTIONS).where(
        filter=firestore.FieldFilter("expertId", "==", expert_id)
    )
    for snap in query.stream():
        d = snap.to_dict() or {}
        row = sums.setdefault(str(d["currency"]), [0, 0, 0, 0])
        row[0] += int(d["grossAmount"])
        row[1] += int(d["platformFee"])
        row[2] += int(d["netAmount"])
        row[3] += 1
    return {c: Totals(c, g, f, n, k) for c, (g, f, n, k) in sums.items()}

"""`getExpertEarnings`: the expert's totals and lines, read from the ledger `expertTransactions`.

Totals are sums of ledger lines in the period, per currency, in minor units; nothing is
recomputed from sessions, so the view can never disagree with the ledger:
- `gross`, `fees` (platform fee), `net`: sums of the lines (refund lines are negative);
- `refunded`: what went back to candidates (minus the refund lines' gross);
- `pending`, `payable`, `paidOut`: net amounts by the line's payout status (`pending_payout`,
  `payable`, `paid_out`; see booking/ledger.py). A refund before the payout is a
  `pending_payout` line and comes off `pending`; a refund after it (`reversal`) comes off
  `paidOut`. Any other status is reported under `byStatus` only.
Lines are listed newest first; the cursor is the last line's id, resolved to its stored
position, so a new line arriving meanwhile never shifts a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument
from salamin.models.base import wire_instant, wire_value

MAX_PERIOD_DAYS = 400
CURSOR = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
STATUS_BUCKETS = {
    "pending_payout": "pending",
    "payable": "payable",
    "paid_out": "paidOut",
    "reversal": "paidOut",
}
LINE_FIELDS = (
    "transactionId",
    "type",
    "sessionId",
    "currency",
    "grossAmount",
    "platformFee",
    "netAmount",
    "status",
    "createdAt",
    "transferId",
)


@dataclass
class CurrencyTotals:
    currency: str
    gross: int = 0
    fees: int = 0
    net: int = 0
    refunded: int = 0
    pending: int = 0
    payable: int = 0
    paidOut: int = 0
    lines: int = 0
    byStatus: dict[str, int] = field(default_factory=dict)

    def add(self, line: dict[str, Any]) -> None:
        gross, fee, net = (int(line[k]) for k in ("grossAmount", "platformFee", "netAmount"))
        self.gross += gross
        self.fees += fee
        self.net += net
        self.lines += 1
        if line.get("type") in ("refund", "refund_failed"):  # a failed refund gave nothing back
            self.refunded += -gross
        status = str(line.get("status"))
        self.byStatus[status] = self.byStatus.get(status, 0) + net
        bucket = STATUS_BUCKETS.get(status)
        if bucket is not None:
            setattr(self, bucket, getattr(self, bucket) + net)


def totals_of(lines: list[dict[str, Any]]) -> dict[str, CurrencyTotals]:
    """Pure: per-currency sums of ledger lines."""
    out: dict[str, CurrencyTotals] = {}
    for line in lines:
        currency = str(line["currency"])
        out.setdefault(currency, CurrencyTotals(currency)).add(line)
    return out


def period_bounds(
    start: str | None, end: str | None, *, now: datetime
) -> tuple[datetime, datetime]:
    """`from`/`to` are UTC dates, both inclusive; default: the last 30 days up to now."""
    try:
        lo, hi = _bounds(start, end, now=now)
    except (OverflowError, ValueError):  # 9999-12-31 + 1 day, 0001-01-01 - 30 days
        raise InvalidArgument.at("period", "dates out of range") from None
    if lo >= hi:
        raise InvalidArgument.at("period.from", "must not be after period.to")
    if hi - lo > timedelta(days=MAX_PERIOD_DAYS):
        raise InvalidArgument.at("period", f"at most {MAX_PERIOD_DAYS} days")
    return lo, hi


def _bounds(start: str | None, end: str | None, *, now: datetime) -> tuple[datetime, datetime]:
    hi = (
        datetime.combine(date.fromisoformat(end), time(), tzinfo=UTC) + timedelta(days=1)
        if end
        else now + timedelta(seconds=1)
    )
    lo = (
        datetime.combine(date.fromisoformat(start), time(), tzinfo=UTC)
        if start
        else hi - timedelta(days=30)
    )
    return lo, hi


@dataclass(frozen=True)
class EarningsPage:
    expertId: str
    periodStart: datetime
    periodEnd: datetime
    totals: list[CurrencyTotals]
    entries: list[dict[str, Any]]
    nextCursor: str | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "expertId": self.expertId,
            "period": {"from": wire_instant(self.periodStart), "to": wire_instant(self.periodEnd)},
            "totals": [t.__dict__ for t in self.totals],
            "entries": [wire_value(e) for e in self.entries],
            "nextCursor": self.nextCursor,
        }


def get_expert_earnings(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str | None,
    period_from: str | None,
    period_to: str | None,
    page_size: int,
    cursor: str | None,
    now: datetime,
) -> EarningsPage:
    expert_id = expert_id or caller.uid
    caller.require_self_or_admin(expert_id)
    lo, hi = period_bounds(period_from, period_to, now=now)
    ledger = db.collection(col.EXPERT_TRANSACTIONS)
    in_period = (
        ledger.where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .where(filter=firestore.FieldFilter("createdAt", ">=", lo))
        .where(filter=firestore.FieldFilter("createdAt", "<", hi))
    )
    sums = totals_of(
        [
            s.to_dict() or {}
            for s in in_period.select(
                ["currency", "grossAmount", "platformFee", "netAmount", "status", "type"]
            ).stream()
        ]
    )
    query = in_period.order_by("createdAt", direction=firestore.Query.DESCENDING).order_by(
        "__name__", direction=firestore.Query.DESCENDING
    )
    if cursor:
        if not CURSOR.match(cursor):
            raise InvalidArgument.at("cursor", "not a cursor of this list")
        last = ledger.document(cursor).get()
        if not last.exists or last.get("expertId") != expert_id:
            raise InvalidArgument.at("cursor", "not a cursor of this list")
        query = query.start_after(last)
    docs = list(query.limit(page_size + 1).stream())
    page = docs[:page_size]
    entries = [{k: d.get(k) for k in LINE_FIELDS if k in (d.to_dict() or {})} for d in page]
    return EarningsPage(
        expertId=expert_id,
        periodStart=lo,
        periodEnd=hi,
        totals=[sums[c] for c in sorted(sums)],
        entries=entries,
        nextCursor=page[-1].id if len(docs) > page_size else None,
    )

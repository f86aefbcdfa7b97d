"""`resolveDispute`: an admin decides a candidate's "the expert did not show" against the
expert's "completed" (or "the candidate was absent").

A dispute is opened by `lifecycle.report_no_show` (delivery.open_dispute) and holds the payout.
Outcomes, exactly two so nobody has to interpret a third:
- `refund_candidate`: the candidate is right. The session becomes an expert no-show: full refund
  of what is left (ledger refund line, idempotent Stripe refund after commit), the completion it
  was counted as is taken back and the expert's no-show counted, as if the candidate's report
  had come first; there is then nothing to pay out.
- `pay_expert`: the expert is right. Nothing is refunded; the session closes as it stood and is
  paid out at the window's end, or at once when that has passed already (delivery.close_session).
Only admins; a dispute is decided once (a second call answers `no_open_dispute`). The admin's
note and identity go on the `adminNotifications` document, not on the session the parties read.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, NotFound, SalaminError
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentsGateway
from salamin.marketplace.booking import delivery, holds, notifications, performance
from salamin.marketplace.booking.lifecycle import _contacts, _load, _refund_updates, settle_quietly
from salamin.models.session import DisputeOutcome, ExpertSession


def resolve_dispute(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    outcome: DisputeOutcome,
    note: str | None,
    clock: Clock,
    payments: PaymentsGateway,
) -> ExpertSession:
    caller.require_admin()
    now = clock.now()
    ref = holds.session_ref(db, session_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession:
        session = _load(transaction, db, session_id)
        dispute = session.dispute
        if dispute is None or dispute.status != "open":
            raise FailedPrecondition("this session has no open dispute", reason="no_open_dispute")
        notice_ref = db.collection(col.ADMIN_NOTIFICATIONS).document(dispute.notificationId)
        updates: dict[str, Any] = {
            "dispute.status": "resolved",
            "dispute.outcome": outcome,
            "dispute.resolvedAt": now,
        }
        if outcome == "refund_candidate":
            was_completed = session.status == "completed"
            completion = delivery.read_completion(transaction, db, session)
            contacts = _contacts(transaction, db, session_id)
            amount = session.price - session.refundedAmount
            refund_fields, net = _refund_updates(
                transaction,
                db,
                session=session,
                amount=amount,
                reason="expert_no_show_dispute",
                key=f"{session_id}-refund-dispute",
                now=now,
            )
            updates.update(refund_fields)
            updates.update(
                {
                    "status": "no_show",
                    "noShow": {
                        "party": "expert",
                        "reportedBy": session.userId,
                        "reportedAt": session.absenceReport.reportedAt
                        if session.absenceReport is not None
                        else dispute.openedAt,
                    },
                }
            )
            counters = {"expertNoShows": 1}
            if was_completed:
                delivery.write_completion_counts(
                    transaction,
                    db,
                    session,
                    completion,
                    delta=-1,
                    now=now,
                    counters=counters,
                    earnings=net,
                )
            else:  # the expert had reported the candidate absent
                counters["userNoShows"] = -1
                performance.write_stats(
                    transaction,
                    db,
                    session.expertId,
                    completion.stats,
                    earnings=net,
                    counters=counters,
                )
            if amount:
                notifications.no_show_refunded(
                    transaction,
                    db,
                    session=session,
                    contacts=contacts,
                    now=now,
                    refund_amount=amount,
                )
        transaction.update(ref, updates)
        transaction.update(
            notice_ref,
            {
                "status": "handled",
                "handledBy": caller.uid,
                "handledAt": now,
                "outcome": outcome,
                "note": note,
            },
        )
        return session

    txn(db.transaction())
    if outcome == "refund_candidate":
        settle_quietly(db, session_id=session_id, payments=payments, tasks=None)
    else:  # paid now if the window has passed; a Stripe failure is retried by the sweep
        try:
            delivery.close_session(db, session_id=session_id, clock=clock, payments=payments)
        except SalaminError as exc:
            log(
                "dispute.payout_deferred",
                severity="WARNING",
                sessionId=session_id,
                error=exc.message,
            )
    snap = ref.get()
    if not snap.exists:
        raise NotFound("no such session", reason="session_not_found")
    return holds.load_session(snap)

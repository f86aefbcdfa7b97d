"""After the session: when it counts as delivered, the dispute window, and closing it for payout.

The platform holds the candidate's money (separate charges and transfers) until the session has
been delivered and nobody can object any more:
- the dispute window closes `DISPUTE_WINDOW` (48 h) after the scheduled end
  (`dispute_window_end`); a no-show can be reported from 15 minutes after the start until then;
- the expert may mark a session completed only after its scheduled end;
- at the window's end one Cloud Task (`closeSession`, task id from the session and the window's
  end) runs `close_session`: a confirmed session nobody reported is completed by the system,
  then, unless a dispute is open, the session's payout is decided (its ledger lines go
  `payable`) and the Transfer is made (payouts.py). The same function is the trigger after an
  admin resolves a dispute for the expert, so there is exactly one path to a payout.
The task re-checks everything against the injectable clock: one that runs early (the Tasks
emulator ignores schedule times) or for a session that was moved since does nothing; a move
enqueues its own task for the new window. `sweep_unclosed_sessions` (in the 5-minute sweep)
closes what a lost task left open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentsGateway
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import holds, ledger, payouts, performance
from salamin.models.notifications import DisputeNotification
from salamin.models.session import DisputeRecord, ExpertSession, PayoutRecord

DISPUTE_WINDOW = timedelta(hours=48)
NO_SHOW_AFTER = timedelta(minutes=15)
CLOSE_QUEUE = "closeSession"
CLOSE_GRACE = timedelta(seconds=30)
"""The task is scheduled this long after the window's end, so a slightly early clock never
finds the session not yet due."""

ABSENCE_DECISION_GRACE = timedelta(minutes=30)
"""How long after the scheduled end the expert has to answer a candidate's "the expert did not
show" made during the session (by marking it completed) before it refunds in full."""

CompletedBy = Literal["expert", "system"]


def dispute_window_end(session: ExpertSession) -> datetime:
    """Policy: either party may object (report a no-show) until 48 h after the scheduled end;
    only then is the session closed and the expert paid."""
    return session.endDate + DISPUTE_WINDOW


def check_completion_time(session: ExpertSession, *, now: datetime) -> None:
    """Policy: an expert cannot close a session (and so block a no-show refund) before its end."""
    if now < session.endDate:
        raise FailedPrecondition(
            "a session can be marked completed only after its scheduled end",
            reason="session_not_ended",
        )


def check_no_show_time(session: ExpertSession, *, now: datetime) -> None:
    """Policy: a no-show is reported from 15 minutes after the start until the dispute window
    closes (exclusive: at its end the session is closed)."""
    if now < session.scheduledDate + NO_SHOW_AFTER:
        raise FailedPrecondition(
            "a no-show can be reported from 15 minutes after the start", reason="too_early"
        )
    if now >= dispute_window_end(session) or session.payout is not None:  # closed meanwhile
        raise FailedPrecondition(
            "the time to report a problem with this session has passed "
            "(48 hours after its scheduled end)",
            reason="dispute_window_closed",
        )


def absence_report_awaits_expert(session: ExpertSession, *, now: datetime) -> bool:
    """Policy: a candidate's "the expert did not show" before the scheduled end cannot be
    answered yet (the expert may mark completed only after the end), so it refunds nothing at
    once: it stands until `absence_decision_time` or the expert's answer."""
    return session.status == "confirmed" and now < session.endDate


def absence_decision_time(session: ExpertSession) -> datetime:
    """When a standing report the expert has not answered refunds in full."""
    return session.endDate + ABSENCE_DECISION_GRACE


def absence_task_id(session: ExpertSession) -> str:
    return f"{session.sessionId}-absence-{absence_decision_time(session):%Y%m%dT%H%M%SZ}"


def schedule_absence_decision(tasks: TaskScheduler | None, session: ExpertSession) -> None:
    """Enqueue the `closeSession` task (which decides a standing report first) for the decision
    time; a failure is logged and the sweep decides instead."""
    if tasks is None:
        return
    try:
        tasks.enqueue(
            queue=CLOSE_QUEUE,
            task_id=absence_task_id(session),
            payload={"sessionId": session.sessionId},
            schedule_time=absence_decision_time(session) + CLOSE_GRACE,
        )
    except Exception as exc:
        log(
            "delivery.schedule_failed",
            severity="ERROR",
            sessionId=session.sessionId,
            error=str(exc),
        )


# --- completion counts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionRead:
    """What counting a completion needs, read in the transaction before any write."""

    stats: dict[str, Any]
    client_completed: int


def read_completion(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> CompletionRead:
    stats = performance.read_stats(transaction, db, session.expertId)
    client = performance.client_ref(db, session.expertId, session.userId)
    before = int((client.get(transaction=transaction).to_dict() or {}).get("completedSessions", 0))
    return CompletionRead(stats=stats, client_completed=before)


def write_completion_counts(
    transaction: firestore.Transaction,
    db: firestore.Client,
    session: ExpertSession,
    read: CompletionRead,
    *,
    delta: Literal[1, -1],
    now: datetime,
    counters: dict[str, int] | None = None,
    earnings: int = 0,
) -> None:
    """Count (+1) or uncount (-1, a dispute decided against the expert) one completed session:
    the expert's completed sessions and the per-client tally behind `repeatClientRate`."""
    before = read.client_completed
    after = max(0, before + delta)
    changes = dict(counters or {})
    # the client's first completed session makes them a client, the second a repeat client
    key = {0: "distinctClients", 1: "repeatClients"}.get(before if delta > 0 else after)
    if key is not None:
        changes[key] = changes.get(key, 0) + delta
    client = performance.client_ref(db, session.expertId, session.userId)
    fields: dict[str, Any] = {"completedSessions": after}
    if delta > 0:
        fields["lastCompletedAt"] = now
    transaction.set(client, fields, merge=True)
    performance.write_stats(
        transaction,
        db,
        session.expertId,
        read.stats,
        completed_sessions=delta,
        counters=changes,
        earnings=earnings,
        extra={"performance.lastSessionDate": session.scheduledDate} if delta > 0 else None,
    )


def completion_update(*, by: CompletedBy, now: datetime, notes: str | None) -> dict[str, Any]:
    """The session fields every path that completes a session writes."""
    updates: dict[str, Any] = {"status": "completed", "completedAt": now, "completedBy": by}
    if notes:
        updates["sessionNotes"] = notes
    return updates


# --- disputes ------------------------------------------------------------------------------------


def dispute_notification_id(session_id: str) -> str:
    return f"{session_id}-dispute"


def open_dispute(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    now: datetime,
) -> dict[str, Any]:
    """Write the admin's task (`adminNotifications`, create: at most one per session) and return
    the session's `dispute` field. Money does not move; the payout waits."""
    notification_id = dispute_notification_id(session.sessionId)
    note = DisputeNotification(
        expertId=session.expertId,
        userId=session.userId,
        sessionId=session.sessionId,
        claim="expert_absent",
        sessionStatus=session.status,
        amount=session.price - session.refundedAmount,
        currency=session.currency,
        createdAt=now,
    )
    transaction.create(
        db.collection(col.ADMIN_NOTIFICATIONS).document(notification_id), note.to_firestore()
    )
    record = DisputeRecord(status="open", openedAt=now, notificationId=notification_id)
    return {"dispute": record.to_firestore()}


# --- the close task ------------------------------------------------------------------------------


def close_task_id(session: ExpertSession) -> str:
    """One task per session and window end: a move gets a new id (Cloud Tasks never reuses
    one), and the same window never gets two."""
    return f"{session.sessionId}-close-{dispute_window_end(session):%Y%m%dT%H%M%SZ}"


def schedule_close(tasks: TaskScheduler | None, session: ExpertSession) -> None:
    """Enqueue the session's close task for its window's end (idempotent by task id). A failure
    is logged; `sweep_unclosed_sessions` closes the session instead."""
    if tasks is None or session.status != "confirmed":
        return
    due = dispute_window_end(session)
    try:
        tasks.enqueue(
            queue=CLOSE_QUEUE,
            task_id=close_task_id(session),
            payload={"sessionId": session.sessionId},
            schedule_time=due + CLOSE_GRACE,
        )
    except Exception as exc:
        log(
            "delivery.schedule_failed",
            severity="ERROR",
            sessionId=session.sessionId,
            error=str(exc),
        )


CloseResult = Literal[
    "missing", "not_due", "not_paid", "disputed", "nothing_due", "payable", "paid_out"
]


@dataclass(frozen=True)
class CloseOutcome:
    result: CloseResult
    completed_now: bool = False
    transfer_id: str | None = None


PAYABLE_STATES = ("confirmed", "completed", "no_show", "cancelled")


def close_session(
    db: firestore.Client, *, session_id: str, clock: Clock, payments: PaymentsGateway
) -> CloseOutcome:
    """At (or after) the window's end: complete a confirmed session nobody reported, decide the
    payout (lines -> `payable`, amount = their net), then make the Transfer. Idempotent: a
    second run finds the decision and only finishes the Transfer if it is still owed."""
    ref = holds.session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[CloseOutcome, ExpertSession | None]:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            return CloseOutcome("missing"), None
        session = holds.load_session(snap)
        if session.payout is not None:
            return CloseOutcome(session.payout.status), session
        if now < dispute_window_end(session) or (
            session.status == "confirmed" and session.absenceReport is not None
        ):  # a standing report is decided first (lifecycle.decide_absence_report)
            return CloseOutcome("not_due"), session
        if session.dispute is not None and session.dispute.status == "open":
            return CloseOutcome("disputed"), session
        if session.status not in PAYABLE_STATES or session.paymentStatus in ("pending", "failed"):
            return CloseOutcome("not_paid"), session
        complete = session.status == "confirmed"
        completion = read_completion(transaction, db, session) if complete else None
        lines = ledger.read_session_lines(transaction, db, session_id)
        amount = ledger.session_net(lines)
        # --- writes
        record = PayoutRecord(
            status="payable" if amount > 0 else "nothing_due",
            amount=amount,
            currency=session.currency,
            idempotencyKey=payouts.transfer_key(session_id),
            payableAt=now,
        )
        updates: dict[str, Any] = {"payout": record.to_firestore()}
        if completion is not None:
            updates.update(completion_update(by="system", now=now, notes=None))
            write_completion_counts(transaction, db, session, completion, delta=1, now=now)
        if amount > 0:
            ledger.move_lines(transaction, db, lines, source="pending_payout", target="payable")
        transaction.update(ref, updates)
        closed = session.model_copy(
            update={"payout": record, "status": updates.get("status", session.status)}
        )
        return CloseOutcome(record.status, completed_now=complete), closed

    outcome, session = txn(db.transaction())
    if session is not None and session.payout is not None and session.payout.status == "payable":
        paid = payouts.transfer_payout(db, payments, session_id=session_id, clock=clock)
        if paid is not None and paid.status == "paid_out":
            outcome = CloseOutcome("paid_out", outcome.completed_now, paid.transferId)
    log("delivery.closed", sessionId=session_id, result=outcome.result)
    return outcome


SWEEP_LOOKBACK = timedelta(days=1)


def sweep_unclosed_sessions(
    db: firestore.Client, *, clock: Clock, payments: PaymentsGateway, limit: int = 200
) -> int:
    """Safety net behind the close tasks (an enqueue that failed, a task that gave up): close
    sessions whose window ended within the last day and that have no payout decision yet.
    Returns how many it closed (a decision was made)."""
    now = clock.now()
    latest_end = now - DISPUTE_WINDOW
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("endDate", ">=", latest_end - SWEEP_LOOKBACK))
        .where(filter=firestore.FieldFilter("endDate", "<=", latest_end))
        .order_by("endDate")
        .limit(limit)
    )
    closed = 0
    for snap in query.stream():
        if (snap.to_dict() or {}).get("payout") is not None:
            continue
        try:
            outcome = close_session(db, session_id=snap.id, clock=clock, payments=payments)
        except Exception as exc:
            log("delivery.sweep_failed", severity="WARNING", sessionId=snap.id, error=str(exc))
            continue
        closed += int(outcome.result in ("payable", "paid_out", "nothing_due"))
    return closed

"""After booking: cancel (with the refund tiers), reschedule, complete, no-shows (their
windows, disputes and the payout that follows: delivery.py, disputes.py).

Each change is one transaction over the session, its calendar docs, the ledger, the expert's
counters and the emails; a Stripe refund it decides is stored as `refund` (pending) in that
transaction and made afterwards with an idempotency key derived from the session, so a failure
between the two is finished by a retry of the call or by the sweep, never made twice.
Only the session's own user or expert may act, in their own role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core import money
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied
from salamin.core.log import log
from salamin.gateways.stripe_gateway import PaymentsGateway
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import (
    booking,
    delivery,
    holds,
    ledger,
    notifications,
    packages,
    performance,
)
from salamin.marketplace.booking.payments import make_pending_refund, settle
from salamin.marketplace.calendar import availability, occupancy
from salamin.models.base import SalaminModel
from salamin.models.expert import CancellationPolicy, PublicExpert
from salamin.models.package import PackagePurchase
from salamin.models.session import (
    ExpertSession,
    Party,
    RefundRecord,
    RefundStatus,
    cancellation_update,
)

HALF_REFUND_NOTICE = timedelta(hours=2)
"""`partial` refund policy: a late cancellation refunds half down to this long before the start."""
FREE_RESCHEDULE_NOTICE = timedelta(hours=24)
"""Nobody moves a session that starts sooner than this, and an expert never moves one to a time
sooner than this."""
PARTIAL_REFUND_PERCENT = 50


def candidate_refund_percentage(*, policy: CancellationPolicy, notice: timedelta) -> int:
    """Policy (pure): what the candidate's own cancellation refunds under the expert's policy as
    snapshotted at booking. `notice` is start time minus cancellation time; boundaries inclusive.

    - `notice >= minimumNotice` hours: 100, whatever `refundPolicy` says;
    - a later ("late") cancellation is still accepted (the time is freed and the expert told),
      and refunds per `refundPolicy`: `full` 100; `partial` 50 while `notice >= 2 h`, else 0 (the
      spec's tiers: with the default 24 h notice, exactly 24 h -> 100, 2 h -> 50, < 2 h -> 0);
      `none` 0.
    `allowCancellation` is not read here: `check_candidate_may_cancel` refuses before."""
    if notice >= timedelta(hours=policy.minimumNotice):
        return 100
    if policy.refundPolicy == "full":
        return 100
    if policy.refundPolicy == "partial" and notice >= HALF_REFUND_NOTICE:
        return PARTIAL_REFUND_PERCENT
    return 0


def refund_percentage(
    *,
    cancelled_by: Party,
    notice: timedelta,
    policy: CancellationPolicy | None = None,
    expert_moved: bool = False,
) -> int:
    """Policy (pure): the refund tier of a paid session's cancellation. The expert cancelling,
    or the candidate cancelling after the expert moved the session, refunds 100; otherwise
    `candidate_refund_percentage` under `policy` (default: the spec's tiers)."""
    if cancelled_by == "expert" or expert_moved:
        return 100
    return candidate_refund_percentage(policy=policy or CancellationPolicy(), notice=notice)


def check_candidate_may_cancel(session: ExpertSession) -> None:
    """Policy (pure): `allowCancellation: false` (as snapshotted) refuses the candidate's
    cancellation of a paid session, unless the expert has moved it since (they changed the
    deal, so the candidate may walk away with everything)."""
    if not session.cancellationPolicy.allowCancellation and session.rescheduledBy != "expert":
        raise FailedPrecondition(
            "this expert's cancellation policy does not allow candidates to cancel; "
            "contact the expert or reschedule instead",
            reason="cancellation_not_allowed",
        )


def refund_amount(
    *, price: int, percentage: int, already_refunded: int, captured: int | None = None
) -> int:
    """Policy (pure): `percentage` of what is still paid (the original price minus what was
    refunded already; rounded half up), never more than what is left of what was captured
    (`captured` defaults to the price)."""
    remaining = max(price - already_refunded, 0)
    left = max((price if captured is None else captured) - already_refunded, 0)
    return min(money.percent_of(remaining, percentage), left)


def _authorize(caller: Caller, session: ExpertSession, role: Party) -> None:
    owner = session.userId if role == "user" else session.expertId
    if caller.uid != owner:
        raise PermissionDenied(f"only the session's {role} can do this as {role}")


def _load(
    transaction: firestore.Transaction, db: firestore.Client, session_id: str
) -> ExpertSession:
    snap = holds.session_ref(db, session_id).get(transaction=transaction)
    if not snap.exists:
        raise NotFound("no such session", reason="session_not_found")
    return holds.load_session(snap)


def _contacts(
    transaction: firestore.Transaction, db: firestore.Client, session_id: str
) -> dict[str, Any]:
    return holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict() or {}


def _refund_updates(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    amount: int,
    reason: str,
    key: str,
    now: datetime,
) -> tuple[dict[str, Any], int]:
    """Session fields and the ledger line for a refund decided now; returns (updates, the
    line's netAmount, which is negative)."""
    if amount <= 0:
        return {}, 0
    line = ledger.refund_line(
        session, amount=amount, refunded_before=session.refundedAmount, now=now
    )
    ledger.write_line(transaction, db, line)
    total = session.refundedAmount + amount
    record = RefundRecord(amount=amount, reason=reason, idempotencyKey=key)
    return (
        {
            "refundedAmount": total,
            "paymentStatus": "refunded" if total >= session.price else "partially_refunded",
            "refund": record.to_firestore(),
        },
        line.netAmount,
    )


# --- cancel --------------------------------------------------------------------------------------


class CancelOutcome(SalaminModel):
    sessionId: str
    status: str
    paymentStatus: str
    refundPercentage: int
    refundAmount: int
    currency: str
    refundStatus: Literal["none"] | RefundStatus
    creditReturned: bool = False
    """A package credit session: its credit is unused again (`refundAmount` is its value)."""


class CancelDecision(SalaminModel):
    """What a cancellation does, decided from the session as read."""

    already: bool
    """The session was cancelled before: answer as then, change nothing."""
    paid: bool
    percentage: int
    """The refund tier (0 for an unpaid hold)."""
    amount: int
    """Minor units to refund now."""


def decide_cancellation(
    session: ExpertSession, *, cancelled_by: Party, now: datetime
) -> CancelDecision:
    """The refund tier and amount, or why this session cannot be cancelled (pure). Reads only
    the session: its snapshotted policy, who moved it last, its price and what was refunded."""
    if session.status == "cancelled":
        return CancelDecision(
            already=True,
            paid=False,
            percentage=session.refundPercentage or 0,
            amount=session.refund.amount if session.refund else 0,
        )
    if session.status not in ("pending", "confirmed"):
        raise FailedPrecondition(
            f"a {session.status} session cannot be cancelled", reason="invalid_session_state"
        )
    paid = session.status == "confirmed"
    if not paid:
        return CancelDecision(already=False, paid=False, percentage=0, amount=0)
    if now >= session.scheduledDate:
        raise FailedPrecondition(
            "the session has started; report a no-show instead of cancelling",
            reason="session_started",
        )
    if cancelled_by == "user":
        check_candidate_may_cancel(session)
    percentage = refund_percentage(
        cancelled_by=cancelled_by,
        notice=session.scheduledDate - now,
        policy=session.cancellationPolicy,
        expert_moved=session.rescheduledBy == "expert",
    )
    amount = refund_amount(
        price=session.price, percentage=percentage, already_refunded=session.refundedAmount
    )
    return CancelDecision(already=False, paid=True, percentage=percentage, amount=amount)


def cancel_session(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    cancelled_by: Party,
    reason: str,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
) -> CancelOutcome:
    """Read the session, `decide_cancellation`, write the cancellation; then cancel the unpaid
    intent or make the decided refund (after commit, idempotent)."""
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[ExpertSession, CancelDecision]:
        session = _load(transaction, db, session_id)
        _authorize(caller, session, cancelled_by)
        decision = decide_cancellation(session, cancelled_by=cancelled_by, now=now)
        if session.packagePurchaseId is not None:  # a credit, not money, goes back (packages)
            terms = packages.cancellation_terms(
                session, already=decision.already, percentage=decision.percentage
            )
            decision = decision.model_copy(update=terms)
        if decision.already:
            return session, decision
        contacts = _contacts(transaction, db, session_id) if decision.paid else {}
        stats = performance.read_stats(transaction, db, session.expertId) if decision.paid else {}
        release = occupancy.read_release(transaction, db, session)
        credit_to = packages.read_for_return(transaction, db, session) if decision.amount else None
        # --- writes
        occupancy.apply_release(transaction, release)
        updates: dict[str, Any] = {
            **cancellation_update(by=cancelled_by, reason=reason, now=now),
            "refundPercentage": decision.percentage,
            "inviteSequence": session.inviteSequence + 1,
        }
        if decision.paid:
            refund_fields, net = (
                packages.return_credit(
                    transaction, db, purchase=credit_to, session=session, now=now
                )
                if credit_to is not None
                else _refund_updates(
                    transaction,
                    db,
                    session=session,
                    amount=decision.amount,
                    reason=f"cancelled_by_{cancelled_by}",
                    key=f"{session_id}-refund-cancel",
                    now=now,
                )
            )
            updates.update(refund_fields)
            counter = "expertCancellations" if cancelled_by == "expert" else "userCancellations"
            performance.write_stats(
                transaction, db, session.expertId, stats, earnings=net, counters={counter: 1}
            )
            notifications.session_cancelled(
                transaction,
                db,
                session=session.model_copy(update={"inviteSequence": session.inviteSequence + 1}),
                contacts=contacts,
                now=now,
                cancelled_by=cancelled_by,
                refund_amount=decision.amount,
                reason=reason,
            )
        transaction.update(holds.session_ref(db, session_id), updates)
        return session, decision

    before, decision = txn(db.transaction())
    percentage, amount = decision.percentage, decision.amount
    if before.status == "pending" and before.paymentIntentId:
        holds.cancel_intent_quietly(payments, before.paymentIntentId, session_id=session_id)
    after = settle_quietly(db, session_id=session_id, payments=payments, tasks=tasks)
    refund_status: Literal["none"] | RefundStatus = "none"
    if after is not None and after.refund is not None:
        refund_status = after.refund.status
    return CancelOutcome(
        sessionId=session_id,
        status="cancelled",
        paymentStatus=after.paymentStatus if after else before.paymentStatus,
        refundPercentage=percentage,
        refundAmount=amount,
        currency=before.currency,
        refundStatus=refund_status,
        creditReturned=before.packagePurchaseId is not None and amount > 0,
    )


def settle_quietly(
    db: firestore.Client, *, session_id: str, payments: PaymentsGateway, tasks: TaskScheduler | None
) -> ExpertSession | None:
    """After-commit effects; a Stripe outage leaves the refund pending for the sweep."""
    try:
        return settle(db, session_id=session_id, payments=payments, tasks=tasks)
    except Exception:
        snap = holds.session_ref(db, session_id).get()
        return holds.load_session(snap) if snap.exists else None


# --- reschedule ----------------------------------------------------------------------------------


def check_reschedule(session: ExpertSession, *, caller: Caller, now: datetime) -> Party:
    """Who may move a session, and when (pure): its user or expert, a confirmed session, 24 h or
    more before it starts. The candidate moves it only while cancelling would refund in full, so
    a move never turns a late (partial or no) refund into a full one under the new date.
    Returns the mover's role."""
    if caller.uid not in (session.userId, session.expertId):
        raise PermissionDenied("only the session's user or expert can reschedule it")
    if session.status != "confirmed":
        raise FailedPrecondition(
            f"a {session.status} session cannot be rescheduled", reason="invalid_session_state"
        )
    notice = session.scheduledDate - now
    if notice < FREE_RESCHEDULE_NOTICE:
        raise FailedPrecondition(
            "sessions can be moved free of charge only 24 hours or more before they start; "
            "cancel instead",
            reason="too_late_to_reschedule",
        )
    role: Party = "expert" if caller.uid == session.expertId else "user"
    if (
        role == "user"
        and (session.cancellationPolicy.allowCancellation or session.rescheduledBy == "expert")
        and refund_percentage(
            cancelled_by="user",
            notice=notice,
            policy=session.cancellationPolicy,
            expert_moved=session.rescheduledBy == "expert",
        )
        < 100
    ):
        hours = session.cancellationPolicy.minimumNotice
        raise FailedPrecondition(
            f"this expert asks for {hours} hours' notice; a session inside it can no longer be "
            "moved, only cancelled under the policy",
            reason="too_late_to_reschedule",
        )
    return role


def with_booked_terms(expert: PublicExpert, session: ExpertSession) -> PublicExpert:
    """The live expert as a move checks the new time (pure): the session keeps the duration it
    was booked for even if the expert no longer offers it to new bookings. Hours, buffer, caps
    and days off stay live: they are the calendar, not the terms."""
    priced = expert.pricing.sessionTypes.get(session.sessionType)  # type: ignore[call-overload]
    if priced is None or session.duration in priced.allowedDurations:
        return expert
    kept = priced.model_copy(
        update={
            "allowedDurations": [*priced.allowedDurations, session.duration],
            "minimumDuration": min(priced.minimumDuration, session.duration),
        }
    )
    types: dict[str, Any] = {str(k): v for k, v in expert.pricing.sessionTypes.items()}
    types[session.sessionType] = kept
    return expert.model_copy(
        update={"pricing": expert.pricing.model_copy(update={"sessionTypes": types})}
    )


def check_new_start(*, role: Party, new_start: datetime, now: datetime) -> None:
    """Policy (pure): an expert never moves a session to less than 24 h ahead (the candidate's
    late-cancellation tiers would then apply to a date they did not choose)."""
    if role == "expert" and new_start - now < FREE_RESCHEDULE_NOTICE:
        raise FailedPrecondition(
            "an expert can move a session only to a time 24 hours or more ahead",
            reason="new_time_too_soon",
        )


def reusable_tokens(cap_tokens: list[str], *, day_path: str, week_path: str) -> list[str]:
    """The cap tokens a move keeps: those of the day and week it stays in (pure)."""
    return [p for p in cap_tokens if p.startswith((day_path + "/", week_path + "/"))]


def moved_session(
    session: ExpertSession,
    *,
    slot: availability.BookableSlot,
    start_time: str,
    units: list[str],
    tokens: list[str],
    now: datetime,
    moved_by: Party,
) -> ExpertSession:
    """The session at its new time, holding the new time's units and tokens (pure)."""
    return session.model_copy(
        update={
            "scheduledDate": slot.start,
            "endDate": slot.end,
            "blockedUntil": slot.blocked_until,
            "localDate": slot.local_date,
            "localWeek": slot.local_week,
            "localStartTime": start_time,
            "lockUnits": units,
            "capTokens": tokens,
            "rescheduleCount": session.rescheduleCount + 1,
            "inviteSequence": session.inviteSequence + 1,
            "rescheduledAt": now,
            "rescheduledBy": moved_by,
        }
    )


RESCHEDULE_FIELDS = (
    "scheduledDate",
    "endDate",
    "blockedUntil",
    "localDate",
    "localWeek",
    "localStartTime",
    "rescheduleCount",
    "inviteSequence",
    "rescheduledAt",
    "rescheduledBy",
)
"""What a move changes on the session document (its claims go to `occupancy.write_claims`)."""


def _unavailable(exc: occupancy.TimeUnavailable) -> Exception:
    if exc.reason == "slot_taken":
        return booking.SlotTaken()
    return FailedPrecondition(
        f"the expert's {exc.reason.split('_')[0]} is fully booked",
        reason="week_full" if exc.reason.startswith("week") else "day_full",
    )


def reschedule_session(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    date: str | None,
    start_time: str | None,
    clock: Clock,
    start: datetime | None = None,
) -> ExpertSession:
    """Move a confirmed session, free of charge, when it is 24 h or more away (`check_reschedule`;
    an expert only to 24 h or more ahead, `check_new_start`). The new time is `start` (an
    instant) or the expert-local `date` + `start_time`; price, policy and duration stay as booked.

    Outside the transaction: `check_reschedule` and the slot rules. Inside: read the session
    (unchanged?), the new time's locks and tokens and what the old time holds; then free what
    the new time does not reuse, occupy the new time and write `moved_session`.
    """
    now = clock.now()
    snap = holds.session_ref(db, session_id).get()
    if not snap.exists:
        raise NotFound("no such session", reason="session_not_found")
    current = holds.load_session(snap)
    role = check_reschedule(current, caller=caller, now=now)
    expert = with_booked_terms(booking.load_expert(db, current.expertId), current)
    slot = booking.bookable_slot(
        db,
        expert=expert,
        session_type=current.sessionType,
        date=date,
        start_time=start_time,
        duration=current.duration,
        now=now,
        start=start,
        exclude_session_id=session_id,
    )
    check_new_start(role=role, new_start=slot.start, now=now)
    units = occupancy.lock_unit_ids(slot.start, slot.blocked_until)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession:
        session = _load(transaction, db, session_id)
        if (
            session.status != "confirmed"
            or session.scheduledDate != current.scheduledDate
            or session.rescheduledBy != current.rescheduledBy
        ):
            raise FailedPrecondition(
                "the session changed meanwhile; reload and try again", reason="session_changed"
            )
        contacts = _contacts(transaction, db, session_id)
        session = occupancy.read_claims(transaction, db, session)
        keep = reusable_tokens(
            session.capTokens,
            day_path=occupancy.day_ref(db, session.expertId, slot.local_date).path,
            week_path=occupancy.week_ref(db, session.expertId, slot.local_week).path,
        )
        try:
            taken = occupancy.read_occupancy(
                transaction,
                db,
                session_id=session_id,
                expert_id=session.expertId,
                units=units,
                local_date=slot.local_date,
                local_week=slot.local_week,
                max_per_day=expert.availability.maxSessionsPerDay,
                max_per_week=expert.availability.maxSessionsPerWeek,
                held_tokens=keep,
                now=now,
            )
        except occupancy.TimeUnavailable as exc:
            raise _unavailable(exc) from None
        old = occupancy.read_release(transaction, db, session)
        # --- writes: free what the new time does not reuse, then occupy the new time
        new_paths = {r.path for r in taken.lock_refs}
        old.locks = [r for r in old.locks if r.path not in new_paths]
        old.tokens = [r for r in old.tokens if r.path not in keep]
        old.busy = None  # rewritten below
        occupancy.apply_release(transaction, old, clear_claims=False)
        tokens = occupancy.apply_occupancy(
            transaction,
            taken,
            session_id=session_id,
            status="confirmed",
            expires_at=None,
            now=now,
        )
        moved = moved_session(
            session,
            slot=slot,
            start_time=slot.start.astimezone(ZoneInfo(session.timeZone)).strftime("%H:%M"),
            units=units,
            tokens=tokens,
            now=now,
            moved_by=role,
        )
        transaction.update(
            holds.session_ref(db, session_id), {k: getattr(moved, k) for k in RESCHEDULE_FIELDS}
        )
        occupancy.write_claims(
            transaction, db, session_id, units=moved.lockUnits, tokens=moved.capTokens
        )
        occupancy.write_busy(transaction, db, moved, status="confirmed")
        notifications.session_rescheduled(
            transaction, db, session=moved, contacts=contacts, now=now
        )
        return moved

    return txn(db.transaction())


# --- completion and no-shows (the window and the close task: delivery.py) ---------------------


def mark_session_completed(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    session_notes: str | None,
    clock: Clock,
) -> ExpertSession:
    """The expert closes a session after its scheduled end; counts it for the client and the
    expert. The payout still waits for the dispute window (delivery.close_session). Against a
    candidate's standing "the expert did not show" it also opens a dispute (no refund)."""
    now = clock.now()
    ref = holds.session_ref(db, session_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession:
        session = _load(transaction, db, session_id)
        _authorize(caller, session, "expert")
        if session.status == "completed":
            return session
        if session.status != "confirmed":
            raise FailedPrecondition(
                f"a {session.status} session cannot be completed", reason="invalid_session_state"
            )
        delivery.check_completion_time(session, now=now)
        read = delivery.read_completion(transaction, db, session)
        updates = delivery.completion_update(by="expert", now=now, notes=session_notes)
        if session.absenceReport is not None and session.dispute is None:
            answered = session.model_copy(update={"status": "completed"})
            updates.update(delivery.open_dispute(transaction, db, session=answered, now=now))
        transaction.update(ref, updates)
        delivery.write_completion_counts(transaction, db, session, read, delta=1, now=now)
        return session.model_copy(
            update={"status": "completed", "completedAt": now, "completedBy": "expert"}
        )

    return txn(db.transaction())


def _disputable(session: ExpertSession) -> bool:
    """The expert has already said the session took place (or that the candidate was absent)."""
    return session.status == "completed" or (
        session.status == "no_show"
        and session.noShow is not None
        and session.noShow.party == "user"
    )


@dataclass(frozen=True)
class _NoShowRead:
    stats: dict[str, Any]
    contacts: dict[str, Any]
    credit_to: PackagePurchase | None
    """The package purchase an expert no-show returns its credit to (packages), or None."""


def _read_no_show(
    transaction: firestore.Transaction, db: firestore.Client, session: ExpertSession
) -> _NoShowRead:
    return _NoShowRead(
        stats=performance.read_stats(transaction, db, session.expertId),
        contacts=_contacts(transaction, db, session.sessionId),
        credit_to=packages.read_for_return(transaction, db, session),
    )


def _send_package_refunds(
    db: firestore.Client, *, session: ExpertSession, absent: Party, payments: PaymentsGateway
) -> None:
    """After commit: a credit returned to a package already over becomes money back."""
    if absent == "expert" and session.packagePurchaseId:
        packages.send_pending_refunds(db, purchase_id=session.packagePurchaseId, payments=payments)


def _write_no_show(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    session: ExpertSession,
    read: _NoShowRead,
    absent: Party,
    reported_by: str,
    reported_at: datetime,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """The no-show itself: status, record, counters; for an absent expert a full refund of what
    is left and the mails."""
    updates: dict[str, Any] = {
        "status": "no_show",
        "noShow": {"party": absent, "reportedBy": reported_by, "reportedAt": reported_at},
        **(extra or {}),
    }
    net = 0
    amount = 0
    if absent == "expert":
        amount = session.price - session.refundedAmount
        refund_fields, net = (
            packages.return_credit(
                transaction, db, purchase=read.credit_to, session=session, now=now
            )
            if read.credit_to is not None
            else _refund_updates(
                transaction,
                db,
                session=session,
                amount=amount,
                reason="expert_no_show",
                key=f"{session.sessionId}-refund-no-show",
                now=now,
            )
        )
        updates.update(refund_fields)
    counter = "expertNoShows" if absent == "expert" else "userNoShows"
    performance.write_stats(
        transaction, db, session.expertId, read.stats, earnings=net, counters={counter: 1}
    )
    transaction.update(holds.session_ref(db, session.sessionId), updates)
    if absent == "expert" and amount:
        notifications.no_show_refunded(
            transaction, db, session=session, contacts=read.contacts, now=now, refund_amount=amount
        )


def report_no_show(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    absent: Party,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None = None,
) -> ExpertSession:
    """From 15 minutes after the start until the dispute window closes: the expert reports the
    candidate absent (no refund), or the candidate reports the expert absent: a full refund of
    what was paid, unless the expert had already marked the session completed (or the candidate
    absent), in which case a dispute is opened for an admin and no money moves.

    A candidate's report before the scheduled end refunds nothing yet (the expert cannot answer
    it before the end): it stands on the session (`absenceReport`), the expert is mailed, and
    `decide_absence_report` refunds at the end + grace unless the expert answered; the expert
    marking the candidate absent meanwhile is an answer too, and opens a dispute."""
    now = clock.now()
    ref = holds.session_ref(db, session_id)
    reporter: Party = "expert" if absent == "user" else "user"

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[ExpertSession, bool]:
        session = _load(transaction, db, session_id)
        _authorize(caller, session, reporter)
        if session.status == "no_show" and session.noShow and session.noShow.party == absent:
            return session, False
        if session.dispute is not None:
            if session.dispute.status == "open" and absent == "expert":
                return session, False
            raise FailedPrecondition(
                "this session is disputed, or its dispute was decided",
                reason="invalid_session_state",
            )
        standing = session.status == "confirmed" and session.absenceReport is not None
        if standing and absent == "expert":  # decided by the task or the expert's answer
            return session, False
        dispute = absent == "expert" and _disputable(session)
        if session.status != "confirmed" and not dispute:
            raise FailedPrecondition(
                f"a {session.status} session cannot be marked a no-show",
                reason="invalid_session_state",
            )
        delivery.check_no_show_time(session, now=now)
        if dispute:
            transaction.update(
                ref, delivery.open_dispute(transaction, db, session=session, now=now)
            )
            return session, False
        read = _read_no_show(transaction, db, session)
        if absent == "expert" and delivery.absence_report_awaits_expert(session, now=now):
            report = {"reportedBy": caller.uid, "reportedAt": now, "party": "expert"}
            transaction.update(ref, {"absenceReport": report})
            notifications.absence_reported(
                transaction,
                db,
                session=session,
                contacts=read.contacts,
                now=now,
                grace_minutes=int(delivery.ABSENCE_DECISION_GRACE.total_seconds() // 60),
            )
            return session, True
        extra = None
        if standing:  # the expert's answer to the candidate's report: an admin decides
            answered = session.model_copy(update={"status": "no_show"})
            extra = delivery.open_dispute(transaction, db, session=answered, now=now)
        _write_no_show(
            transaction,
            db,
            session=session,
            read=read,
            absent=absent,
            reported_by=caller.uid,
            reported_at=now,
            now=now,
            extra=extra,
        )
        return session, False

    session, reported = txn(db.transaction())
    if reported:
        delivery.schedule_absence_decision(tasks, session)
    _send_package_refunds(db, session=session, absent=absent, payments=payments)
    after = settle_quietly(db, session_id=session_id, payments=payments, tasks=None)
    if after is None:
        raise NotFound("no such session", reason="session_not_found")
    return after


def decide_absence_report(
    db: firestore.Client, *, session_id: str, clock: Clock, payments: PaymentsGateway
) -> bool:
    """At the decision time, a standing "the expert did not show" the expert left unanswered
    becomes an expert no-show: a full refund. Idempotent (the status changes in the same
    transaction); early or answered (completed, disputed) does nothing. True when it refunded."""
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> bool:
        snap = holds.session_ref(db, session_id).get(transaction=transaction)
        if not snap.exists:
            return False
        session = holds.load_session(snap)
        report = session.absenceReport
        if report is None or session.status != "confirmed" or session.dispute is not None:
            return False
        if now < delivery.absence_decision_time(session):
            return False
        read = _read_no_show(transaction, db, session)
        _write_no_show(
            transaction,
            db,
            session=session,
            read=read,
            absent="expert",
            reported_by=report.reportedBy,
            reported_at=report.reportedAt,
            now=now,
        )
        return True

    decided = txn(db.transaction())
    if decided:
        snap = holds.session_ref(db, session_id).get()
        if snap.exists:
            _send_package_refunds(
                db, session=holds.load_session(snap), absent="expert", payments=payments
            )
        settle_quietly(db, session_id=session_id, payments=payments, tasks=None)
        log("delivery.absence_refunded", sessionId=session_id)
    return decided


ABSENCE_SWEEP_LOOKBACK = timedelta(days=2)


def sweep_absence_reports(
    db: firestore.Client, *, clock: Clock, payments: PaymentsGateway, limit: int = 200
) -> int:
    """Safety net behind the decision tasks: decide standing reports made in the last two days
    (the query reads only reported sessions; `decide_absence_report` re-checks the time).
    Returns how many it refunded."""
    now = clock.now()
    field = "absenceReport.reportedAt"
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter(field, ">=", now - ABSENCE_SWEEP_LOOKBACK))
        .where(filter=firestore.FieldFilter(field, "<=", now - delivery.ABSENCE_DECISION_GRACE))
        .order_by(field)
        .limit(limit)
    )
    decided = 0
    for snap in query.stream():
        data = snap.to_dict() or {}
        if data.get("absenceReport") is None or data.get("status") != "confirmed":
            continue
        try:
            decided += decide_absence_report(db, session_id=snap.id, clock=clock, payments=payments)
        except Exception as exc:
            log(
                "delivery.absence_sweep_failed",
                severity="WARNING",
                sessionId=snap.id,
                error=str(exc),
            )
    return decided


__all__ = [
    "CancelOutcome",
    "cancel_session",
    "decide_absence_report",
    "make_pending_refund",
    "mark_session_completed",
    "refund_amount",
    "refund_percentage",
    "report_no_show",
    "reschedule_session",
]

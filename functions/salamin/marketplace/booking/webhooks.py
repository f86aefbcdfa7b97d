"""Stripe webhook events other than the payment confirmation itself: failed payments, refunds
made at Stripe (`charge.refunded`), refund status (`refund.updated` / `charge.refund.updated`),
Connect account updates, and the dispatch (`handle_event`) that applies each verified event once
and then finishes its idempotent after-effects.

Two endpoints deliver here, each with its own signing secret (the gateway says which signed):
the platform's, for our payments and refunds, and the Connect one, whose events are about
connected accounts; from the Connect endpoint only `account.updated` is applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.gateways.stripe_gateway import (
    PaymentIntentInfo,
    PaymentsGateway,
    RefundInfo,
    StripeEvent,
    decline_message,
)
from salamin.gateways.tasks import TaskScheduler
from salamin.marketplace.booking import (
    holds,
    ledger,
    notifications,
    packages,
    payouts,
    performance,
)
from salamin.marketplace.booking.events import (
    already_applied,
    event_ref,
    mark_done,
    record_event,
    record_plain,
)
from salamin.marketplace.booking.payments import (
    PAYMENT_RANK,
    Outcome,
    confirm_payment,
    read_refund_failure,
    refund_orphan,
    settle,
    with_payment_status,
    write_refund_failure,
)
from salamin.marketplace.calendar import occupancy
from salamin.models.session import ExpertSession, cancellation_update

CONNECT_EVENT_TYPES = frozenset({"account.updated"})
"""What the Connect endpoint (its own signing secret) may change here."""


def _event_session(
    transaction: firestore.Transaction,
    db: firestore.Client,
    event: StripeEvent,
    ref: firestore.DocumentReference,
    *,
    now: datetime,
) -> tuple[ExpertSession | None, Outcome]:
    """The session an event is about, read in its transaction; or (None, the outcome) when the
    event was applied before or names no session we have (recorded as ignored)."""
    if already_applied(transaction, db, event):
        return None, Outcome("duplicate", ref.id)
    snap = ref.get(transaction=transaction)
    if not snap.exists:
        record_event(transaction, db, event, now=now, session_id=ref.id, outcome="ignored")
        return None, Outcome("ignored", ref.id)
    return holds.load_session(snap), Outcome("ignored", ref.id)


def payment_failed(db: firestore.Client, *, event: StripeEvent, clock: Clock) -> Outcome:
    """Keep the hold until it expires; mark the attempt failed and tell the user."""
    intent = PaymentIntentInfo.from_dict(event.object)
    session_id = intent.metadata.get("sessionId")
    if not session_id:
        record_plain(db, event, clock=clock, outcome="ignored")
        return Outcome("ignored")
    stripe_error = event.object.get("last_payment_error") or {}
    # Stripe's wording never reaches a client: our message from its code
    error = decline_message(stripe_error.get("decline_code") or stripe_error.get("code"))
    ref = holds.session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> Outcome:
        session, early = _event_session(transaction, db, event, ref, now=now)
        if session is None:
            return early
        if (
            session.status != "pending"
            or PAYMENT_RANK[session.paymentStatus] > PAYMENT_RANK["failed"]
        ):
            record_event(transaction, db, event, now=now, session_id=session_id, outcome="stale")
            return Outcome("ignored", session_id, session.status, session.paymentStatus)
        contacts = holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict() or {}
        transaction.update(ref, {"paymentStatus": "failed", "lastPaymentError": error})
        notifications.payment_failed(
            transaction,
            db,
            session=session,
            contacts=contacts,
            now=now,
            event_id=event.id,
            message=error,
        )
        record_event(transaction, db, event, now=now, session_id=session_id, outcome="failed")
        return Outcome("ignored", session_id, session.status, "failed")

    return txn(db.transaction())


DASHBOARD_REFUND_REASON = "refunded_at_stripe"


def _session_id_of(db: firestore.Client, obj: dict[str, Any]) -> str | None:
    """The session a charge or refund object is about: its metadata, else its intent."""
    session_id = (obj.get("metadata") or {}).get("sessionId")
    payment_intent_id = obj.get("payment_intent")
    if not session_id and payment_intent_id:
        found = list(
            db.collection(col.EXPERT_SESSIONS)
            .where(filter=firestore.FieldFilter("paymentIntentId", "==", payment_intent_id))
            .limit(1)
            .stream()
        )
        session_id = found[0].id if found else None
    return str(session_id) if session_id else None


def charge_refunded(
    db: firestore.Client,
    *,
    event: StripeEvent,
    clock: Clock,
    payments: PaymentsGateway | None = None,
) -> Outcome:
    """Sync refunds made at Stripe. A refund we did not decide (the dashboard) is ledgered
    here; one that refunds a confirmed session in full also cancels it and frees its time
    (the same release as every cancellation), a partial one marks it `partially_refunded`.
    The refunded total is the charge's as Stripe has it now (`payments`), not the event's
    snapshot: a snapshot delivered after its refund failed must not ledger it again."""
    charge = event.object
    session_id = _session_id_of(db, charge)
    if not session_id:
        record_plain(db, event, clock=clock, outcome="ignored")
        return Outcome("ignored")
    refunded_total = int(charge.get("amount_refunded") or 0)
    if payments is not None and charge.get("id"):
        refunded_total = payments.retrieve_charge(str(charge["id"])).amount_refunded
    ref = holds.session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> Outcome:
        session, early = _event_session(transaction, db, event, ref, now=now)
        if session is None:
            return early
        total = max(session.refundedAmount, min(refunded_total, session.price))
        new_amount = (
            total - session.refundedAmount
            if refunded_total > session.refundedAmount and session.paymentStatus != "pending"
            else 0
        )
        cancel = new_amount > 0 and total >= session.price and session.status == "confirmed"
        # --- reads
        stats = performance.read_stats(transaction, db, session.expertId) if new_amount else {}
        release = occupancy.read_release(transaction, db, session) if cancel else None
        contacts = holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict() or {}
        # --- writes
        updates: dict[str, Any] = {}
        if new_amount:
            line = ledger.refund_line(
                session, amount=new_amount, refunded_before=session.refundedAmount, now=now
            )
            ledger.write_line(transaction, db, line)
            performance.write_stats(
                transaction, db, session.expertId, stats, earnings=line.netAmount
            )
            updates["refundedAmount"] = total
        if total > 0:
            target = "refunded" if total >= session.price else "partially_refunded"
            new_status = with_payment_status(session.paymentStatus, target)
            if new_status != session.paymentStatus:
                updates["paymentStatus"] = new_status
        if (
            session.refund is not None
            and session.refund.status == "pending"
            and refunded_total >= session.refundedAmount
        ):  # Stripe took the refund whose answer we lost (one it reports pending stays ours
            # to track through refund.updated)
            updates["refund.status"] = "succeeded"
        status = session.status
        if cancel and release is not None:
            occupancy.apply_release(transaction, release)
            status = "cancelled"
            updates.update(
                cancellation_update(by="system", reason=DASHBOARD_REFUND_REASON, now=now),
                refundPercentage=100,
                inviteSequence=session.inviteSequence + 1,
            )
            notifications.session_cancelled(
                transaction,
                db,
                session=session.model_copy(update={"inviteSequence": session.inviteSequence + 1}),
                contacts=contacts,
                now=now,
                cancelled_by="system",
                refund_amount=new_amount,
                reason="the payment was refunded in full",
            )
        if updates:
            transaction.update(ref, updates)
        record_event(
            transaction,
            db,
            event,
            now=now,
            session_id=session_id,
            outcome="refund_cancelled" if cancel else "refund_synced",
        )
        return Outcome(
            "ignored", session_id, status, updates.get("paymentStatus", session.paymentStatus)
        )

    return txn(db.transaction())


REFUND_UPDATE_TYPES = frozenset({"refund.updated", "charge.refund.updated", "refund.failed"})


def refund_updated(db: firestore.Client, *, event: StripeEvent, clock: Clock) -> Outcome:
    """Track a refund's status at Stripe. `succeeded`: our record says so. `failed` or
    `canceled`: the money never reached the candidate, so its ledger line is reversed and an
    admin notification opened (`payments.write_refund_failure`), once per refund however many
    of Stripe's event types report it."""
    refund = RefundInfo.from_dict(event.object)
    session_id = _session_id_of(db, event.object)
    if not session_id:
        record_plain(db, event, clock=clock, outcome="ignored")
        return Outcome("ignored")
    ref = holds.session_ref(db, session_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> Outcome:
        session, early = _event_session(transaction, db, event, ref, now=now)
        if session is None:
            return early
        outcome = "refund_status_synced"
        record = session.refund
        ours = record is not None and (
            record.refundId == refund.id
            or (
                record.refundId is None  # Stripe took it but its answer never reached us
                and record.amount == refund.amount
                and refund.metadata.get("reason") == record.reason
            )
        )
        if refund.status in ("failed", "canceled"):
            failure = read_refund_failure(
                transaction,
                db,
                session,
                failure_id=refund.id,
                refund_id=refund.id,
                amount=refund.amount,
                reason=refund.failure_reason or refund.status,
            )
            if failure is not None:
                if ours and record is not None and record.refundId is None:
                    session = session.model_copy(
                        update={"refund": record.model_copy(update={"refundId": refund.id})}
                    )
                write_refund_failure(transaction, db, session, failure, now=now)
                outcome = "refund_failed"
        elif (
            refund.status == "succeeded"
            and ours
            and record is not None
            and record.status in ("pending", "processing")
        ):
            transaction.update(ref, {"refund.status": "succeeded", "refund.refundId": refund.id})
            outcome = "refund_succeeded"
        record_event(transaction, db, event, now=now, session_id=session_id, outcome=outcome)
        return Outcome("ignored", session_id, session.status)

    return txn(db.transaction())


def handle_event(
    db: firestore.Client,
    *,
    event: StripeEvent,
    clock: Clock,
    payments: PaymentsGateway,
    tasks: TaskScheduler | None,
) -> Outcome:
    """Apply one verified Stripe event once, then finish its idempotent after-effects."""
    seen = event_ref(db, event.id).get()
    if seen.exists and seen.get("status") == "done":
        return Outcome("duplicate", seen.get("sessionId"))
    if event.endpoint == "connect" and event.type not in CONNECT_EVENT_TYPES:
        # a connected account's own payments are not ours: only its account state is read
        record_plain(db, event, clock=clock, outcome="ignored_connect")
        outcome = Outcome("ignored")
    elif event.type == "payment_intent.succeeded" and packages.is_package_intent(event.object):
        result = packages.apply_paid_intent(
            db, intent=PaymentIntentInfo.from_dict(event.object), clock=clock, tasks=tasks
        )
        record_plain(db, event, clock=clock, outcome=f"package_{result}")
        outcome = Outcome("confirmed" if result == "confirmed" else "ignored")
    elif event.type == "payment_intent.succeeded":
        outcome = confirm_payment(
            db,
            intent=PaymentIntentInfo.from_dict(event.object),
            clock=clock,
            payments=payments,
            tasks=tasks,
            event=event,
        )
        if outcome.result == "duplicate" and outcome.sessionId:
            intent = PaymentIntentInfo.from_dict(event.object)
            if seen.exists and seen.get("outcome") == "orphan_refunded":
                refund_orphan(payments, intent)
            else:
                settle(
                    db, session_id=outcome.sessionId, payments=payments, tasks=tasks, clock=clock
                )
    elif event.type == "payment_intent.payment_failed":
        outcome = payment_failed(db, event=event, clock=clock)
    elif event.type == "charge.refunded":
        outcome = charge_refunded(db, event=event, clock=clock, payments=payments)
    elif event.type in REFUND_UPDATE_TYPES:
        outcome = refund_updated(db, event=event, clock=clock)
    elif event.type == "account.updated":
        payouts.sync_account(db, account=event.object, event_created=event.created)
        record_plain(db, event, clock=clock, outcome="account_synced")
        outcome = Outcome("ignored")
    else:
        record_plain(db, event, clock=clock, outcome="ignored")
        outcome = Outcome("ignored")
    mark_done(db, event.id, now=clock.now())
    return outcome

"""`stripeEvents/{eventId}`: each verified webhook event recorded once, in the transaction that
applies it (a redelivery finds the record and changes nothing), then marked `done` once its
after-commit effects have run. This module is the only writer of those documents.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.gateways.stripe_gateway import (
    StripeEvent,
)


def event_ref(db: firestore.Client, event_id: str) -> firestore.DocumentReference:
    return db.collection(col.STRIPE_EVENTS).document(event_id)


def record_event(
    transaction: firestore.Transaction,
    db: firestore.Client,
    event: StripeEvent | None,
    *,
    now: datetime,
    session_id: str | None,
    outcome: str,
) -> None:
    if event is None:
        return
    transaction.create(
        event_ref(db, event.id),
        {
            "eventId": event.id,
            "type": event.type,
            "created": event.created,
            "sessionId": session_id,
            "outcome": outcome,
            "status": "applied",
            "receivedAt": now,
        },
    )


def already_applied(
    transaction: firestore.Transaction, db: firestore.Client, event: StripeEvent | None
) -> bool:
    return event is not None and event_ref(db, event.id).get(transaction=transaction).exists


def record_plain(
    db: firestore.Client, event: StripeEvent | None, *, clock: Clock, outcome: str
) -> None:
    if event is None:
        return

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        if already_applied(transaction, db, event):
            return
        record_event(transaction, db, event, now=clock.now(), session_id=None, outcome=outcome)

    txn(db.transaction())


def mark_done(db: firestore.Client, event_id: str, *, now: datetime) -> None:
    """The event's after-commit effects ran: a redelivery now changes nothing at all."""
    event_ref(db, event_id).update({"status": "done", "doneAt": now})

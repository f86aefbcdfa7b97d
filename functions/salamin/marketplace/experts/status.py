"""`setExpertStatus`: admins move an expert between active, inactive and suspended; an expert may
pause (inactive) and resume (active) themselves, but never lift a suspension.

Status is the one switch search and booking read: `search.active`/`search.bookable` are
recomputed from it by the `syncExpertSearchFields` trigger, and booking, rescheduling and slot
generation refuse a non-active expert (`calendar.bookability.not_bookable`). Nothing
is cancelled: a suspension returns the expert's future sessions so the admin can decide.
Every change appends an audit entry `experts/{id}/statusLog/{entryId}` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, NotFound, PermissionDenied
from salamin.models.base import wire_instant
from salamin.models.expert_admin import ManagedStatus, StatusLogEntry

SELF_SERVICE: frozenset[str] = frozenset({"active", "inactive"})


def allowed_change(*, caller: Caller, expert_id: str, current: str, target: str) -> None:
    """Policy: admins may set any managed status; the expert only toggles active/inactive, and
    not while suspended (or before activation)."""
    if caller.is_admin:
        if current not in ("active", "inactive", "suspended"):
            raise FailedPrecondition(
                f"a {current} expert has not been activated yet", reason="expert_not_active"
            )
        return
    if caller.uid != expert_id:
        raise PermissionDenied("only admins or the expert themself can change this status")
    if target not in SELF_SERVICE:
        raise PermissionDenied("only admins can suspend an expert")
    if current == "suspended":
        raise PermissionDenied("this profile is suspended; only an admin can lift it")
    if current not in SELF_SERVICE:
        raise FailedPrecondition(
            f"a {current} expert has not been activated yet", reason="expert_not_active"
        )


@dataclass(frozen=True)
class StatusChange:
    expertId: str
    previousStatus: str
    status: str
    changed: bool
    futureSessions: list[dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        return {
            "expertId": self.expertId,
            "previousStatus": self.previousStatus,
            "status": self.status,
            "changed": self.changed,
            "futureSessions": self.futureSessions,
        }


def _log_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return (
        db.collection(col.EXPERTS).document(expert_id).collection(col.EXPERT_STATUS_LOG).document()
    )


def future_sessions(db: firestore.Client, *, expert_id: str, now: datetime) -> list[dict[str, Any]]:
    """Confirmed and held sessions that have not started: what an admin must decide about."""
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .where(filter=firestore.FieldFilter("status", "in", ["pending", "confirmed"]))
        .where(filter=firestore.FieldFilter("scheduledDate", ">=", now))
        .order_by("scheduledDate")
    )
    out = []
    for snap in query.stream():
        d = snap.to_dict() or {}
        out.append(
            {
                "sessionId": snap.id,
                "status": d.get("status"),
                "scheduledDate": wire_instant(d["scheduledDate"]),
                "sessionType": d.get("sessionType"),
                "duration": d.get("duration"),
                "userId": d.get("userId"),
                "price": d.get("price"),
                "currency": d.get("currency"),
            }
        )
    return out


def set_expert_status(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str,
    status: ManagedStatus,
    reason: str,
    clock: Clock,
) -> StatusChange:
    now = clock.now()
    ref = db.collection(col.EXPERTS).document(expert_id)
    log_ref = _log_ref(db, expert_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[str, bool]:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            raise NotFound("no such expert", reason="expert_not_found")
        current = str(snap.get("status"))
        allowed_change(caller=caller, expert_id=expert_id, current=current, target=status)
        if current == status:
            return current, False
        transaction.update(ref, {"status": status})
        entry = StatusLogEntry(
            expertId=expert_id,
            fromStatus=current,
            toStatus=status,
            reason=reason,
            changedBy=caller.uid,
            byAdmin=caller.is_admin,
            changedAt=now,
        )
        transaction.create(log_ref, entry.to_firestore())
        return current, True

    previous, changed = txn(db.transaction())
    sessions = (
        future_sessions(db, expert_id=expert_id, now=now)
        if caller.is_admin and status != "active"
        else []
    )
    return StatusChange(
        expertId=expert_id,
        previousStatus=previous,
        status=status,
        changed=changed,
        futureSessions=sessions,
    )

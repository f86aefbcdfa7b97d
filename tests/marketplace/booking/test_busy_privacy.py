"""Busy documents name nobody: every signed-in user may read `expertCalendars/*/busy/*`, so
after each path that writes one (booking, payment, late payment, reschedule, cancel) a stranger
reads them all through the rules and finds only times and statuses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from salamin.marketplace.booking import holds, lifecycle
from salamin.models.calendar import BusyInterval
from scripts.stack import Stack
from tests.support.booking import EXPERT, USER, USER2, World
from tests.support.emulators import FirestoreRest, unsigned_token

STRANGER = unsigned_token("stranger-uid", email="stranger@example.com")
BUSY_FIELDS = set(BusyInterval.model_fields)


def _identities(world: World) -> set[str]:
    """Every id, name and email of the people involved, as stored."""
    expert = world.expert()
    personal = expert.get("personalInfo") or {}
    names = {personal.get("firstName"), personal.get("lastName")}
    contacts: set[str] = set()
    for snap in world.db.collection_group("contacts").stream():
        for value in (snap.to_dict() or {}).values():
            if isinstance(value, dict):
                contacts |= {str(v) for v in value.values() if v}
            elif value:
                contacts.add(str(value))
    people = {USER.uid, USER2.uid, EXPERT, USER.email, USER2.email, "ada@example.com"}
    return {str(x).lower() for x in people | names | contacts if x}


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value).lower()]


def _names(value: str, identity: str) -> bool:
    """Equal, or containing an id or email (those have a `-`/`@` no random id has)."""
    return value == identity or (("-" in identity or "@" in identity) and identity in value)


def _stranger_sees(world: World, rest: FirestoreRest, *, expected: int) -> list[dict[str, Any]]:
    docs = rest.documents(f"expertCalendars/{EXPERT}/busy", STRANGER)
    assert len(docs) == expected
    identities = _identities(world)
    for doc in docs:
        assert set(doc) == BUSY_FIELDS, doc
        named = [s for s in _strings(doc) if any(_names(s, i) for i in identities)]
        assert named == [], doc
    return docs


def test_no_busy_document_names_anyone_after_any_path(world: World, emulators: Stack) -> None:
    rest = FirestoreRest(emulators.endpoints)
    held = world.book(USER, start="10:00")
    assert [d["status"] for d in _stranger_sees(world, rest, expected=1)] == ["held"]

    world.pay(held)
    world.deliver()
    assert [d["status"] for d in _stranger_sees(world, rest, expected=1)] == ["confirmed"]

    lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=held.sessionId,
        date="2026-11-05",
        start_time="15:00",
        clock=world.clock,
    )
    _stranger_sees(world, rest, expected=1)

    late = world.book(USER2, start="12:00")
    world.clock.advance(timedelta(minutes=31))
    holds.sweep_expired_holds(world.db, clock=world.clock, payments=None)
    world.pay(late)  # paid after its hold expired, the time still free: confirmed again
    assert [o.result for o in world.deliver()] == ["confirmed"]
    assert len(_stranger_sees(world, rest, expected=2)) == 2

    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=held.sessionId,
        cancelled_by="user",
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    _stranger_sees(world, rest, expected=1)

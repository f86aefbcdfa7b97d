"""Rules for what issue 10 adds, read as strangers after the real flows: status audit, review
moderation, waitlist entries, notices, rate counters and in-app notifications. Every new
readable document is read whole by an unrelated signed-in user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.marketplace.booking import holds
from salamin.marketplace.experts import status, waitlist
from salamin.models.waitlist import WaitWindow
from scripts.stack import Stack
from tests.support.booking import EXPERT, USER, USER2, World
from tests.support.emulators import FirestoreRest, unsigned_token

STRANGER = unsigned_token("stranger-uid", email="stranger@example.com")
OWNER = unsigned_token(USER2.uid, email=USER2.email)
EXPERT_TOKEN = unsigned_token(EXPERT)
ADMIN = unsigned_token("admin-uid", admin=True)
WINDOW = {"daysOfWeek": [3], "startTime": "10:00", "endTime": "11:00", "timeZone": "Europe/London"}


def run_query(rest: FirestoreRest, collection: str, token: str | None, user_id: str) -> int:
    """A client's `where('userId', '==', uid)` list query, as the JS SDK sends it."""
    body = {
        "structuredQuery": {
            "from": [{"collectionId": collection}],
            "where": {
                "fieldFilter": {
                    "field": {"fieldPath": "userId"},
                    "op": "EQUAL",
                    "value": {"stringValue": user_id},
                }
            },
        }
    }
    r = requests.post(
        f"{rest.base}:runQuery", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    return r.status_code


def _flows(world: World) -> dict[str, str]:
    """Run every issue-10 flow that writes a document; return the paths written."""
    held = world.book(USER, start="10:00")
    entry = waitlist.join_waitlist(
        world.db,
        caller=USER2,
        expert_id=EXPERT,
        session_type="mock_interview",
        duration=60,
        window=WaitWindow.model_validate(WINDOW),
        clock=world.clock,
    )
    before = world.calendar().collection("busy").document(held.sessionId).get().to_dict()
    world.clock.advance(timedelta(minutes=31))
    holds.expire_hold(
        world.db, session_id=held.sessionId, clock=world.clock, payments=None, source="task"
    )
    assert waitlist.on_busy_written(
        world.db,
        expert_id=EXPERT,
        session_id=held.sessionId,
        before=before,
        after=None,
        clock=world.clock,
    ) == {"sent": 1}
    status.set_expert_status(
        world.db,
        caller=Caller(uid="admin-uid", is_admin=True),
        expert_id=EXPERT,
        status="suspended",
        reason="confidential fraud report",
        clock=world.clock,
    )
    [log] = list(world.db.collection(f"experts/{EXPERT}/statusLog").stream())
    [notice] = list(world.db.collection(col.WAITLIST_NOTICES).stream())
    [rate] = list(world.db.collection(col.WAITLIST_RATE).stream())
    return {
        "entry": f"{col.WAITLIST_ENTRIES}/{entry.entryId}",
        "notification": f"users/{USER2.uid}/notifications/{notice.id}",
        "notice": f"{col.WAITLIST_NOTICES}/{notice.id}",
        "rate": f"{col.WAITLIST_RATE}/{rate.id}",
        "seats": f"{col.WAITLIST_USERS}/{USER2.uid}",
        "statusLog": f"experts/{EXPERT}/statusLog/{log.id}",
    }


def test_strangers_read_nothing_new(world: World, emulators: Stack) -> None:
    rest = FirestoreRest(emulators.endpoints)
    paths = _flows(world)
    expected = {
        # path: (stranger, owner-ish, admin)
        "entry": (403, (OWNER, 200), 403),
        "notification": (403, (OWNER, 200), 403),
        "notice": (403, (OWNER, 403), 403),
        "rate": (403, (OWNER, 403), 403),
        "seats": (403, (OWNER, 403), 403),
        "statusLog": (403, (EXPERT_TOKEN, 200), 200),
    }
    for name, (stranger, (token, own), admin) in expected.items():
        path = paths[name]
        assert rest.get(path, STRANGER) == stranger, path
        assert rest.get(path, token) == own, path
        assert rest.get(path, ADMIN) == admin, path
        assert rest.get(path, None) == 403, path
    # list queries: only one's own entries
    assert run_query(rest, col.WAITLIST_ENTRIES, OWNER, USER2.uid) == 200
    assert run_query(rest, col.WAITLIST_ENTRIES, STRANGER, USER2.uid) == 403
    # the public expert document says suspended, never why
    [public] = [d for d in rest.documents("experts", STRANGER) if d.get("expertId") == EXPERT]
    assert public["status"] == "suspended"
    assert "confidential" not in repr(public)


def test_clients_write_nothing_but_the_read_flag(world: World, emulators: Stack) -> None:
    rest = FirestoreRest(emulators.endpoints)
    paths = _flows(world)
    note = paths["notification"]
    assert rest.patch(note, {"read": True}, OWNER) == 200
    assert rest.patch(note, {"slots": []}, OWNER) == 403  # cannot rewrite what it says
    assert rest.patch(note, {"read": True}, STRANGER) == 403
    assert rest.delete(note, OWNER) == 403
    assert rest.create(f"users/{USER2.uid}/notifications/forged", {"type": "x"}, OWNER) == 403
    entry: dict[str, Any] = {"userId": USER2.uid, "expertId": EXPERT}
    assert rest.create(f"{col.WAITLIST_ENTRIES}/forged", entry, OWNER) == 403
    assert rest.patch(paths["entry"], {"joinedAt": "2000-01-01"}, OWNER) == 403  # jump the queue
    assert rest.delete(paths["entry"], OWNER) == 403  # leaveWaitlist is the way out
    assert rest.patch(paths["rate"], {"count": 0}, OWNER) == 403  # reset the rate limit
    assert rest.patch(f"experts/{EXPERT}", {"status": "active"}, EXPERT_TOKEN) == 403
    assert rest.create(f"{col.REVIEW_MODERATION}/x", {"hidden": True}, EXPERT_TOKEN) == 403
    assert rest.get(f"{col.REVIEW_MODERATION}/x", ADMIN) in (200, 404)


def test_package_purchases_are_the_buyers_only(world: World, emulators: Stack) -> None:
    from salamin.marketplace.booking import packages

    rest = FirestoreRest(emulators.endpoints)
    deal = {
        "name": "Pair",
        "sessionCount": 2,
        "totalPrice": 20000,
        "validityDays": 30,
        "discountPercentage": 10,
    }
    world.db.collection(col.EXPERTS).document(EXPERT).update({"pricing.packageDeals": [deal]})
    bought = packages.purchase_package(
        world.db,
        caller=USER2,
        expert_id=EXPERT,
        package_name="Pair",
        clock=world.clock,
        payments=world.gateway,
    )
    path = f"{col.PACKAGE_PURCHASES}/{bought['purchaseId']}"
    assert rest.get(path, OWNER) == 200
    assert rest.get(path, STRANGER) == 403
    assert rest.get(path, EXPERT_TOKEN) == 403
    assert rest.get(path, ADMIN) == 200
    assert rest.patch(path, {"status": "paid"}, OWNER) == 403  # credits for free
    assert run_query(rest, col.PACKAGE_PURCHASES, STRANGER, USER2.uid) == 403

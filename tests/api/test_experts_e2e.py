"""Issue 10 through the Functions emulator, as the web client calls it: the expert edits hours,
a candidate joins the waitlist, a rival's hold is cancelled and the busy-document trigger tells
the candidate; the expert pauses and leaves search; earnings, reviews and typed errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_SECRET_KEY
from tests.api.test_booking_e2e import DoubleControl, _until
from tests.support.booking import make_expert
from tests.support.documents import check_stored
from tests.support.emulators import AuthEmulator, CallableError, call
from tests.support.users import make_user


@pytest.fixture
def double(emulators: Any) -> DoubleControl:
    control = DoubleControl(emulators.endpoints.stripe)
    control.reset()
    return control


def test_profile_waitlist_status_earnings_reviews(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert = make_user(auth, "ada@example.com")
    waiting = make_user(auth, "waiting@example.com")
    rival = make_user(auth, "rival@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert.uid)  # type: ignore[arg-type]

    # the expert keeps one hour, two days from now (London), and nothing else
    day = (datetime.now(UTC).astimezone(ZoneInfo("Europe/London")) + timedelta(days=2)).date()
    dow = (day.weekday() + 1) % 7
    avail = db.collection(col.EXPERTS).document(expert.uid).get().get("availability")
    avail.update(
        timeSlots=[
            {
                "dayOfWeek": dow,
                "startTime": "10:00",
                "endTime": "11:00",
                "sessionTypes": ["mock_interview"],
            }
        ],
        workingDays=[dow],
    )
    updated = call(ep, "updateExpertProfile", {"availability": avail}, token=expert.id_token)
    assert updated["updated"] == ["availability"] and updated["strandedSessions"] == []
    slots = call(
        ep,
        "getAvailableSlots",
        {"expertId": expert.uid, "daysAhead": 7, "duration": 60},
        token=waiting.id_token,
    )["slots"]
    assert [(s["expertDate"], s["expertStartTime"]) for s in slots] == [(day.isoformat(), "10:00")]

    # server-owned fields: invalid-argument with the field path, nothing written
    with pytest.raises(CallableError) as owned:
        call(
            ep,
            "updateExpertProfile",
            {"status": "active", "performance": {}},
            token=expert.id_token,
        )
    assert owned.value.code == "invalid-argument"
    assert {f["path"] for f in owned.value.details["fields"]} == {"status", "performance"}

    # the rival holds the only hour; the candidate waits for it
    held = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert.uid,
            "sessionType": "mock_interview",
            "date": day.isoformat(),
            "startTime": "10:00",
            "duration": 60,
        },
        token=rival.id_token,
    )
    joined = call(
        ep,
        "joinWaitlist",
        {
            "expertId": expert.uid,
            "sessionType": "mock_interview",
            "duration": 60,
            "window": {
                "daysOfWeek": [dow],
                "startTime": "09:00",
                "endTime": "12:00",
                "timeZone": "Europe/London",
            },
        },
        token=waiting.id_token,
    )
    assert len(joined["waitlistId"]) == 32
    entry = check_stored(db, f"{col.WAITLIST_ENTRIES}/{joined['waitlistId']}")
    assert entry["userId"] == waiting.uid
    call(
        ep,
        "cancelSession",
        {"sessionId": held["sessionId"], "cancelledBy": "user", "reason": "changed my mind"},
        token=rival.id_token,
    )
    inbox = db.collection(col.USERS).document(waiting.uid).collection(col.USER_NOTIFICATIONS)
    [note] = _until(lambda: list(inbox.stream()), what="the waitlist notification from the trigger")
    body = check_stored(db, note.reference.path)
    assert body["type"] == "waitlist_slot_available"
    assert [(s["expertDate"], s["expertStartTime"]) for s in body["slots"]] == [
        (day.isoformat(), "10:00")
    ]
    mails = [m.to_dict() for m in db.collection(col.MAIL).stream()]
    assert [m["to"] for m in mails if m["kind"] == "waitlist_slot_available"] == [
        "waiting@example.com"
    ]
    left = call(ep, "leaveWaitlist", {"waitlistId": joined["waitlistId"]}, token=waiting.id_token)
    assert left["left"] is True

    # the expert pauses: gone from search once the trigger ran, and not bookable
    def in_search() -> bool:
        page = call(ep, "searchExperts", {}, token=waiting.id_token)
        return expert.uid in json.dumps(page["results"])

    _until(in_search, what="the expert in search")
    paused = call(
        ep,
        "setExpertStatus",
        {"expertId": expert.uid, "status": "inactive", "reason": "holiday"},
        token=expert.id_token,
    )
    assert paused["status"] == "inactive"
    [logged] = list(
        db.collection(col.EXPERTS).document(expert.uid).collection(col.EXPERT_STATUS_LOG).stream()
    )
    assert check_stored(db, logged.reference.path)["reason"] == "holiday"
    _until(lambda: not in_search(), what="the paused expert to leave search")
    with pytest.raises(CallableError) as closed:
        call(
            ep,
            "createBookingRequest",
            {
                "expertId": expert.uid,
                "sessionType": "mock_interview",
                "date": day.isoformat(),
                "startTime": "10:00",
                "duration": 60,
            },
            token=waiting.id_token,
        )
    assert closed.value.code == "failed-precondition"
    with pytest.raises(CallableError) as suspend:
        call(
            ep,
            "setExpertStatus",
            {"expertId": expert.uid, "status": "suspended", "reason": "x"},
            token=waiting.id_token,
        )
    assert suspend.value.code == "permission-denied"

    # earnings and reviews: empty but well-formed; another user's earnings are refused
    earnings = call(ep, "getExpertEarnings", {}, token=expert.id_token)
    assert earnings["totals"] == [] and earnings["entries"] == [] and earnings["nextCursor"] is None
    with pytest.raises(CallableError) as theirs:
        call(ep, "getExpertEarnings", {"expertId": expert.uid}, token=waiting.id_token)
    assert theirs.value.code == "permission-denied"
    reviews = call(ep, "listExpertReviews", {"expertId": expert.uid}, token=waiting.id_token)
    assert reviews == {"reviews": [], "nextCursor": None}
    with pytest.raises(CallableError) as hide:
        call(
            ep,
            "setReviewHidden",
            {"reviewId": "abcdefghij12", "reason": "x"},
            token=expert.id_token,
        )
    assert hide.value.code == "permission-denied"

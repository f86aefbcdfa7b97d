"""Issue 9 items 2, 3, 4 and 7 as the client sees them, through the Functions emulator: the
policy in force at booking holds after the expert edits it, an expert cannot move a session into
the last 24 hours, holds opened side by side do not stack the first-time discount, and a hold
never outlives the session's start. (The Functions emulator runs on the real clock, so exact
tier boundaries are tested in tests/marketplace/booking with the test clock.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import stripe

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_SECRET_KEY
from tests.support.booking import make_expert
from tests.support.emulators import AuthEmulator, CallableError, call
from tests.support.users import make_user


def _until(check: Callable[[], Any], *, timeout: float = 30.0, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _instant(wire: str) -> datetime:
    return datetime.fromisoformat(wire.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture
def stripe_url(emulators: Any) -> str:
    url = str(emulators.endpoints.stripe)
    requests.post(f"{url}/_double/reset", json={}, timeout=30).raise_for_status()
    return url


class _Double:
    """Just what make_expert needs of the Stripe double: onboarding an account."""

    def __init__(self, base: str) -> None:
        self.base = base

    def onboard_account(self, account_id: str) -> Any:
        r = requests.post(f"{self.base}/_double/accounts/{account_id}/onboard", json={}, timeout=30)
        r.raise_for_status()
        return r.json() if r.content else None


def _expert(db: Any, stripe_url: str, expert_id: str, **kwargs: Any) -> None:
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=stripe_url, max_network_retries=0)
    make_expert(db, _Double(stripe_url), gateway, expert_id=expert_id, **kwargs)  # type: ignore[arg-type]


def _slots(ep: Any, token: str, expert_id: str, days: int = 7) -> list[dict[str, Any]]:
    return list(
        call(
            ep,
            "getAvailableSlots",
            {"expertId": expert_id, "daysAhead": days, "sessionType": "mock_interview",
             "duration": 60},
            token=token,
        )["slots"]
    )  # fmt: skip


def _book(ep: Any, token: str, expert_id: str, slot: dict[str, Any]) -> dict[str, Any]:
    return dict(
        call(
            ep,
            "createBookingRequest",
            {"expertId": expert_id, "sessionType": "mock_interview", "duration": 60,
             "slotId": slot["slotId"]},
            token=token,
        )
    )  # fmt: skip


def _pay_and_wait(db: Any, stripe_url: str, booked: dict[str, Any]) -> None:
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stripe_url})
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    ref = db.collection(col.EXPERT_SESSIONS).document(booked["sessionId"])
    _until(lambda: ref.get().get("status") == "confirmed", what="the payment to confirm")


def test_the_booked_policy_binds_and_an_expert_cannot_move_into_24_hours(
    emulators: Any, db: Any, stripe_url: str
) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert = make_user(auth, "policy-expert@example.com")
    candidate = make_user(auth, "policy-cand@example.com")
    _expert(
        db,
        stripe_url,
        expert.uid,
        cancellation_policy={"allowCancellation": False, "minimumNotice": 24,
                             "refundPolicy": "none"},
    )  # fmt: skip
    now = datetime.now(UTC)
    slots = _slots(ep, candidate.id_token, expert.uid)
    later = [s for s in slots if _instant(s["startUtc"]) > now + timedelta(days=3)]
    booked = _book(ep, candidate.id_token, expert.uid, later[0])
    _pay_and_wait(db, stripe_url, booked)
    session_id = booked["sessionId"]

    # the expert relaxes the policy afterwards: the booking keeps the terms it was made under
    current = db.collection(col.EXPERTS).document(expert.uid).get().get("availability")
    current["cancellationPolicy"] = {"allowCancellation": True, "minimumNotice": 0,
                                     "refundPolicy": "full"}  # fmt: skip
    call(ep, "updateExpertProfile", {"availability": current}, token=expert.id_token)
    with pytest.raises(CallableError) as refused:
        call(
            ep,
            "cancelSession",
            {"sessionId": session_id, "cancelledBy": "user", "reason": "changed my mind"},
            token=candidate.id_token,
        )
    assert refused.value.code == "failed-precondition"
    assert refused.value.details["reason"] == "cancellation_not_allowed"
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    assert ref.get().get("status") == "confirmed"

    # an expert cannot move it into the next 24 hours
    soon = [
        s
        for s in _slots(ep, expert.id_token, expert.uid, days=2)
        if now + timedelta(hours=1) < _instant(s["startUtc"]) < now + timedelta(hours=23)
    ]
    with pytest.raises(CallableError) as too_soon:
        call(
            ep,
            "rescheduleSession",
            {"sessionId": session_id, "startUtc": soon[0]["startUtc"]},
            token=expert.id_token,
        )
    assert too_soon.value.code == "failed-precondition"
    assert too_soon.value.details["reason"] == "new_time_too_soon"
    assert ref.get().get("scheduledDate") == _instant(later[0]["startUtc"])

    # a move 24 h or more ahead is fine, and frees the candidate to leave with everything
    target = later[4]
    moved = call(
        ep,
        "rescheduleSession",
        {"sessionId": session_id, "startUtc": target["startUtc"]},
        token=expert.id_token,
    )
    assert moved["rescheduledBy"] == "expert"
    out = call(
        ep,
        "cancelSession",
        {"sessionId": session_id, "cancelledBy": "user", "reason": "the new time does not suit"},
        token=candidate.id_token,
    )
    assert (out["refundPercentage"], out["refundAmount"]) == (100, 12000)
    assert ref.get().get("paymentStatus") == "refunded"


def test_holds_side_by_side_take_the_first_time_discount_once(
    emulators: Any, db: Any, stripe_url: str
) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert = make_user(auth, "discount-expert@example.com")
    candidate = make_user(auth, "discount-cand@example.com")
    _expert(db, stripe_url, expert.uid, first_time_discount={"percentage": 25, "maxSessions": 1})
    now = datetime.now(UTC)
    slots = [
        s
        for s in _slots(ep, candidate.id_token, expert.uid)
        if _instant(s["startUtc"]) > now + timedelta(days=1)
    ]
    picked = [slots[0], slots[3], slots[6]]  # 90 minutes apart: no overlap with the buffer
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(picked))

    def book(slot: dict[str, Any]) -> None:
        barrier.wait()
        try:
            answers.append(_book(ep, candidate.id_token, expert.uid, slot))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=book, args=(s,)) for s in picked]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(a["amount"] for a in answers) == [9000, 12000, 12000]
    assert sorted(a["priceBreakdown"]["discountKind"] for a in answers) == [
        "first_time",
        "none",
        "none",
    ]


def test_a_hold_never_outlives_the_sessions_start(emulators: Any, db: Any, stripe_url: str) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert = make_user(auth, "soon-expert@example.com")
    candidate = make_user(auth, "soon-cand@example.com")
    _expert(db, stripe_url, expert.uid)
    # the expert works around the clock, so a slot starts within 30 minutes at any hour
    db.collection(col.EXPERTS).document(expert.uid).update(
        {
            "availability.timeSlots": [
                {"dayOfWeek": d, "startTime": "00:00", "endTime": "23:59",
                 "sessionTypes": ["mock_interview"]}
                for d in range(7)
            ]
        }
    )  # fmt: skip
    now = datetime.now(UTC)
    first = next(
        s
        for s in _slots(ep, candidate.id_token, expert.uid, days=2)
        if _instant(s["startUtc"]) > now + timedelta(seconds=30)
    )
    start = _instant(first["startUtc"])
    booked = _book(ep, candidate.id_token, expert.uid, first)
    stored = db.collection(col.EXPERT_SESSIONS).document(booked["sessionId"]).get()
    created = stored.get("createdAt")
    assert stored.get("holdExpiresAt") == min(created + timedelta(minutes=30), start)
    # the wire carries milliseconds
    assert abs(_instant(booked["holdExpiresAt"]) - stored.get("holdExpiresAt")) < timedelta(
        milliseconds=1
    )
    if start - created < timedelta(minutes=30):  # nearly always: then the start is the bound
        assert stored.get("holdExpiresAt") == start

"""The booking journey through the Functions emulator, as the web client and Stripe drive it:
search, slots, book (callable), pay (Stripe.js-like confirm against the Stripe double, which
delivers the signed webhook to the `stripeWebhook` function), confirmed, complete, feedback.
Plus the webhook's 400 on a forged signature, and the callables' error codes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import stripe
from google.cloud import firestore

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_CONNECT_WEBHOOK_SECRET, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET
from tests.support.booking import make_expert
from tests.support.emulators import AuthEmulator, CallableError, call
from tests.support.users import make_user


class DoubleControl:
    """The stack's Stripe double, over its HTTP test-control API."""

    def __init__(self, base: str) -> None:
        self.base = base

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        r = requests.post(f"{self.base}/_double/{path}", json=body or {}, timeout=30)
        r.raise_for_status()
        return r.json() if r.content else None

    def reset(self) -> None:
        self._post("reset")

    def onboard_account(self, account_id: str) -> Any:
        return self._post(f"accounts/{account_id}/onboard")

    def wait_for_deliveries(self, timeout: float = 10.0) -> Any:
        return self._post("deliveries/wait", {"timeout": timeout})

    def fail_next(
        self, path_prefix: str, status: int, *, times: int = 1, method: str | None = None
    ) -> Any:
        body = {"path_prefix": path_prefix, "status": status, "times": times, "method": method}
        return self._post("fail_next", body)

    def deliveries(self) -> list[dict[str, Any]]:
        r = requests.get(f"{self.base}/_double/deliveries", timeout=10)
        r.raise_for_status()
        body = r.json()
        return list(body.get("data", body) if isinstance(body, dict) else body)


def _until(check: Callable[[], Any], *, timeout: float = 30.0, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def double(emulators: Any) -> DoubleControl:
    control = DoubleControl(emulators.endpoints.stripe)
    control.reset()
    return control


def test_search_book_pay_confirm_complete_feedback(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "ada@example.com")
    candidate = make_user(auth, "cand@example.com")
    stranger = make_user(auth, "other@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]

    # search: the expert shows up once the search-fields trigger has run
    def found() -> Any:
        page = call(ep, "searchExperts", {}, token=candidate.id_token)
        return expert_user.uid in json.dumps(page["results"])

    _until(found, what="the expert in search results")

    slots = call(
        ep,
        "getAvailableSlots",
        {
            "expertId": expert_user.uid,
            "daysAhead": 3,
            "sessionType": "mock_interview",
            "duration": 60,
        },
        token=candidate.id_token,
    )["slots"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    slot = next(s for s in slots if s["expertDate"] >= tomorrow)

    booked = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert_user.uid,
            "sessionType": "mock_interview",
            "date": slot["expertDate"],
            "startTime": slot["expertStartTime"],
            "duration": 60,
            "specialRequests": "Focus on system design",
        },
        token=candidate.id_token,
    )
    session_id = booked["sessionId"]
    assert booked["clientSecret"].startswith(booked["paymentIntentId"])
    assert booked["amount"] == 12000 and booked["currency"] == "USD"
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    assert ref.get().get("status") == "pending"

    # the same time again: typed error, nothing written
    with pytest.raises(CallableError) as taken:
        call(
            ep,
            "createBookingRequest",
            {
                "expertId": expert_user.uid,
                "sessionType": "mock_interview",
                "date": slot["expertDate"],
                "startTime": slot["expertStartTime"],
                "duration": 60,
            },
            token=stranger.id_token,
        )
    assert taken.value.code == "failed-precondition"

    # bad input, bare or wrapped: invalid-argument with the spec's field paths, nothing written
    bad = {"expertId": expert_user.uid, "sessionType": "group_therapy", "date": "2026-02-30",
           "startTime": "9am", "duration": 60}  # fmt: skip
    for body, prefix in ((bad, ""), ({"request": bad}, "request.")):
        with pytest.raises(CallableError) as invalid:
            call(ep, "createBookingRequest", body, token=stranger.id_token)
        assert invalid.value.code == "invalid-argument"
        paths = {f["path"] for f in invalid.value.details["fields"]}
        assert paths == {f"{prefix}sessionType", f"{prefix}date", f"{prefix}startTime"}
    assert len(list(db.collection(col.EXPERT_SESSIONS).stream())) == 1

    # the browser confirms the PaymentIntent; the double posts the signed webhook
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    snap = _until(
        lambda: (s := ref.get()).get("status") == "confirmed" and s,
        what="the webhook to confirm the session",
    )
    session = snap.to_dict()
    assert session["paymentStatus"] == "paid"
    assert session["meetingLink"].startswith("https://meet.jit.si/Salamin-")
    ledger = [s.to_dict() for s in db.collection(col.EXPERT_TRANSACTIONS).stream()]
    assert [(x["grossAmount"], x["platformFee"], x["netAmount"]) for x in ledger] == [
        (12000, 2400, 9600)
    ]
    assert db.collection(col.MAIL).document(f"{session_id}-confirmed-user").get().exists
    events = db.collection(col.STRIPE_EVENTS).where(
        filter=firestore.FieldFilter("sessionId", "==", session_id)
    )
    _until(
        lambda: [e.get("status") for e in events.get()] == ["done"],
        what="the event record to be marked done after its after-effects",
    )

    # confirmPayment (the spec's client call) agrees and changes nothing
    again = call(
        ep,
        "confirmPayment",
        {"sessionId": session_id, "paymentIntentId": booked["paymentIntentId"]},
        token=candidate.id_token,
    )
    assert again["status"] == "confirmed" and again["result"] == "already"

    # a forged webhook is refused with 400 and writes nothing
    before = len(list(db.collection(col.STRIPE_EVENTS).stream()))
    forged = json.dumps(
        {
            "id": "evt_forged",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_x", "metadata": {}}},
        }
    )
    r = requests.post(
        ep.function_url("stripeWebhook"),
        data=forged,
        headers={
            "Stripe-Signature": f"t={int(time.time())},v1=deadbeef",
            "Content-Type": "application/json",
        },
        timeout=30,
    )
    assert r.status_code == 400
    assert len(list(db.collection(col.STRIPE_EVENTS).stream())) == before

    # only the session's own parties act on it
    with pytest.raises(CallableError) as denied:
        call(
            ep,
            "cancelSession",
            {"sessionId": session_id, "cancelledBy": "user", "reason": "x"},
            token=stranger.id_token,
        )
    assert denied.value.code == "permission-denied"

    # The Functions emulator runs on the real clock: let the session "take place" by moving it
    # into the past, as if the day had come.
    start = datetime.now(UTC) - timedelta(hours=2)
    ref.update({"scheduledDate": start, "endDate": start + timedelta(hours=1)})
    done = call(
        ep,
        "markSessionCompleted",
        {"sessionId": session_id, "sessionNotes": "Good"},
        token=expert_user.id_token,
    )
    assert done["status"] == "completed"

    rated = call(
        ep,
        "submitSessionFeedback",
        {
            "sessionId": session_id,
            "userFeedback": {
                "rating": 5,
                "feedback": "Great",
                "categories": {
                    "preparation": 5,
                    "communication": 5,
                    "expertise": 5,
                    "helpfulness": 4,
                },
                "wouldRecommend": True,
            },
        },
        token=candidate.id_token,
    )
    assert rated["feedback"]["userFeedback"]["rating"] == 5
    call(
        ep,
        "submitSessionFeedback",
        {
            "sessionId": session_id,
            "expertFeedback": {
                "strengths": ["structure"],
                "overallAssessment": "Ready soon",
                "readinessLevel": "almost_ready",
            },
        },
        token=expert_user.id_token,
    )
    expert_ref = db.collection(col.EXPERTS).document(expert_user.uid)
    perf = expert_ref.get().get("performance")
    assert (perf["totalRatings"], perf["averageRating"], perf["completedSessions"]) == (1, 5.0, 1)
    stats = expert_ref.collection(col.EXPERT_PRIVATE).document(col.EXPERT_PRIVATE_STATS).get()
    assert stats.get("totalEarnings") == 9600


def test_payout_onboarding_callables(emulators: Any, db: Any, double: DoubleControl) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "grace@example.com")
    candidate = make_user(auth, "cand2@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid, onboard=False)  # type: ignore[arg-type]
    with pytest.raises(CallableError) as not_expert:
        call(ep, "createPayoutAccount", {}, token=candidate.id_token)
    assert not_expert.value.code == "permission-denied"

    link = call(
        ep,
        "createPayoutOnboardingLink",
        {
            "returnUrl": "http://localhost:3000/payouts/done",
            "refreshUrl": "http://localhost:3000/payouts/retry",
        },
        token=expert_user.id_token,
    )
    expert_ref = db.collection(col.EXPERTS).document(expert_user.uid)
    assert expert_ref.get().get("payoutsEnabled") is False
    # the expert completes Stripe's hosted onboarding; account.updated reaches the webhook
    requests.get(link["url"], timeout=30, allow_redirects=False)
    _until(
        lambda: expert_ref.get().get("payoutsEnabled") is True,
        what="account.updated to mark the expert ready for payouts",
    )
    status = call(ep, "createPayoutAccount", {}, token=expert_user.id_token)
    assert status["payoutsEnabled"] is True and status["stripeAccountId"].startswith("acct_")
    # it came from the Connect endpoint, signed with the Connect secret, which the function knows
    (delivery,) = [d for d in double.deliveries() if d["type"] == "account.updated"]
    assert delivery["status"] == 200
    stamp = delivery["signature"].split(",")[0].removeprefix("t=")
    event = requests.get(f"{ep.stripe}/_double/events/{delivery['event_id']}", timeout=10).json()
    payload = json.dumps(event, indent=2)
    for secret, verifies in ((STRIPE_CONNECT_WEBHOOK_SECRET, True), (STRIPE_WEBHOOK_SECRET, False)):
        expected = stripe.WebhookSignature._compute_signature(f"{stamp}.{payload}", secret)
        assert (f"v1={expected}" in delivery["signature"]) is verifies


def test_a_stripe_error_answers_our_message_never_stripes(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "mae@example.com")
    candidate = make_user(auth, "cand4@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    request = {
        "request": {
            "expertId": expert_user.uid,
            "sessionType": "mock_interview",
            "date": day,
            "startTime": "10:00",
            "duration": 60,
        }
    }
    answers = []
    # the function's client retries a 5xx twice (so every attempt fails), never a 400
    for status, times, code in ((400, 1, "failed-precondition"), (500, 3, "unavailable")):
        double.fail_next("/v1/payment_intents", status, times=times, method="POST")
        with pytest.raises(CallableError) as refused:
            call(ep, "createBookingRequest", request, token=candidate.id_token)
        assert refused.value.code == code
        answers.append(refused.value)
    assert answers[0].message == "the payment provider refused this request"
    assert answers[1].message == "the payment provider failed; try again"
    for answer in answers:  # the double's own wording ("Injected 400 error.", ...) stays out
        shown = answer.message + json.dumps(answer.details)
        assert "njected" not in shown and "unknown error" not in shown
    # nothing was held: the time is still free and bookable
    booked = call(ep, "createBookingRequest", request, token=candidate.id_token)
    assert booked["paymentIntentId"].startswith("pi_")


def test_hold_expiry_runs_through_the_tasks_emulator(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    """A real task on the `expireHold` queue releases a due hold (the emulator dispatches at
    once, so the hold is made due first by moving its expiry into the past)."""
    from salamin.core import firebase
    from salamin.gateways.tasks import FirebaseTasks
    from salamin.marketplace.booking import holds

    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "lin@example.com")
    candidate = make_user(auth, "cand3@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    booked = call(
        ep,
        "createBookingRequest",
        {
            "request": {
                "expertId": expert_user.uid,
                "sessionType": "mock_interview",
                "date": day,
                "startTime": "10:00",
                "duration": 60,
            }
        },
        token=candidate.id_token,
    )
    session_id = booked["sessionId"]
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    past = datetime.now(UTC) - timedelta(minutes=1)
    ref.update({"holdExpiresAt": past})
    FirebaseTasks(firebase.app()).enqueue(
        queue=holds.EXPIRY_QUEUE,
        task_id=f"{session_id}-hold-retry",
        payload={"sessionId": session_id},
        schedule_time=past,
    )
    snap = _until(
        lambda: (s := ref.get()).get("status") == "cancelled" and s,
        what="the expireHold task to release the hold",
    )
    assert snap.get("expiredBy") == "task" and snap.get("cancellationReason") == "hold_expired"
    calendar = db.collection(col.EXPERT_CALENDARS).document(expert_user.uid)
    assert list(calendar.collection("locks").stream()) == []
    # the intent is cancelled right after the release commits
    url = f"{ep.stripe}/_double/objects/{booked['paymentIntentId']}"
    _until(
        lambda: requests.get(url, timeout=10).json()["status"] == "canceled",
        what="the expired hold's PaymentIntent to be cancelled",
    )

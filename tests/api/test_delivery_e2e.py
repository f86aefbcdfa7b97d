"""Delivery and payout through the Functions and Tasks emulators: a paid session is closed by a
real `closeSession` task once its dispute window has passed, and the expert gets exactly one
Transfer on the stack's Stripe double; `markSessionCompleted` before the end and
`resolveDispute` by a non-admin are refused with their typed errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import stripe

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_SECRET_KEY
from tests.api.test_booking_e2e import DoubleControl, _until
from tests.support.booking import make_expert
from tests.support.emulators import AuthEmulator, CallableError, call
from tests.support.users import make_user

S = timedelta(seconds=1)


@pytest.fixture
def double(emulators: Any) -> DoubleControl:
    control = DoubleControl(emulators.endpoints.stripe)
    control.reset()
    return control


def _transfers(stripe_url: str) -> list[dict[str, Any]]:
    r = requests.get(f"{stripe_url}/_double/objects", params={"prefix": "tr_"}, timeout=10)
    r.raise_for_status()
    body = r.json()
    return list(body.get("data", body) if isinstance(body, dict) else body)


def test_close_task_pays_the_expert_once_after_the_window(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    from salamin.core import firebase
    from salamin.gateways.tasks import FirebaseTasks
    from salamin.marketplace.booking import delivery

    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "kim@example.com")
    candidate = make_user(auth, "cand5@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    booked = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert_user.uid,
            "sessionType": "mock_interview",
            "date": day,
            "startTime": "10:00",
            "duration": 60,
        },
        token=candidate.id_token,
    )
    session_id = booked["sessionId"]
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    _until(lambda: ref.get().get("status") == "confirmed", what="the webhook to confirm")

    with pytest.raises(CallableError) as early:
        call(ep, "markSessionCompleted", {"sessionId": session_id}, token=expert_user.id_token)
    assert early.value.code == "failed-precondition"
    assert early.value.details["reason"] == "session_not_ended"
    with pytest.raises(CallableError) as denied:
        call(
            ep,
            "resolveDispute",
            {"sessionId": session_id, "outcome": "refund_candidate"},
            token=candidate.id_token,
        )
    assert denied.value.code == "permission-denied"
    # the close task enqueued at confirmation ran at once (the emulator ignores schedule
    # times) and found nothing due
    assert _transfers(ep.stripe) == [] and ref.get().to_dict().get("payout") is None

    # The Functions emulator runs on the real clock: let the session and its window pass.
    start = datetime.now(UTC) - delivery.DISPUTE_WINDOW - timedelta(hours=2)
    ref.update({"scheduledDate": start, "endDate": start + timedelta(hours=1)})
    for attempt in ("a", "b"):  # a delivery repeated by Cloud Tasks pays nothing twice
        FirebaseTasks(firebase.app()).enqueue(
            queue=delivery.CLOSE_QUEUE,
            task_id=f"{session_id}-close-e2e-{attempt}",
            payload={"sessionId": session_id},
        )
    snap = _until(
        lambda: (s := ref.get()).to_dict().get("payout", {}).get("status") == "paid_out" and s,
        what="the closeSession task to pay the expert",
    )
    session = snap.to_dict()
    assert (session["status"], session["completedBy"]) == ("completed", "system")
    # the other delivery may still be running: give it time, then still exactly one Transfer
    time.sleep(2.0)
    [transfer] = _transfers(ep.stripe)
    assert transfer["id"] == session["payout"]["transferId"]
    assert (transfer["amount"], transfer["transfer_group"]) == (9600, session_id)
    line = db.collection(col.EXPERT_TRANSACTIONS).document(f"{session_id}_charge").get()
    assert (line.get("status"), line.get("transferId")) == ("paid_out", transfer["id"])


def test_dispute_through_the_callables(emulators: Any, db: Any, double: DoubleControl) -> None:
    """The expert marks the session completed, the candidate reports the expert absent: a
    dispute, no refund; a stranger cannot resolve it, an admin refunds the candidate once."""
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "dee@example.com")
    candidate = make_user(auth, "cand6@example.com")
    admin = make_user(auth, "ops6@example.com", admin=True)
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    booked = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert_user.uid,
            "sessionType": "mock_interview",
            "date": day,
            "startTime": "12:00",
            "duration": 60,
        },
        token=candidate.id_token,
    )
    session_id = booked["sessionId"]
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    _until(lambda: ref.get().get("status") == "confirmed", what="the webhook to confirm")
    start = datetime.now(UTC) - timedelta(hours=3)
    ref.update({"scheduledDate": start, "endDate": start + timedelta(hours=1)})

    call(ep, "markSessionCompleted", {"sessionId": session_id}, token=expert_user.id_token)
    disputed = call(
        ep,
        "reportNoShow",
        {"sessionId": session_id, "absentParty": "expert"},
        token=candidate.id_token,
    )
    assert disputed["status"] == "completed" and disputed["dispute"]["status"] == "open"
    assert disputed["paymentStatus"] == "paid"
    note = db.collection(col.ADMIN_NOTIFICATIONS).document(f"{session_id}-dispute").get()
    assert note.get("type") == "session_dispute" and note.get("status") == "pending"
    for token in (candidate.id_token, expert_user.id_token):
        with pytest.raises(CallableError) as denied:
            call(
                ep,
                "resolveDispute",
                {"sessionId": session_id, "outcome": "pay_expert"},
                token=token,
            )
        assert denied.value.code == "permission-denied"
    resolved = call(
        ep,
        "resolveDispute",
        {"sessionId": session_id, "outcome": "refund_candidate", "note": "no join in logs"},
        token=admin.id_token,
    )
    assert (resolved["status"], resolved["dispute"]["outcome"]) == ("no_show", "refund_candidate")
    assert resolved["refundedAmount"] == 12000
    with pytest.raises(CallableError) as twice:
        call(
            ep,
            "resolveDispute",
            {"sessionId": session_id, "outcome": "pay_expert"},
            token=admin.id_token,
        )
    assert twice.value.code == "failed-precondition"
    assert twice.value.details["reason"] == "no_open_dispute"
    with pytest.raises(CallableError) as bad:
        call(
            ep,
            "resolveDispute",
            {"sessionId": session_id, "outcome": "split_it"},
            token=admin.id_token,
        )
    assert bad.value.code == "invalid-argument"


def test_a_report_during_the_session_is_decided_by_the_close_task(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    """`reportNoShow` during the session refunds nothing; once the end + grace has passed, real
    `closeSession` deliveries (two: Cloud Tasks may repeat one) refund the candidate once."""
    from salamin.core import firebase
    from salamin.gateways.tasks import FirebaseTasks
    from salamin.marketplace.booking import delivery

    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "eve@example.com")
    candidate = make_user(auth, "cand7@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    day = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    booked = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert_user.uid,
            "sessionType": "mock_interview",
            "date": day,
            "startTime": "14:00",
            "duration": 60,
        },
        token=candidate.id_token,
    )
    session_id = booked["sessionId"]
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    ref = db.collection(col.EXPERT_SESSIONS).document(session_id)
    _until(lambda: ref.get().get("status") == "confirmed", what="the webhook to confirm")
    start = datetime.now(UTC) - timedelta(minutes=20)  # the session is under way
    ref.update({"scheduledDate": start, "endDate": start + timedelta(hours=1)})

    reported = call(
        ep,
        "reportNoShow",
        {"sessionId": session_id, "absentParty": "expert"},
        token=candidate.id_token,
    )
    assert (reported["status"], reported["paymentStatus"]) == ("confirmed", "paid")
    assert reported["absenceReport"]["reportedBy"] == candidate.uid
    # the decision task enqueued by the report ran at once (the emulator ignores schedule
    # times) and found it early: still nothing refunded
    time.sleep(2.0)
    assert ref.get().get("paymentStatus") == "paid"

    # let the end + grace pass, then two deliveries of the close task
    start = datetime.now(UTC) - timedelta(hours=1) - delivery.ABSENCE_DECISION_GRACE - S
    ref.update({"scheduledDate": start, "endDate": start + timedelta(hours=1)})
    for attempt in ("a", "b"):
        FirebaseTasks(firebase.app()).enqueue(
            queue=delivery.CLOSE_QUEUE,
            task_id=f"{session_id}-absence-e2e-{attempt}",
            payload={"sessionId": session_id},
        )
    _until(
        lambda: ref.get().get("status") == "no_show",
        what="the closeSession task to decide the report",
    )
    time.sleep(2.0)  # the other delivery may still be running
    session = ref.get().to_dict()
    assert (session["paymentStatus"], session["refundedAmount"]) == ("refunded", 12000)
    refunds = requests.get(
        f"{ep.stripe}/_double/objects", params={"prefix": "re_"}, timeout=10
    ).json()
    refunds = list(refunds.get("data", refunds) if isinstance(refunds, dict) else refunds)
    assert [r["amount"] for r in refunds] == [12000]

"""A package deal through the emulators, as the web client, Stripe and Cloud Tasks drive it:
`purchasePackage` (callable), pay (the Stripe double posts the signed webhook to the
`stripeWebhook` function, which applies it and enqueues `expirePackageCredits` on the Tasks
emulator), book with a credit (`createBookingRequest` with `packagePurchaseId`), cancel it (the
credit comes back), and the expiry task forfeiting what is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import stripe

from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_SECRET_KEY
from tests.api.test_booking_e2e import DoubleControl, _until
from tests.support.booking import make_expert
from tests.support.emulators import AuthEmulator, CallableError, FirestoreRest, call
from tests.support.users import make_user

DEAL = {
    "name": "Two mocks",
    "description": "",
    "sessionCount": 2,
    "totalPrice": 20001,
    "validityDays": 30,
    "discountPercentage": 17,
}


@pytest.fixture
def double(emulators: Any) -> DoubleControl:
    control = DoubleControl(emulators.endpoints.stripe)
    control.reset()
    return control


def test_buy_pay_book_with_a_credit_cancel_and_expire_through_the_emulators(
    emulators: Any, db: Any, double: DoubleControl
) -> None:
    from salamin.core import firebase
    from salamin.gateways.tasks import FirebaseTasks
    from salamin.marketplace.booking import packages

    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    expert_user = make_user(auth, "pia@example.com")
    candidate = make_user(auth, "cand-pkg@example.com")
    stranger = make_user(auth, "stranger-pkg@example.com")
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert_user.uid)  # type: ignore[arg-type]
    db.collection(col.EXPERTS).document(expert_user.uid).update({"pricing.packageDeals": [DEAL]})

    bought = call(
        ep,
        "purchasePackage",
        {"expertId": expert_user.uid, "packageName": DEAL["name"], "duration": 60},
        token=candidate.id_token,
    )
    assert (bought["amount"], bought["sessionType"], bought["duration"]) == (
        20001,
        "mock_interview",
        60,
    )
    purchase_ref = db.collection(col.PACKAGE_PURCHASES).document(bought["purchaseId"])
    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    browser.v1.payment_intents.confirm(
        bought["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    paid = _until(
        lambda: (s := purchase_ref.get()).get("status") == "paid" and s,
        what="the webhook to mark the package paid",
    )
    assert [c["value"] for c in paid.get("credits")] == [10001, 10000]
    # the webhook answered 200 only after enqueueing the expiry task on the Tasks emulator
    double.wait_for_deliveries()
    succeeded = [d for d in double.deliveries() if d["type"] == "payment_intent.succeeded"]
    assert succeeded and succeeded[-1]["status"] == 200

    # book with a credit: confirmed at once, no PaymentIntent
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    request = {
        "expertId": expert_user.uid,
        "sessionType": "mock_interview",
        "date": day,
        "startTime": "10:00",
        "duration": 60,
        "packagePurchaseId": bought["purchaseId"],
    }
    with pytest.raises(CallableError) as not_yours:
        call(ep, "createBookingRequest", request, token=stranger.id_token)
    assert not_yours.value.code == "permission-denied"
    booked = call(ep, "createBookingRequest", request, token=candidate.id_token)
    assert booked["status"] == "confirmed" and "paymentIntentId" not in booked
    assert booked["amount"] == 10001 and booked["priceBreakdown"]["discountKind"] == "package"
    session = db.collection(col.EXPERT_SESSIONS).document(booked["sessionId"]).get()
    assert (session.get("status"), session.get("packagePurchaseId")) == (
        "confirmed",
        bought["purchaseId"],
    )
    # the same time again, with the other credit: the time is taken, the credit stays unused
    with pytest.raises(CallableError) as taken:
        call(ep, "createBookingRequest", request, token=candidate.id_token)
    assert taken.value.code == "failed-precondition"
    assert [c["state"] for c in purchase_ref.get().get("credits")] == ["redeemed", "unused"]

    # cancelled 72 h ahead: the credit is back
    cancelled = call(
        ep,
        "cancelSession",
        {"sessionId": booked["sessionId"], "cancelledBy": "user", "reason": "moved"},
        token=candidate.id_token,
    )
    assert cancelled["creditReturned"] is True and cancelled["refundAmount"] == 10001
    assert [c["state"] for c in purchase_ref.get().get("credits")] == ["unused", "unused"]

    # the expiry task: made due by moving expiresAt into the past (the emulator dispatches
    # at once, and the function reads the real clock), then a real task on the queue
    purchase_ref.update({"expiresAt": datetime.now(UTC) - timedelta(minutes=1)})
    FirebaseTasks(firebase.app()).enqueue(
        queue=packages.EXPIRY_QUEUE,
        task_id=f"{bought['purchaseId']}-credits-expiry-retry",
        payload={"packagePurchaseId": bought["purchaseId"]},
    )
    closed = _until(
        lambda: (s := purchase_ref.get()).get("status") == "closed" and s,
        what="the expirePackageCredits task to forfeit the unused credits",
    )
    assert [c["state"] for c in closed.get("credits")] == ["expired", "expired"]
    expiry = db.collection(col.EXPERT_TRANSACTIONS).document(f"{bought['purchaseId']}_expiry")
    line = expiry.get().to_dict() or {}
    assert (line["grossAmount"], line["platformFee"], line["netAmount"]) == (20001, 4000, 16001)
    ledger = [s.to_dict() or {} for s in db.collection(col.EXPERT_TRANSACTIONS).stream()]
    assert sum(x["grossAmount"] for x in ledger) == 20001  # money in, nothing refunded
    # a stranger cannot read the purchase (rules)
    rest = FirestoreRest(ep)
    path = f"{col.PACKAGE_PURCHASES}/{bought['purchaseId']}"
    assert rest.get(path, stranger.id_token) == 403
    assert rest.get(path, candidate.id_token) == 200

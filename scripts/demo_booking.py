"""Demo a booking against the running suite (`./scripts/dev.sh`), exactly as the web client would:

    functions/venv/bin/python scripts/demo_booking.py

1. sign in as the demo candidate (Auth emulator), 2. `searchExperts`, 3. `getAvailableSlots` for
the top result, 4. `createBookingRequest` for the first slot, 5. confirm the PaymentIntent with a
test card on the Stripe double (what Stripe.js does in the browser), 6. wait for the double's
signed `payment_intent.succeeded` webhook to confirm the session through `stripeWebhook`,
7. print the confirmed session, its meeting link and the ledger entry.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "functions"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import requests  # noqa: E402
import stripe  # noqa: E402

from scripts.seed_demo import PASSWORD  # noqa: E402
from scripts.stack import Endpoints  # noqa: E402


def _step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _call(ep: Endpoints, name: str, data: dict[str, Any], token: str) -> Any:
    r = requests.post(
        ep.function_url(name),
        json={"data": data},
        timeout=60,
        headers={"Authorization": f"Bearer {token}"},
    )
    body = r.json()
    if "error" in body:
        raise SystemExit(f"{name} failed: {json.dumps(body['error'])}")
    return body["result"]


def main() -> int:
    ep = Endpoints()
    os.environ.update(ep.client_env())
    from google.cloud.firestore import FieldFilter

    from salamin.core import collections as col
    from salamin.core import firebase

    _step("sign in as candidate@salamin.test")
    r = requests.post(
        f"http://{ep.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo",
        json={"email": "candidate@salamin.test", "password": PASSWORD, "returnSecureToken": True},
        timeout=10,
    )
    if r.status_code != 200:
        raise SystemExit("demo candidate not found: start the suite with ./scripts/dev.sh first")
    token = r.json()["idToken"]

    _step("searchExperts (mock interviews, sorted by relevance)")
    page = _call(
        ep, "searchExperts", {"filters": {"sessionTypes": ["mock_interview"]}, "pageSize": 5}, token
    )
    for res in page["results"]:
        e = res["expert"]
        print(
            f"  {res['relevanceScore']:5.1f}  {e['personalInfo']['firstName']} "
            f"{e['personalInfo']['lastName']} — {res.get('recommendationReason', '')}"
        )
    expert = page["results"][0]["expert"]

    _step(f"getAvailableSlots for {expert['personalInfo']['firstName']} (next 14 days, 60 min)")
    slots = _call(
        ep,
        "getAvailableSlots",
        {
            "expertId": expert["expertId"],
            "daysAhead": 14,
            "sessionType": "mock_interview",
            "duration": 60,
            "timeZone": "Europe/London",
        },
        token,
    )["slots"]
    slot = slots[0]
    print(
        f"  {len(slots)} slots; first: {slot['date']} {slot['startTime']} London "
        f"({slot['expertDate']} {slot['expertStartTime']} expert time), "
        f"{slot['price'] / 100:.2f} {slot['currency']}"
    )

    _step("createBookingRequest")
    booked = _call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert["expertId"],
            "sessionType": "mock_interview",
            "date": slot["expertDate"],
            "startTime": slot["expertStartTime"],
            "duration": 60,
            "specialRequests": "Focus on distributed systems, please.",
        },
        token,
    )
    print(
        f"  session {booked['sessionId']}: {booked['amount'] / 100:.2f} {booked['currency']}, "
        f"hold until {booked['holdExpiresAt']}"
    )

    _step("pay: confirm the PaymentIntent with a test card (as Stripe.js would)")
    browser = stripe.StripeClient(
        os.environ["STRIPE_SECRET_KEY"], base_addresses={"api": ep.stripe}
    )
    intent = browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], {"payment_method": "pm_card_visa"}
    )
    print(f"  PaymentIntent {intent.id}: {intent.status}")

    _step("wait for the signed webhook to confirm the session")
    db = firebase.db()
    ref = db.collection(col.EXPERT_SESSIONS).document(booked["sessionId"])
    deadline = time.monotonic() + 30
    while (session := ref.get().to_dict() or {}).get("status") != "confirmed":
        if time.monotonic() > deadline:
            raise SystemExit(f"session not confirmed: {session.get('status')}")
        time.sleep(0.3)
    print(f"  status={session['status']} paymentStatus={session['paymentStatus']}")
    print(f"  meeting link: {session['meetingLink']}")
    ledger = [
        d.to_dict() or {}
        for d in db.collection(col.EXPERT_TRANSACTIONS)
        .where(filter=FieldFilter("sessionId", "==", booked["sessionId"]))
        .stream()
    ]
    for entry in ledger:
        print(
            f"  ledger: gross {entry['grossAmount']} = fee {entry['platformFee']} "
            f"+ net {entry['netAmount']} ({entry['currency']}, minor units)"
        )
    mails = [d.id for d in db.collection(col.MAIL).stream() if d.id.startswith(booked["sessionId"])]
    print(f"  emails queued: {', '.join(sorted(mails))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

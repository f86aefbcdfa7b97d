"""Booking test helpers: the `World` a booking test acts in, and bookable experts created
through the payouts code (Connect account, onboarded, synced). The fixtures that build a World
live in tests/marketplace/booking/conftest.py."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.gateways.stripe_gateway import StripeGateway
from salamin.marketplace.booking import booking, payments, payouts, webhooks
from salamin.marketplace.onboarding.applications import (
    private_expert_document,
    public_expert_document,
)
from salamin.models.expert import ExpertProfile
from salamin.models.session import BookingRequest, BookingResult, ExpertSession, PriceQuote
from scripts.doubles.stripe_double import StripeDouble
from scripts.doubles.webhook_sink import WebhookSink
from tests.support.factories import application_data
from tests.support.fakes import RecordingTasks

SECRET_KEY = "sk_test_booking_tests"
WEBHOOK_SECRET = "whsec_booking_tests"
CONNECT_WEBHOOK_SECRET = "whsec_booking_tests_connect"
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Monday 08:00 in London (GMT)
"""Bookings in these tests are on Wednesday 2026-11-04, 48 h and more ahead."""
DAY = "2026-11-04"
EXPERT = "expert-ada"
USER = Caller(uid="user-1", email="candidate1@example.com")
USER2 = Caller(uid="user-2", email="candidate2@example.com")


def sign_webhook(payload: bytes, secret: str, at: int | None = None) -> str:
    """A `Stripe-Signature` header for `payload`, as the endpoint owning `secret` signs it."""
    stamp = at if at is not None else int(time.time())
    sig = stripe.WebhookSignature._compute_signature(f"{stamp}.{payload.decode()}", secret)
    return f"t={stamp},v1={sig}"


@dataclass
class World:
    """Everything a booking test touches, with helpers for the common steps."""

    db: Any
    double: StripeDouble
    sink: WebhookSink
    gateway: StripeGateway
    browser: stripe.StripeClient
    clock: FixedClock
    tasks: RecordingTasks
    outcomes: list[payments.Outcome] = field(default_factory=list)

    def book(
        self,
        caller: Caller = USER,
        *,
        start: str = "10:00",
        date: str = DAY,
        duration: int = 60,
        expert_id: str = EXPERT,
    ) -> BookingResult:
        request = BookingRequest(
            expertId=expert_id,
            sessionType="mock_interview",
            date=date,
            startTime=start,
            duration=duration,
        )
        return booking.create_booking_request(
            self.db,
            caller=caller,
            request=request,
            clock=self.clock,
            payments=self.gateway,
            tasks=self.tasks,
        )

    def pay(self, result: BookingResult, card: str = "pm_card_visa") -> None:
        """Confirm the PaymentIntent as Stripe.js would; declines are swallowed like a UI."""
        with contextlib.suppress(stripe.CardError):
            self.browser.v1.payment_intents.confirm(
                result.paymentIntentId, params={"payment_method": card}
            )

    def deliver(self) -> list[payments.Outcome]:
        """Apply every webhook the double has sent since the last call, in arrival order."""
        assert self.double.wait_for_deliveries(5.0)
        outcomes = []
        for raw, signature in self.sink.take():
            event = self.gateway.parse_webhook(raw, signature)
            outcomes.append(
                webhooks.handle_event(
                    self.db, event=event, clock=self.clock, payments=self.gateway, tasks=self.tasks
                )
            )
        self.outcomes += outcomes
        return outcomes

    def session(self, session_id: str) -> ExpertSession:
        snap = self.db.collection(col.EXPERT_SESSIONS).document(session_id).get()
        assert snap.exists, session_id
        return ExpertSession.model_validate(snap.to_dict())

    def exists(self, path: str) -> bool:
        return bool(self.db.document(path).get().exists)

    def calendar(self, expert_id: str = EXPERT) -> Any:
        return self.db.collection(col.EXPERT_CALENDARS).document(expert_id)

    def expert(self, expert_id: str = EXPERT) -> dict[str, Any]:
        return self.db.collection(col.EXPERTS).document(expert_id).get().to_dict() or {}

    def private(self, doc: str, expert_id: str = EXPERT) -> dict[str, Any]:
        """`experts/{id}/private/{doc}`: `payouts` (Stripe account), `stats` (earnings, counters)."""
        ref = self.db.collection(col.EXPERTS).document(expert_id).collection(col.EXPERT_PRIVATE)
        return ref.document(doc).get().to_dict() or {}

    def mails(self) -> dict[str, dict[str, Any]]:
        return {s.id: s.to_dict() or {} for s in self.db.collection(col.MAIL).stream()}

    def ledger(self, session_id: str | None = None) -> list[dict[str, Any]]:
        lines = [s.to_dict() or {} for s in self.db.collection(col.EXPERT_TRANSACTIONS).stream()]
        return [x for x in lines if session_id in (None, x["sessionId"])]

    def count(self, kind: str, key: str, expert_id: str = EXPERT) -> int:
        snap = self.calendar(expert_id).collection(kind).document(key).get()
        return int((snap.to_dict() or {}).get("count", 0))

    def locks(self, expert_id: str = EXPERT) -> dict[str, dict[str, Any]]:
        return {
            s.id: s.to_dict() or {} for s in self.calendar(expert_id).collection("locks").stream()
        }

    def book_and_pay(self, caller: Caller = USER, **kwargs: Any) -> str:
        result = self.book(caller, **kwargs)
        self.pay(result)
        self.deliver()
        return result.sessionId


def make_expert(
    db: Any,
    double: StripeDouble,
    gateway: StripeGateway,
    *,
    expert_id: str = EXPERT,
    time_zone: str = "Europe/London",
    onboard: bool = True,
    first_time_discount: dict[str, int] | None = None,
    bulk: list[dict[str, int]] | None = None,
    per_day: int = 8,
    per_week: int = 40,
    email: str = "ada@example.com",
    cancellation_policy: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An active expert as activation leaves it, with a Connect account made by payouts.py."""
    data = application_data()
    data["personalInfo"].update(timeZone=time_zone, email=email)
    data["availability"].update(
        timeSlots=[
            {
                "dayOfWeek": d,
                "startTime": "08:00",
                "endTime": "20:00",
                "sessionTypes": ["mock_interview"],
            }
            for d in range(7)
        ],
        workingDays=list(range(7)),
        bufferTime=15,
        maxSessionsPerDay=per_day,
        maxSessionsPerWeek=per_week,
        advanceBookingRequired=0,
    )
    if cancellation_policy is not None:
        data["availability"]["cancellationPolicy"] = cancellation_policy
    pricing = data["pricing"]
    pricing["sessionTypes"]["mock_interview"]["allowedDurations"] = [30, 45, 60, 90]
    if first_time_discount:
        pricing["firstTimeDiscount"] = first_time_discount
    if bulk:
        pricing["bulkDiscounts"] = bulk
    profile = ExpertProfile(
        expertId=expert_id,
        status="active",
        joinedAt=NOW - timedelta(days=100),
        lastActiveAt=NOW,
        **data,
    )
    ref = db.collection(col.EXPERTS).document(expert_id)
    ref.set(public_expert_document(profile))
    ref.collection(col.EXPERT_PRIVATE).document(col.EXPERT_PRIVATE_CONTACT).set(
        private_expert_document(profile)
    )
    db.collection(col.EXPERT_CALENDARS).document(expert_id).set(
        {"expertId": expert_id, "timeZone": time_zone, "lastUpdated": NOW}
    )
    status = payouts.ensure_payout_account(db, gateway, expert_id=expert_id)
    if onboard:
        double.onboard_account(status.stripeAccountId)
        payouts.ensure_payout_account(db, gateway, expert_id=expert_id)
    return ref.get().to_dict() or {}


def session_model(**overrides: Any) -> ExpertSession:
    """A confirmed, paid 60-minute session on DAY at 10:00 London, for pure decision tests."""
    start = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    quote = PriceQuote(
        currency="USD",
        hourlyRate=12000,
        duration=60,
        baseAmount=12000,
        discountKind="none",
        discountPercentage=0,
        discountAmount=0,
        amount=12000,
        platformFee=2400,
        expertNet=9600,
    )
    fields: dict[str, Any] = {
        "sessionId": "s-1",
        "userId": USER.uid,
        "expertId": EXPERT,
        "sessionType": "mock_interview",
        "scheduledDate": start,
        "endDate": start + timedelta(minutes=60),
        "blockedUntil": start + timedelta(minutes=75),
        "duration": 60,
        "timeZone": "Europe/London",
        "localDate": DAY,
        "localWeek": "2026-W45",
        "localStartTime": "10:00",
        "status": "confirmed",
        "price": 12000,
        "currency": "USD",
        "priceBreakdown": quote,
        "paymentStatus": "paid",
        "createdAt": NOW,
    }
    fields.update(overrides)
    return ExpertSession.model_validate(fields)

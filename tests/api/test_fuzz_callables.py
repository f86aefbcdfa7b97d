"""Every callable, fuzzed through the Functions emulator (issue 9 item 8).

For each callable in `salamin.api.contract.CALLABLES` a valid request is built against one
seeded world (an active expert with Stripe payouts, paid sessions in several states, an
application with a document, a learning path, a waitlist entry, a paid package). Hypothesis then
sends at least `MIN_CASES` near-valid requests, each with one hostile change
(`tests.support.fuzz.mutations`), as the Firebase JS SDK sends them. Each answer must be a
success that matches the contract or a typed error (never `internal`, never a 500), and an answer
that is an error must have written no Firestore document and made no Stripe object.

Writes are seen by Firestore listeners on every collection group (commit times against each
request's send/receive window); a write that lands in an error's window is replayed alone once
the system is quiet, and only a replay that writes again fails (a trigger fired by an earlier
success can land in any window). A kindless REST snapshot before and after each callable checks
that the listeners missed nothing.

Run: `functions/venv/bin/pytest tests/api/test_fuzz_callables.py -q --timeout=2400`
(`SALAMIN_FUZZ_CASES=50` for a quicker local pass; CI runs the default, derandomized so every
run sends the same requests; `SALAMIN_FUZZ_RANDOM=1` explores new ones).
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import stripe
from hypothesis import HealthCheck, Phase, given, settings

from salamin.api.contract import CALLABLES
from salamin.core import collections as col
from salamin.gateways.stripe_gateway import StripeGateway
from scripts.stack import STRIPE_SECRET_KEY, Stack
from tests.api.test_booking_e2e import DoubleControl, _until
from tests.support.booking import make_expert
from tests.support.emulators import (
    AuthEmulator,
    CallableError,
    User,
    call,
    check_error,
    check_response,
)
from tests.support.factories import application_data, upload_body
from tests.support.fuzz import (
    TYPED_ERRORS,
    Answer,
    Mutation,
    StripeLog,
    WriteWatch,
    all_documents,
    mutations,
    send,
)
from tests.support.users import make_user

ROOT = Path(__file__).resolve().parents[2]

MIN_CASES = int(os.environ.get("SALAMIN_FUZZ_CASES", "200"))
SURVEY = os.environ.get("SALAMIN_FUZZ_SURVEY") == "1"
"""Count every contract breach instead of failing at the first (to measure before a fix)."""
STRIPE_CALLABLES = frozenset(
    re.findall(
        r"secrets=\[[^\]]*STRIPE_SECRET_KEY[^\]]*\]\)\s*def (\w+)",
        (ROOT / "functions" / "main.py").read_text(),
    )
)
"""Callables given the Stripe key (main.py): their errors must also leave the double untouched."""


@dataclass
class Target:
    """One callable's valid request and who sends it."""

    base: dict[str, Any]
    caller: User
    extra_fields: tuple[str, ...] = ()


@dataclass
class World:
    stack: Stack
    users: dict[str, User]
    targets: dict[str, Target]
    watch: WriteWatch
    stripe_log: StripeLog
    http: requests.Session
    tally: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    breaches: list[str] = field(default_factory=list)
    replays: Counter[str] = field(default_factory=Counter)
    """Errors whose window saw a write (a trigger's, so far), replayed alone to be sure."""


def _booked(ep: Any, db: Any, browser: Any, user: User, expert: str, day: str, at: str) -> str:
    booked = call(
        ep,
        "createBookingRequest",
        {
            "expertId": expert,
            "sessionType": "mock_interview",
            "date": day,
            "startTime": at,
            "duration": 60,
        },
        token=user.id_token,
    )
    browser.v1.payment_intents.confirm(
        booked["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    ref = db.collection(col.EXPERT_SESSIONS).document(booked["sessionId"])
    _until(lambda: ref.get().get("status") == "confirmed", what=f"session at {day} {at} paid")
    return str(booked["sessionId"])


def _move(db: Any, session_id: str, start: datetime, **fields: Any) -> None:
    """Put a paid session at another time (the functions read the clock; the seed cannot)."""
    db.collection(col.EXPERT_SESSIONS).document(session_id).update(
        {
            "scheduledDate": start,
            "endDate": start + timedelta(minutes=60),
            "blockedUntil": start + timedelta(minutes=75),
            **fields,
        }
    )


def _seed(stack: Stack) -> World:
    from salamin.core import firebase

    stack.reset_data()
    ep = stack.endpoints
    double = DoubleControl(ep.stripe)
    double.reset()
    db = firebase.db()
    auth = AuthEmulator(ep)
    u = {
        "expert": make_user(auth, "ada@example.com"),
        "candidate": make_user(auth, "cand@example.com"),
        "applicant": make_user(auth, "appl@example.com"),
        "newcomer": make_user(auth, "new@example.com"),
        "stranger": make_user(auth, "other@example.com"),
        "admin": make_user(auth, "admin@example.com", admin=True),
    }
    expert, cand = u["expert"], u["candidate"]
    gateway = StripeGateway(STRIPE_SECRET_KEY, api_base=ep.stripe, max_network_retries=0)
    make_expert(db, double, gateway, expert_id=expert.uid)  # type: ignore[arg-type]
    deal = {
        "name": "Starter",
        "sessionCount": 3,
        "totalPrice": 30000,
        "validityDays": 90,
        "discountPercentage": 17,
    }
    db.collection(col.EXPERTS).document(expert.uid).update({"pricing.packageDeals": [deal]})

    browser = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": ep.stripe})
    london = datetime.now(UTC).astimezone(ZoneInfo("Europe/London"))
    d3 = (london + timedelta(days=3)).date().isoformat()
    d5 = (london + timedelta(days=5)).date().isoformat()
    s = {
        k: _booked(ep, db, browser, cand, expert.uid, d3, at)
        for k, at in [
            ("confirm", "09:00"),
            ("cancel", "10:30"),
            ("reschedule", "12:00"),
            ("done", "13:30"),
            ("noshow", "15:00"),
            ("feedback", "16:30"),
            ("review", "18:00"),
        ]
    }
    s["dispute"] = _booked(ep, db, browser, cand, expert.uid, d5, "13:00")
    now = datetime.now(UTC)
    _move(db, s["dispute"], now - timedelta(hours=3))
    call(ep, "markSessionCompleted", {"sessionId": s["dispute"]}, token=expert.id_token)
    call(
        ep,
        "reportNoShow",
        {"sessionId": s["dispute"], "absentParty": "expert"},
        token=cand.id_token,
    )
    _move(db, s["done"], now - timedelta(hours=3))
    _move(db, s["noshow"], now - timedelta(minutes=30))
    _move(db, s["feedback"], now - timedelta(hours=5), status="completed", completedAt=now)
    _move(db, s["review"], now - timedelta(hours=7), status="completed", completedAt=now)
    user_feedback = {
        "rating": 5,
        "feedback": "Sharp, kind, useful",
        "categories": {
            "preparation": 5,
            "communication": 4,
            "expertise": 5,
            "helpfulness": 5,
        },
        "wouldRecommend": True,
    }
    call(
        ep,
        "submitSessionFeedback",
        {"sessionId": s["review"], "userFeedback": user_feedback},
        token=cand.id_token,
    )
    window = {
        "daysOfWeek": [1, 2, 3, 4, 5],
        "startTime": "09:00",
        "endTime": "17:00",
        "timeZone": "Europe/London",
    }
    wait = {"expertId": expert.uid, "sessionType": "mock_interview", "duration": 60}
    waiting = call(ep, "joinWaitlist", {**wait, "window": window}, token=cand.id_token)
    bought = call(
        ep,
        "purchasePackage",
        {"expertId": expert.uid, "packageName": "Starter"},
        token=cand.id_token,
    )
    browser.v1.payment_intents.confirm(
        bought["paymentIntentId"], params={"payment_method": "pm_card_visa"}
    )
    purchase = db.collection(col.PACKAGE_PURCHASES).document(bought["purchaseId"])
    _until(lambda: purchase.get().get("status") != "pending", what="the package paid")

    appl = u["applicant"]
    call(
        ep,
        "submitExpertApplication",
        {"applicationData": application_data(personalInfo__email=appl.email)},
        token=appl.id_token,
    )
    uploaded = call(ep, "uploadVerificationDocument", upload_body(appl.uid), token=appl.id_token)
    path_request = {
        "goalType": "job_interview",
        "targetRole": "Staff Engineer",
        "targetCompany": "Analytical Engines",
        "timeframe": 6,
        "currentLevel": "intermediate",
        "focusAreas": ["system design"],
        "constraints": ["evenings only"],
    }
    path = call(ep, "generatePersonalizedPath", {"pathRequest": path_request}, token=cand.id_token)
    activity = path["modules"][0]["learningActivities"][0]["activityId"]
    availability = db.collection(col.EXPERTS).document(expert.uid).get().get("availability")
    double.wait_for_deliveries(10.0)

    t = Target
    targets = {
        "submitExpertApplication": t(
            {"applicationData": application_data(personalInfo__email=u["newcomer"].email)},
            u["newcomer"],
        ),
        "uploadVerificationDocument": t(upload_body(appl.uid), appl),
        "verifyExpertDocument": t(
            {
                "expertId": appl.uid,
                "documentType": "identity",
                "approved": True,
                "notes": "matches the application",
                "fileName": uploaded["document"]["fileName"],
            },
            u["admin"],
        ),
        "listPendingApplications": t({"pageSize": 10}, u["admin"], ("cursor",)),
        "searchExperts": t(
            {
                "searchTerm": "engineer",
                "sortBy": "relevance",
                "pageSize": 5,
                "filters": {
                    "specialties": ["technical"],
                    "industries": ["fintech"],
                    "experience": {"min": 1, "max": 30},
                },
            },
            cand,
            ("cursor",),
        ),
        "getAvailableSlots": t(
            {
                "expertId": expert.uid,
                "daysAhead": 7,
                "sessionType": "mock_interview",
                "duration": 60,
                "timeZone": "Europe/London",
            },
            cand,
        ),
        "createBookingRequest": t(
            {
                "expertId": expert.uid,
                "sessionType": "mock_interview",
                "date": d5,
                "startTime": "10:00",
                "duration": 60,
                "specialRequests": "Focus on system design",
            },
            cand,
            ("slotId", "startUtc", "userId", "preparationMaterials"),
        ),
        "confirmPayment": t(
            {"sessionId": s["confirm"], "paymentIntentId": _pi(db, s["confirm"])}, cand
        ),
        "cancelSession": t(
            {"sessionId": s["cancel"], "cancelledBy": "user", "reason": "changed my mind"}, cand
        ),
        "rescheduleSession": t(
            {"sessionId": s["reschedule"], "date": d5, "startTime": "16:00"},
            cand,
            ("slotId", "startUtc"),
        ),
        "markSessionCompleted": t(
            {"sessionId": s["done"], "sessionNotes": "Covered sharding"}, expert
        ),
        "reportNoShow": t({"sessionId": s["noshow"], "absentParty": "expert"}, cand),
        "resolveDispute": t(
            {"sessionId": s["dispute"], "outcome": "pay_expert", "note": "attended per logs"},
            u["admin"],
        ),
        "submitSessionFeedback": t(
            {"sessionId": s["feedback"], "userFeedback": user_feedback}, cand, ("expertFeedback",)
        ),
        "createPayoutAccount": t({"country": "US"}, expert),
        "createPayoutOnboardingLink": t(
            {
                "returnUrl": "https://app.example.com/payouts/done",
                "refreshUrl": "https://app.example.com/payouts/retry",
                "country": "US",
            },
            expert,
        ),
        "analyzeVideoSession": t(
            {
                "sessionId": "fuzz-analysis-1",
                "videoPath": f"recordings/{cand.uid}/missing.mp4",
                "questions": ["Tell me about a hard bug"],
                "targetRole": "Staff Engineer",
                "force": False,
            },
            cand,
            ("audioPath",),
        ),
        "generatePersonalizedBenchmark": t(
            {"userMetrics": {"overall": {"interviewReadiness": 50}}, "save": False},
            cand,
            ("analysisId", "userId"),
        ),
        "createRecordingUpload": t(
            {
                "fileName": "answer.wav",
                "contentType": "audio/wav",
                "size": 1000,
                "origin": "https://app.example.com",
            },
            cand,
        ),
        "updateExpertProfile": t({"availability": availability}, expert, ("preferences",)),
        "setExpertStatus": t(
            {"expertId": expert.uid, "status": "active", "reason": "back from holiday"}, expert
        ),
        "getExpertEarnings": t(
            {"period": {"from": "2026-01-01", "to": "2027-12-31"}, "pageSize": 10},
            expert,
            ("expertId", "cursor"),
        ),
        "listExpertReviews": t({"expertId": expert.uid, "pageSize": 5}, cand, ("cursor",)),
        "setReviewHidden": t(
            {"reviewId": s["review"], "hidden": True, "reason": "abusive wording"}, u["admin"]
        ),
        "joinWaitlist": t({**wait, "window": window}, cand),
        "leaveWaitlist": t({"waitlistId": waiting["waitlistId"]}, cand),
        "purchasePackage": t({"expertId": expert.uid, "packageName": "Starter"}, cand),
        "refundPackageCredits": t({"purchaseId": bought["purchaseId"]}, cand),
        "generatePersonalizedPath": t(
            {"pathRequest": path_request, "personalization": {"learningStyle": "visual"}}, cand
        ),
        "trackProgress": t(
            {
                "pathId": path["pathId"],
                "activityId": activity,
                "progressData": {
                    "activityId": activity,
                    "timeSpent": 20,
                    "score": 80,
                    "eventId": "fuzz-event-1",
                },
            },
            cand,
        ),
        "adaptPath": t(
            {
                "pathId": path["pathId"],
                "trigger": {"type": "low_performance", "threshold": 50, "metric": "score"},
                "context": {"score": 40},
                "eventId": "fuzz-adapt-1",
            },
            cand,
        ),
        "recommendNextActivity": t({"pathId": path["pathId"]}, cand),
    }
    assert set(targets) == set(CALLABLES), set(CALLABLES) ^ set(targets)
    http = requests.Session()
    watch = WriteWatch(db).start()
    return World(stack, u, targets, watch, StripeLog(ep, http), http)


def _pi(db: Any, session_id: str) -> str:
    return str(db.collection(col.EXPERT_SESSIONS).document(session_id).get().get("paymentIntentId"))


SEEDED_BY_CALLS = (
    "createBookingRequest", "submitSessionFeedback", "joinWaitlist", "purchasePackage",
    "submitExpertApplication", "uploadVerificationDocument", "generatePersonalizedPath",
)  # fmt: skip


def _warm_up(endpoints: Any) -> None:
    """Start every callable's worker process (the emulator runs one per function, and the first
    request imports main.py, about 1.5 s of CPU) while the seed runs, the seed's own first.
    Unauthenticated, so nothing runs past the auth check."""
    order = [*SEEDED_BY_CALLS, *sorted(set(CALLABLES) - set(SEEDED_BY_CALLS))]
    with requests.Session() as http:
        for name in order:
            send(http, endpoints, name, {}, None)


@pytest.fixture(scope="module")
def world(stack: Stack) -> Any:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        warmed = [pool.submit(_warm_up, stack.endpoints)]
        w = _seed(stack)
        print(f"\nfuzz seed: {time.monotonic() - started:.1f} s")
        for f in warmed:
            f.result()
    w.watch.quiesce()
    print(f"fuzz seed and warm-up: {time.monotonic() - started:.1f} s")
    yield w
    w.watch.stop()
    print("\nfuzz answers per callable (cases, seconds, answers):")
    for name, tally in sorted(w.tally.items()):
        print(
            f"  {name}: {sum(tally.values())} {w.seconds.get(name, 0):.1f}s {dict(tally)}"
            f" replayed={w.replays[name]}"
        )
    print(f"fuzz total: {sum(sum(t.values()) for t in w.tally.values())} cases")
    for breach in w.breaches:
        print(f"  BREACH {breach}")


def _token(world: World, target: Target, m: Mutation) -> str | None:
    if m.kind != "auth":
        return target.caller.id_token
    if m.value == "none":
        return None
    if m.value == "forged":
        return target.caller.id_token[:-8] + "AAAAAAAA"
    return world.users["stranger"].id_token


def _check_answer(name: str, answer: Answer, m: Mutation) -> None:
    what = f"{name} {m.describe()}: HTTP {answer.status} {str(answer.body)[:300]}"
    if answer.ok:
        check_response(name, answer.body)
        return
    assert answer.code in TYPED_ERRORS, what
    check_error(name, CallableError(answer.status, answer.body))


def _writes(world: World, answer: Answer, stripe_before: int | None) -> list[str]:
    found = [
        f"{c.kind} {c.path}"
        for c in world.watch.changes_between(answer.sent_at, answer.received_at)
    ]
    if stripe_before is not None:
        made = world.stripe_log.mutations() - stripe_before
        if made:
            found.append(f"{made} Stripe object(s) created or changed")
    return found


def _replay_writes(world: World, name: str, data: Any, token: str | None) -> list[str]:
    """Send the same request again, twice, each once nothing else is moving; what an error
    writes both times is its own doing (not a late trigger or task of an earlier success)."""
    world.replays[name] += 1
    found: list[str] = []
    for _ in range(2):
        world.watch.quiesce()
        before = world.stripe_log.mutations() if name in STRIPE_CALLABLES else None
        answer = send(world.http, world.stack.endpoints, name, data, token)
        time.sleep(0.3)
        found = [] if answer.ok else _writes(world, answer, before)
        if not found:
            return []
    return found


def test_the_audit_sees_what_a_success_writes(world: World) -> None:
    """The write checks below can fail: a success that writes a document and makes a Stripe
    object shows up in its own window."""
    target = world.targets["trackProgress"]
    data = {**target.base, "progressData": {**target.base["progressData"], "eventId": "audit-1"}}
    answer = send(world.http, world.stack.endpoints, "trackProgress", data, target.caller.id_token)
    assert answer.ok, answer.body
    time.sleep(0.3)
    paths = {c.path for c in world.watch.changes_between(answer.sent_at, answer.received_at)}
    assert f"{col.LEARNING_PATHS}/{data['pathId']}" in paths, paths

    link = world.targets["createPayoutOnboardingLink"]
    before = world.stripe_log.mutations()
    answer = send(world.http, world.stack.endpoints, "createPayoutOnboardingLink", link.base,
                  link.caller.id_token)  # fmt: skip
    assert answer.ok, answer.body
    assert world.stripe_log.mutations() > before


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_near_valid_requests_get_typed_answers_and_errors_write_nothing(
    world: World, name: str
) -> None:
    target = world.targets[name]
    ep = world.stack.endpoints
    tally: Counter[str] = world.tally.setdefault(name, Counter())
    suspects: list[tuple[Answer, Mutation, Any, str | None]] = []
    before_docs = all_documents(ep)
    first_change = len(world.watch.changes)
    uses_stripe = name in STRIPE_CALLABLES

    @settings(
        max_examples=MIN_CASES,
        deadline=None,
        derandomize=os.environ.get("SALAMIN_FUZZ_RANDOM") != "1",
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(m=mutations(target.base, extra_fields=target.extra_fields))
    def case(m: Mutation) -> None:
        data = m.apply(target.base)
        token = _token(world, target, m)
        stripe_before = world.stripe_log.mutations() if uses_stripe else None
        answer = send(world.http, ep, name, data, token)
        tally[answer.code] += 1
        if SURVEY:
            try:
                _check_answer(name, answer, m)
            except AssertionError as exc:
                world.breaches.append(f"{name} {m.describe()}: {str(exc)[:400]}")
                return
        else:
            _check_answer(name, answer, m)
        if not answer.ok:
            written = _writes(world, answer, stripe_before)
            if written and _replay_writes(world, name, data, token):
                raise AssertionError(f"{name} {m.describe()} -> {answer.code} wrote {written}")
            if not written:
                suspects.append((answer, m, data, token))

    started = time.monotonic()
    case()
    world.seconds[name] = time.monotonic() - started
    assert sum(tally.values()) >= MIN_CASES, tally

    # Late notifications: writes committed inside an error's window that arrived after it.
    world.watch.quiesce()
    for answer, m, data, token in suspects:
        late = [
            c for c in world.watch.changes_between(answer.sent_at, answer.received_at) if c.path
        ]
        if late and _replay_writes(world, name, data, token):
            raise AssertionError(f"{name} {m.describe()} -> {answer.code} wrote {late}")

    # The listeners saw every change the emulator holds (a path they missed fails here).
    after_docs = all_documents(ep)
    changed = {p for p, t in after_docs.items() if before_docs.get(p) != t}
    changed |= set(before_docs) - set(after_docs)
    seen = {c.path for c in world.watch.changes[first_change:]}
    assert changed <= seen, sorted(changed - seen)[:10]

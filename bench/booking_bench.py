"""Booking latency and throughput under contention (createBookingRequest + payment webhook).

    functions/venv/bin/python bench/booking_bench.py [--latency N] [--threads T] [--experts E]

Starts a private Cloud Firestore emulator (the preinstalled jar, on a free port; or uses
FIRESTORE_EMULATOR_HOST if set) and an in-process Stripe double, then drives the real domain
code (`booking.create_booking_request`, the real StripeGateway over HTTP, webhook events
verified and applied by `webhooks.handle_event`). No Functions emulator: these are the costs of
the booking logic and its Firestore/Stripe round trips, not of the HTTP layer.

Scenarios:
* latency: N bookings one after another (distinct times, one expert): create latency
  (checks + one atomic commit + PaymentIntent), and confirm latency (webhook -> confirmed);
* one expert, distinct times: T users at once, each a different non-overlapping time, all on
  one day (they share the day/week cap documents) and spread over two weeks;
* one expert, overlapping times: T users at once on pairwise-overlapping times: exactly one
  may win;
* many experts: T users at once, each booking a different expert.

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from scripts.doubles.webhook_sink import WebhookSink  # noqa: E402
from scripts.stack import reset_firestore, start_firestore_only, stop_firestore_only  # noqa: E402

PROJECT = "demo-salamin-bench"
SECRET_KEY = "sk_test_bench"
WEBHOOK_SECRET = "whsec_bench"
NOW = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # a Monday; bookings from Tuesday on
SLOT_STARTS = ["08:00", "09:30", "11:00", "12:30", "14:00", "15:30", "17:00", "18:30"]


# --- infrastructure --------------------------------------------------------------------------------


# --- data ----------------------------------------------------------------------------------------


def expert_body(expert_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    from salamin.marketplace.onboarding.applications import (
        private_expert_document,
        public_expert_document,
    )
    from salamin.models.expert import ExpertProfile

    profile = ExpertProfile.model_validate(
        {
            "expertId": expert_id,
            "status": "active",
            "joinedAt": NOW - timedelta(days=100),
            "lastActiveAt": NOW,
            "personalInfo": {
                "firstName": "Bench",
                "lastName": expert_id,
                "email": f"{expert_id}@example.com",
                "phone": "+1 555 0100",
                "timeZone": "Europe/London",
                "languages": ["en"],
            },
            "professionalInfo": {"currentRole": "Engineer", "yearsOfExperience": 10},
            "interviewSpecialties": [
                {
                    "type": "technical",
                    "experienceLevel": 5,
                    "proficiencyRating": 8,
                    "sessionTypes": ["mock_interview"],
                }
            ],
            "availability": {
                "timeSlots": [
                    {
                        "dayOfWeek": d,
                        "startTime": "08:00",
                        "endTime": "20:00",
                        "sessionTypes": ["mock_interview"],
                    }
                    for d in range(7)
                ],
                "workingDays": list(range(7)),
                "bufferTime": 15,
                "maxSessionsPerDay": 16,
                "maxSessionsPerWeek": 200,
                "advanceBookingRequired": 0,
            },
            "pricing": {
                "sessionTypes": {
                    "mock_interview": {
                        "basePrice": 12000,
                        "currency": "USD",
                        "minimumDuration": 30,
                        "allowedDurations": [60],
                    }
                }
            },
        }
    )
    return public_expert_document(profile), private_expert_document(profile)


class Bench:
    def __init__(self, db: Any, double: Any, sink: WebhookSink, host: str) -> None:
        from salamin.core.clock import FixedClock
        from salamin.gateways.stripe_gateway import StripeGateway
        from tests.support.fakes import RecordingTasks

        self.db, self.double, self.sink, self.host = db, double, sink, host
        self.clock = FixedClock(NOW)
        self.tasks = RecordingTasks()
        self.gateway = StripeGateway(
            SECRET_KEY,
            webhook_secret=WEBHOOK_SECRET,
            api_base=double.url,
            timeout=30,
            max_network_retries=0,
        )
        import stripe

        self.browser = stripe.StripeClient(SECRET_KEY, base_addresses={"api": double.url})

    def fresh(self, experts: int) -> list[str]:
        from salamin.core import collections as col
        from salamin.marketplace.booking import payouts

        reset_firestore(self.host, PROJECT)
        self.double.reset()
        self.double.configure_webhook(self.sink.url, WEBHOOK_SECRET)
        self.sink.take()
        ids = []
        for i in range(experts):
            expert_id = f"exp{i:03d}"
            public, private = expert_body(expert_id)
            ref = self.db.collection(col.EXPERTS).document(expert_id)
            ref.set(public)
            ref.collection(col.EXPERT_PRIVATE).document(col.EXPERT_PRIVATE_CONTACT).set(private)
            status = payouts.ensure_payout_account(self.db, self.gateway, expert_id=expert_id)
            self.double.onboard_account(status.stripeAccountId)
            payouts.ensure_payout_account(self.db, self.gateway, expert_id=expert_id)
            ids.append(expert_id)
        self.double.wait_for_deliveries(10)
        self.sink.take()
        return ids

    def book(self, user: str, expert_id: str, date: str, start: str) -> Any:
        from salamin.core.caller import Caller
        from salamin.marketplace.booking import booking
        from salamin.models.session import BookingRequest

        request = BookingRequest(
            expertId=expert_id,
            sessionType="mock_interview",
            date=date,
            startTime=start,
            duration=60,
        )
        return booking.create_booking_request(
            self.db,
            caller=Caller(uid=user, email=f"{user}@example.com"),
            request=request,
            clock=self.clock,
            payments=self.gateway,
            tasks=self.tasks,
        )

    def confirm(self, result: Any) -> float:
        """Pay as the browser would; time from the webhook's arrival to the confirmed session."""
        from salamin.marketplace.booking import webhooks

        self.browser.v1.payment_intents.confirm(
            result.paymentIntentId, params={"payment_method": "pm_card_visa"}
        )
        self.double.wait_for_deliveries(10)
        elapsed = 0.0
        for raw, sig in self.sink.take():
            t0 = time.perf_counter()
            event = self.gateway.parse_webhook(raw, sig)
            webhooks.handle_event(
                self.db, event=event, clock=self.clock, payments=self.gateway, tasks=self.tasks
            )
            elapsed += time.perf_counter() - t0
        return elapsed

    def race(self, jobs: Sequence[Callable[..., Any]]) -> dict[str, Any]:
        """Run the jobs at once (one thread each); count wins and the kinds of refusals."""
        from salamin.core.errors import SalaminError

        results: list[Any] = [None] * len(jobs)
        latencies: list[float] = [0.0] * len(jobs)
        barrier = threading.Barrier(len(jobs))

        def run(i: int) -> None:
            barrier.wait()
            t0 = time.perf_counter()
            try:
                results[i] = jobs[i]()
            except SalaminError as exc:
                results[i] = exc
            latencies[i] = time.perf_counter() - t0

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        wins = sum(1 for r in results if not isinstance(r, Exception))
        refused = Counter(
            f"{r.code}:{(r.details or {}).get('reason', 'other')}"
            for r in results
            if isinstance(r, SalaminError)
        )
        return {
            "attempts": len(jobs),
            "booked": wins,
            "refused": dict(refused),
            "wall_s": round(wall, 3),
            "booked_per_s": round(wins / wall, 2) if wall else None,
            "attempt_p50_ms": _ms(statistics.median(latencies)),
            "attempt_max_ms": _ms(max(latencies)),
        }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _day(offset: int) -> str:
    return (NOW + timedelta(days=offset)).date().isoformat()


# --- scenarios -----------------------------------------------------------------------------------


def latency(bench: Bench, n: int) -> dict[str, Any]:
    (expert,) = bench.fresh(1)
    create: list[float] = []
    confirm: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        result = bench.book(f"lat{i}", expert, _day(1 + i // 8), SLOT_STARTS[i % 8])
        create.append(time.perf_counter() - t0)
        confirm.append(bench.confirm(result))
    return {
        "bookings": n,
        "create_p50_ms": _ms(statistics.median(create)),
        "create_p95_ms": _ms(_pct(create, 0.95)),
        "create_max_ms": _ms(max(create)),
        "confirm_p50_ms": _ms(statistics.median(confirm)),
        "confirm_p95_ms": _ms(_pct(confirm, 0.95)),
    }


def one_expert_same_day(bench: Bench, threads: int) -> dict[str, Any]:
    (expert,) = bench.fresh(1)
    n = min(threads, len(SLOT_STARTS))
    jobs = [partial(bench.book, f"sd{i}", expert, _day(2), SLOT_STARTS[i]) for i in range(n)]
    return bench.race(jobs)


def one_expert_spread(bench: Bench, threads: int) -> dict[str, Any]:
    (expert,) = bench.fresh(1)
    jobs = [
        partial(bench.book, f"sp{i}", expert, _day(1 + i), SLOT_STARTS[i % 8])
        for i in range(threads)
    ]
    return bench.race(jobs)


def one_expert_overlapping(bench: Bench, threads: int) -> dict[str, Any]:
    (expert,) = bench.fresh(1)
    starts = ["10:00", "10:30", "11:00"]
    jobs = [partial(bench.book, f"ov{i}", expert, _day(2), starts[i % 3]) for i in range(threads)]
    return bench.race(jobs)


def many_experts(bench: Bench, threads: int, experts: int) -> dict[str, Any]:
    ids = bench.fresh(experts)
    jobs = [
        partial(bench.book, f"me{i}", ids[i % experts], _day(2), SLOT_STARTS[(i // experts) % 8])
        for i in range(threads)
    ]
    return bench.race(jobs)


def mixed(bench: Bench, experts: int) -> dict[str, Any]:
    """Per expert: two users on overlapping times, two on their own times (3 can win)."""
    ids = bench.fresh(experts)
    jobs: list[Callable[..., Any]] = []
    for k, expert in enumerate(ids):
        for j, start in enumerate(["10:00", "10:30", "14:00", "17:00"]):
            jobs.append(partial(bench.book, f"mx{k}-{j}", expert, _day(3), start))
    out = bench.race(jobs)
    out["expected_booked"] = 3 * experts
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency", type=int, default=40, help="sequential bookings")
    parser.add_argument("--threads", type=int, default=16, help="concurrent users per race")
    parser.add_argument("--experts", type=int, default=8, help="experts in the multi-expert runs")
    args = parser.parse_args()

    host, proc = start_firestore_only(PROJECT)
    os.environ.update(
        FIRESTORE_EMULATOR_HOST=host, GCLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_PROJECT=PROJECT
    )
    os.environ.pop("CLOUD_TASKS_EMULATOR_HOST", None)
    from salamin.core import firebase
    from scripts.doubles.stripe_double import StripeDouble

    sink = WebhookSink()
    double = StripeDouble(port=0, webhook_url=sink.url, webhook_secret=WEBHOOK_SECRET)
    double.start()
    report: dict[str, Any] = {"bench": "booking", "threads": args.threads}
    quiet = open(os.devnull, "w")  # noqa: SIM115 - the domain's JSON log lines, not ours
    try:
        sys.stdout = quiet
        bench = Bench(firebase.db(), double, sink, host)
        bench.fresh(1)
        bench.book("warmup", "exp000", _day(5), "08:00")  # connections, first emulator ops
        report["latency"] = latency(bench, args.latency)
        report["one_expert_distinct_same_day"] = one_expert_same_day(bench, args.threads)
        report["one_expert_distinct_spread"] = one_expert_spread(bench, args.threads)
        report["one_expert_overlapping"] = one_expert_overlapping(bench, args.threads)
        report["many_experts"] = many_experts(bench, args.threads, args.threads)
        report["mixed"] = mixed(bench, args.experts)
    finally:
        sys.stdout = sys.__stdout__
        quiet.close()
        double.stop()
        sink.stop()
        stop_firestore_only(proc)

    lat = report["latency"]
    print(
        f"latency ({lat['bookings']} sequential bookings): create p50 {lat['create_p50_ms']} ms,"
        f" p95 {lat['create_p95_ms']} ms; confirm (webhook) p50 {lat['confirm_p50_ms']} ms,"
        f" p95 {lat['confirm_p95_ms']} ms"
    )
    print(
        f"{'race':<32} {'attempts':>8} {'booked':>6} {'wall s':>7} {'booked/s':>8} "
        f"{'p50 ms':>7} {'max ms':>7}  refused"
    )
    for key in (
        "one_expert_distinct_same_day",
        "one_expert_distinct_spread",
        "one_expert_overlapping",
        "many_experts",
        "mixed",
    ):
        r = report[key]
        print(
            f"{key:<32} {r['attempts']:>8} {r['booked']:>6} {r['wall_s']:>7} "
            f"{r['booked_per_s']!s:>8} {r['attempt_p50_ms']:>7} {r['attempt_max_ms']:>7}  "
            f"{r['refused']}"
        )
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()

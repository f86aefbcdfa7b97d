"""Expert search at catalog scale: document reads and latency, ours vs the spec's algorithm.

    functions/venv/bin/python bench/search_bench.py [--sizes 100,1000,10000] [--reps 100:10,...]

Starts a private Cloud Firestore emulator (the preinstalled jar, on a free port; or uses
FIRESTORE_EMULATOR_HOST if set), seeds N experts for each size (batched writes, search fields
computed by the same function the trigger uses, so no Functions emulator is involved), then runs
representative filter/sort combinations:

* ours: `salamin.marketplace.search.search_experts`, page size 20, next slots included, exactly
  what the `searchExperts` callable runs. Reads = documents returned by every query and lookup
  (an empty query counts one), split into expert docs, personalisation and slot lookups.
* baseline: a literal port of the spec's `ExpertSearchService.searchExperts` (query on status,
  industries and rating; then per candidate: `matchesFilters`, two personalisation reads plus the
  expert again, `getAvailableSlots` = expert + calendar reads; sort; top 20). One deviation: the
  spec's `array-contains-any` on `{type: s}` objects can never match a stored specialty, so the
  specialty filter runs in memory instead (otherwise every specialty search returns nothing).
  The baseline issues its reads one after another, as the spec's `for ... await` loop does.

Latency is wall time per search against the local emulator (no network, 2 shared cores): compare
the two columns, not absolute values with production. The baseline is slow at 10,000 experts, so
it runs `--baseline-reps` times per combination (1 at 10,000). Prints a table per size, then one
JSON line with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from scripts.stack import reset_firestore, start_firestore_only, stop_firestore_only  # noqa: E402

PROJECT = "demo-salamin-bench"
USER = "bench-user"
PAGE = 20

ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "Europe/Madrid",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
]
FIRST = ["Ana", "José", "Zoë", "Omar", "Li", "Priya", "Lukas", "Chloé", "Kwame", "Sofia", "Mateo"]
LAST = ["García", "Smith", "Chen", "Müller", "Okafor", "Nair", "Rossi", "Dubois", "Kowalski"]
ROLES = [
    "Staff Engineer",
    "Engineering Manager",
    "Product Manager",
    "Data Scientist",
    "Consultant",
    "Principal Designer",
    "Recruiter",
    "Director of Engineering",
]
COMPANIES = [
    "Google",
    "Meta",
    "Amazon",
    "Stripe",
    "Shopify",
    "McKinsey",
    "Bain",
    "Nubank",
    "Spotify",
    "Airbnb",
    "Zalando",
    "Infosys",
    "Atlassian",
    "Revolut",
    "",
]
INDUSTRIES = [
    "fintech",
    "health",
    "retail",
    "consulting",
    "gaming",
    "media",
    "logistics",
    "education",
    "energy",
    "travel",
    "security",
    "ai",
]
COMPANY_TYPES = ["startup", "big-tech", "consulting", "scale-up", "enterprise"]
LANGS = ["es", "de", "fr", "hi", "pt", "zh"]
KINDS = ["behavioral", "technical", "case_study", "system_design", "product", "leadership"]
TYPES = ["mock_interview", "resume_review", "career_coaching", "salary_negotiation"]
BIOS = [
    "Interviewed {n} candidates at {c}; I focus on clear, structured answers.",
    "Former hiring manager. Loves système design and distributed systems.",
    "Career coach helping engineers negotiate offers and grow into leadership.",
    "Ex-{c} bar raiser. Behavioral and technical loops, honest feedback.",
]

COMBOS: list[tuple[str, dict[str, Any]]] = [
    ("relevance, no filter", {"sortBy": "relevance"}),
    (
        "relevance, specialty+industry",
        {
            "sortBy": "relevance",
            "filters": {"specialties": ["technical"], "industries": ["fintech"]},
        },
    ),
    (
        "price, session type+max price",
        {
            "sortBy": "price",
            "filters": {"sessionTypes": ["mock_interview"], "priceRange": {"max": 15000}},
        },
    ),
    (
        "rating, min rating+language",
        {"sortBy": "rating", "filters": {"rating": {"minimum": 4.5}, "languages": ["es"]}},
    ),
    (
        "experience, min years+company type",
        {
            "sortBy": "experience",
            "filters": {"experience": {"min": 10}, "companyTypes": ["big-tech"]},
        },
    ),
    ("relevance, text 'google engineer'", {"sortBy": "relevance", "searchTerm": "google engineer"}),
    (
        "relevance, weekday evenings NY",
        {
            "sortBy": "relevance",
            "filters": {
                "availability": {
                    "timeZone": "America/New_York",
                    "daysOfWeek": [1, 2, 3, 4, 5],
                    "timeSlots": ["evening"],
                }
            },
        },
    ),
]


SPEC_SAME_QUERY = {
    "relevance, text 'google engineer'": "relevance, no filter",
    "relevance, weekday evenings NY": "relevance, no filter",
}
"""The spec filters search text on the client and ignores availability filters: its Firestore
work for these is exactly that of the unfiltered search."""


# --- emulator ----------------------------------------------------------------------------------


# --- data ----------------------------------------------------------------------------------------


def make_expert(i: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    """One valid `experts/{id}` body (as activation writes it), realistic spreads."""
    from salamin.marketplace.onboarding.applications import public_expert_document
    from salamin.models.expert import ExpertProfile

    types = rng.sample(TYPES, rng.randint(1, 3))
    kinds = rng.sample(KINDS, rng.randint(1, 3))
    days = sorted(rng.sample(range(7), rng.randint(2, 6)))
    start_hour = rng.randint(7, 19)
    length = rng.choice([2, 3, 4])
    company = rng.choice(COMPANIES)
    rated = rng.random() > 0.2
    sessions = rng.randint(0, 300) if rated else 0
    profile = ExpertProfile.model_validate(
        {
            "expertId": f"x{i:05d}",
            "status": "active" if rng.random() > 0.05 else "inactive",
            "joinedAt": now - timedelta(days=rng.randint(30, 900)),
            "lastActiveAt": now - timedelta(hours=rng.randint(1, 24 * 90)),
            "personalInfo": {
                "firstName": rng.choice(FIRST),
                "lastName": rng.choice(LAST),
                "email": f"x{i}@example.com",
                "phone": "+1 555 0100",
                "bio": rng.choice(BIOS).format(n=rng.randint(20, 400), c=company or "a startup"),
                "timeZone": rng.choice(ZONES),
                "languages": (["en"] if rng.random() < 0.85 else [])
                + rng.sample(LANGS, rng.randint(0 if rng.random() < 0.6 else 1, 2))
                or ["en"],
            },
            "professionalInfo": {
                "currentRole": rng.choice(ROLES),
                "currentCompany": company,
                "yearsOfExperience": rng.randint(1, 30),
                "previousRoles": [
                    {
                        "title": "Engineer",
                        "company": rng.choice([c for c in COMPANIES if c]),
                        "startDate": "2015-01",
                        "endDate": "2019-06",
                    }
                    for _ in range(rng.randint(0, 2))
                ],
                "industries": rng.sample(INDUSTRIES, rng.randint(1, 3)),
                "companyTypes": rng.sample(COMPANY_TYPES, rng.randint(1, 2)),
            },
            "interviewSpecialties": [
                {
                    "type": k,
                    "experienceLevel": rng.randint(1, 15),
                    "proficiencyRating": rng.randint(5, 10),
                    "sessionTypes": types,
                }
                for k in kinds
            ],
            "availability": {
                "timeSlots": [
                    {
                        "dayOfWeek": d,
                        "startTime": f"{start_hour:02d}:00",
                        "endTime": f"{start_hour + length:02d}:00",
                        "sessionTypes": types,
                    }
                    for d in days
                ],
                "bufferTime": rng.choice([0, 10, 15]),
                "maxSessionsPerDay": rng.randint(2, 6),
                "maxSessionsPerWeek": rng.randint(5, 25),
                "advanceBookingRequired": rng.choice([0, 12, 24]),
                "workingDays": days,
                "vacationMode": rng.random() < 0.05,
                "blackoutDates": [],
            },
            "pricing": {
                "sessionTypes": {
                    t: {
                        "basePrice": rng.randrange(5000, 30001, 500),
                        "currency": "USD",
                        "minimumDuration": 30,
                        "allowedDurations": [30, 60],
                    }
                    for t in types
                }
            },
            "performance": {
                "totalSessions": sessions,
                "completedSessions": sessions,
                "averageRating": round(rng.uniform(3.0, 5.0), 1) if rated else 0.0,
                "totalRatings": rng.randint(1, sessions + 1) if rated else 0,
                "responseTime": round(rng.uniform(0.5, 36), 1),
            },
        }
    )
    # payouts set up, as for every expert these measurements have always assumed bookable
    return {**public_expert_document(profile), "payoutsEnabled": True}


def seed(db: Any, count: int, *, now: datetime) -> float:
    from salamin.core import collections as col
    from salamin.marketplace.discovery import search_index

    rng = random.Random(count)
    started = time.perf_counter()
    writer = db.bulk_writer()
    for i in range(count):
        data = make_expert(i, rng, now)
        data["search"] = search_index.search_fields(data, now=now)
        writer.set(db.collection(col.EXPERTS).document(data["expertId"]), data)
    db.document(col.user_profile_path(USER)).set({"targetCompanies": ["Stripe", "Nubank"]})
    for n in range(3):
        writer.set(
            db.collection(col.EXPERT_SESSIONS).document(f"done-{n}"),
            {"userId": USER, "expertId": f"x{n * 7:05d}", "status": "completed"},
        )
    writer.close()
    return time.perf_counter() - started


# --- ours ----------------------------------------------------------------------------------------


def run_ours(db: Any, request: dict[str, Any], now: datetime) -> tuple[int, int, dict[str, int]]:
    from salamin.core.clock import FixedClock
    from salamin.marketplace.discovery import search
    from salamin.marketplace.discovery.filters import ExpertSearchFilters

    page = search.search_experts(
        db,
        user_id=USER,
        filters=ExpertSearchFilters.model_validate(request.get("filters", {})),
        search_term=request.get("searchTerm"),
        sort_by=request.get("sortBy", "relevance"),
        page_size=PAGE,
        cursor=None,
        clock=FixedClock(now),
    )
    return page.reads.total, len(page.results), page.reads.as_dict()


# --- the spec's algorithm, literally -------------------------------------------------------------


class Counter:
    def __init__(self) -> None:
        self.reads = 0

    def query(self, q: Any) -> list[Any]:
        docs = list(q.stream())
        self.reads += max(1, len(docs))
        return docs

    def get(self, ref: Any) -> Any:
        self.reads += 1
        return ref.get()


def run_spec(db: Any, request: dict[str, Any], now: datetime) -> tuple[int, int, dict[str, int]]:
    """ExpertSearchService.searchExperts + matchesFilters + calculateRelevanceScore +
    getPersonalizationBonus + getRecommendationReason + getAvailableSlots, as written."""
    from google.cloud import firestore

    filters = request.get("filters", {})
    c = Counter()
    q = db.collection("experts").where(filter=firestore.FieldFilter("status", "==", "active"))
    if filters.get("industries"):
        q = q.where(
            filter=firestore.FieldFilter(
                "professionalInfo.industries", "array_contains_any", filters["industries"]
            )
        )
    if (filters.get("rating") or {}).get("minimum"):
        q = q.where(
            filter=firestore.FieldFilter(
                "performance.averageRating", ">=", filters["rating"]["minimum"]
            )
        )
    results = []
    for snap in c.query(q):
        expert = snap.to_dict()
        if filters.get("specialties") and not {
            s["type"] for s in expert["interviewSpecialties"]
        } & set(filters["specialties"]):
            continue  # the spec's object query never matches; filtered here instead
        if not _spec_matches(expert, filters):
            continue
        score = _spec_score(db, c, expert, filters, now)
        slots = _spec_slots(db, c, snap.id, 30, now)
        _ = _spec_reason(expert)
        results.append((score, snap.id, len(slots)))
    results.sort(key=lambda r: -r[0])
    return c.reads, len(results[:PAGE]), {"total": c.reads}


def _spec_matches(expert: dict[str, Any], f: dict[str, Any]) -> bool:
    years = expert["professionalInfo"]["yearsOfExperience"]
    exp = f.get("experience") or {}
    if exp.get("min") and years < exp["min"]:
        return False
    if exp.get("max") and years > exp["max"]:
        return False
    if f.get("priceRange"):
        prices = [p["basePrice"] for p in expert["pricing"]["sessionTypes"].values()]
        if f["priceRange"].get("min") and max(prices) < f["priceRange"]["min"]:
            return False
        if f["priceRange"].get("max") and min(prices) > f["priceRange"]["max"]:
            return False
    if f.get("sessionTypes"):
        offered = {t for s in expert["interviewSpecialties"] for t in s["sessionTypes"]}
        if not offered & set(f["sessionTypes"]):
            return False
    return not (
        f.get("companyTypes")
        and not set(f["companyTypes"]) & set(expert["professionalInfo"]["companyTypes"])
    )


def _spec_score(
    db: Any, c: Counter, expert: dict[str, Any], f: dict[str, Any], now: datetime
) -> float:
    from google.cloud import firestore

    perf = expert["performance"]
    score = perf["averageRating"] * 20
    score += min(expert["professionalInfo"]["yearsOfExperience"] * 2, 20)
    score += min(perf["totalSessions"] * 0.5, 15)
    if f.get("specialties"):
        have = {s["type"] for s in expert["interviewSpecialties"]}
        score += 10 * len([s for s in f["specialties"] if s in have])
    if f.get("industries"):
        score += 8 * len(
            [i for i in f["industries"] if i in expert["professionalInfo"]["industries"]]
        )
    days = (now - expert["lastActiveAt"]).total_seconds() / 86400
    score += 10 if days < 7 else 5 if days < 30 else 0
    score += 10 if perf["responseTime"] < 2 else 5 if perf["responseTime"] < 12 else 0
    # getPersonalizationBonus: a query, then the user's profile and the expert again
    previous = c.query(
        db.collection("expertSessions")
        .where(filter=firestore.FieldFilter("expertId", "==", expert["expertId"]))
        .where(filter=firestore.FieldFilter("userId", "==", USER))
        .where(filter=firestore.FieldFilter("status", "==", "completed"))
    )
    if previous and previous[0].exists:
        score += 15
    else:
        profile = c.get(db.document(f"users/{USER}/profile/data"))
        if profile.exists:
            targets = (profile.to_dict() or {}).get("targetCompanies") or []
            again = c.get(db.collection("experts").document(expert["expertId"]))
            data = again.to_dict() or {}
            companies = [data["professionalInfo"]["currentCompany"]] + [
                r["company"] for r in data["professionalInfo"].get("previousRoles", [])
            ]
            if any(t in companies for t in targets):
                score += 12
    return min(score, 100)


def _spec_reason(expert: dict[str, Any]) -> str:
    perf = expert["performance"]
    reasons = []
    if perf["averageRating"] >= 4.8:
        reasons.append("Highly rated by students")
    if perf["totalSessions"] >= 100:
        reasons.append("Very experienced interviewer")
    if expert["professionalInfo"]["currentCompany"]:
        reasons.append("Current role")
    if perf["responseTime"] < 2:
        reasons.append("Quick to respond")
    return " • ".join(reasons[:2])


def _spec_slots(db: Any, c: Counter, expert_id: str, days_ahead: int, now: datetime) -> list[Any]:
    expert = c.get(db.collection("experts").document(expert_id))
    if not expert.exists:
        return []
    data = expert.to_dict() or {}
    calendar = c.get(db.collection("expertCalendars").document(expert_id))
    booked = (calendar.to_dict() or {}).get("bookedSlots", []) if calendar.exists else []
    slots = []
    for day in range(days_ahead):
        date = now + timedelta(days=day)
        dow = (date.weekday() + 1) % 7
        if dow not in data["availability"]["workingDays"]:
            continue
        for window in data["availability"]["timeSlots"]:
            if window["dayOfWeek"] != dow:
                continue
            start = int(window["startTime"][:2])
            end = int(window["endTime"][:2])
            for hour in range(start, end):
                key = (date.date().isoformat(), f"{hour:02d}:00")
                if key not in booked:
                    slots.append(key)
    return slots


# --- driver --------------------------------------------------------------------------------------


def measure(
    fn: Callable[[Any, dict[str, Any], datetime], tuple[int, int, dict[str, int]]],
    db: Any,
    request: dict[str, Any],
    now: datetime,
    reps: int,
) -> dict[str, Any]:
    times: list[float] = []
    reads: list[int] = []
    found = 0
    detail: dict[str, int] = {}
    for _ in range(reps):
        started = time.perf_counter()
        total, found, detail = fn(db, request, now)
        times.append((time.perf_counter() - started) * 1000)
        reads.append(total)
    times.sort()
    return {
        "reads": int(statistics.median(reads)),
        "results": found,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "reps": reps,
        "detail": detail,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument(
        "--reps", default="100:10,1000:5,10000:2", help="runs per combination (ours), per size"
    )
    parser.add_argument(
        "--baseline-reps",
        default="100:3,1000:1,10000:1",
        help="runs per combination for the baseline, per size",
    )
    parser.add_argument(
        "--baseline-reuse-from",
        type=int,
        default=10000,
        help="from this size on, combinations the spec serves with the very same query as"
        " 'relevance, no filter' reuse its baseline figures instead of re-running them",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    def per_size(text: str) -> dict[int, int]:
        return {int(k): int(v) for k, v in (p.split(":") for p in text.split(","))}

    reps, baseline_reps = per_size(args.reps), per_size(args.baseline_reps)

    host, proc = start_firestore_only(PROJECT)
    os.environ.update(
        FIRESTORE_EMULATOR_HOST=host, GCLOUD_PROJECT=PROJECT, GOOGLE_CLOUD_PROJECT=PROJECT
    )
    from salamin.core import firebase

    db = firebase.db()
    now = datetime.now(UTC).replace(microsecond=0)
    report: dict[str, Any] = {"bench": "expert_search", "page_size": PAGE, "sizes": {}}
    try:
        for size in sizes:
            reset_firestore(host, PROJECT)
            seconds = seed(db, size, now=now)
            print(f"\n== {size} experts (seeded in {seconds:.1f} s) ==")
            print(
                f"{'combination':<38} {'ours reads':>10} {'p50 ms':>8} {'p95 ms':>8} │"
                f" {'spec reads':>10} {'p50 ms':>9} {'p95 ms':>9} {'n':>2}"
            )
            rows: dict[str, dict[str, Any]] = {}
            for name, request in COMBOS:
                if size == sizes[0]:
                    measure(run_ours, db, request, now, 1)  # warm the client and emulator once
                ours = measure(run_ours, db, request, now, reps.get(size, 1))
                same = SPEC_SAME_QUERY.get(name)
                if same and size >= args.baseline_reuse_from and same in rows:
                    spec = {**rows[same]["spec"], "same_as": same}
                else:
                    spec = measure(run_spec, db, request, now, baseline_reps.get(size, 1))
                rows[name] = {"ours": ours, "spec": spec}
                mark = "=" if "same_as" in spec else " "
                print(
                    f"{name:<38} {ours['reads']:>10} {ours['p50_ms']:>8} {ours['p95_ms']:>8} │"
                    f" {spec['reads']:>10} {spec['p50_ms']:>9} {spec['p95_ms']:>9}"
                    f" {spec['reps']:>2}{mark}",
                    flush=True,
                )
            print(
                "ours reads = expert docs (+ count() for multi-word text) + personalisation (2)"
                " + next-slot lookups (1 per result); n = baseline runs; '=' = the spec runs the"
                " very same query and reads as 'relevance, no filter' (it ignores search text and"
                " availability server-side): figures reused"
            )
            report["sizes"][str(size)] = {"seed_s": round(seconds, 1), "combos": rows}
    finally:
        stop_firestore_only(proc)
    print(json.dumps(report, separators=(",", ":")))


if __name__ == "__main__":
    main()

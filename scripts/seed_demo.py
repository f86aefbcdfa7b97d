"""Demo data for the emulator suite, created through the real domain code (not raw writes), so
the demo shows exactly what the functions produce.

    python scripts/seed_demo.py          # against a running suite (scripts/stack.py up)

Seeds: an admin and a candidate (signed in: their ID tokens are printed), five expert
applicants at different stages (no documents yet, documents waiting, one rejected, ...), and
three active experts in different time zones with payout accounts, so they are bookable.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "functions"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import requests  # noqa: E402

from scripts.stack import Endpoints  # noqa: E402

PDF = b"%PDF-1.4\n% demo document\n%%EOF\n"
PASSWORD = "salamin-demo-1"


@dataclass
class DemoUser:
    email: str
    uid: str
    id_token: str


def _auth(ep: Endpoints, email: str, *, admin: bool = False) -> DemoUser:
    from firebase_admin import auth

    from salamin.core import firebase

    base = f"http://{ep.auth}/identitytoolkit.googleapis.com/v1"
    r = requests.post(
        f"{base}/accounts:signUp?key=demo",
        timeout=10,
        json={"email": email, "password": PASSWORD, "returnSecureToken": True},
    )
    r.raise_for_status()
    uid = r.json()["localId"]
    if admin:
        auth.set_custom_user_claims(uid, {"admin": True}, app=firebase.app())
    r = requests.post(
        f"{base}/accounts:signInWithPassword?key=demo",
        timeout=10,
        json={"email": email, "password": PASSWORD, "returnSecureToken": True},
    )
    r.raise_for_status()
    return DemoUser(email=email, uid=uid, id_token=r.json()["idToken"])


def _profile(
    first: str,
    last: str,
    *,
    tz: str,
    role: str,
    company: str,
    years: int,
    specialty: str,
    industries: list[str],
    price: int,
    email: str,
    company_types: list[str],
) -> dict[str, Any]:
    return {
        "personalInfo": {
            "firstName": first,
            "lastName": last,
            "email": email,
            "phone": "+1 555 0100",
            "bio": f"{role} at {company}. I run realistic "
            f"{specialty.replace('_', ' ')} interviews and give direct feedback.",
            "timeZone": tz,
            "languages": ["en"],
        },
        "professionalInfo": {
            "currentRole": role,
            "currentCompany": company,
            "yearsOfExperience": years,
            "industries": industries,
            "companyTypes": company_types,
            "hiringSeniorityLevels": ["mid", "senior"],
            "previousRoles": [],
        },
        "interviewSpecialties": [
            {
                "type": specialty,
                "subSpecialties": [],
                "experienceLevel": years // 2,
                "proficiencyRating": 8,
                "sessionTypes": ["mock_interview", "resume_review"],
            }
        ],
        "availability": {
            "timeSlots": [
                {
                    "dayOfWeek": d,
                    "startTime": "09:00",
                    "endTime": "17:00",
                    "sessionTypes": ["mock_interview", "resume_review"],
                }
                for d in range(1, 6)
            ],
            "bufferTime": 15,
            "maxSessionsPerDay": 5,
            "maxSessionsPerWeek": 20,
            "advanceBookingRequired": 2,
            "workingDays": [1, 2, 3, 4, 5],
            "vacationMode": False,
            "blackoutDates": [],
        },
        "pricing": {
            "sessionTypes": {
                "mock_interview": {
                    "basePrice": price,
                    "currency": "USD",
                    "minimumDuration": 30,
                    "allowedDurations": [30, 45, 60],
                },
                "resume_review": {
                    "basePrice": price // 2,
                    "currency": "USD",
                    "minimumDuration": 30,
                    "allowedDurations": [30],
                },
            },
            "firstTimeDiscount": {"percentage": 10, "maxSessions": 1},
        },
    }


EXPERTS = [
    # (first, last, tz, role, company, years, specialty, industries, price/h in cents, stage)
    (
        "Maya",
        "Chen",
        "America/New_York",
        "Engineering Manager",
        "Stripe",
        14,
        "system_design",
        ["fintech"],
        15000,
        "active",
    ),
    (
        "Jonas",
        "Weber",
        "Europe/Berlin",
        "Senior Product Manager",
        "Zalando",
        9,
        "product",
        ["e-commerce"],
        11000,
        "active",
    ),
    (
        "Priya",
        "Raman",
        "Asia/Kolkata",
        "Principal Engineer",
        "Flipkart",
        16,
        "technical",
        ["e-commerce", "fintech"],
        9000,
        "active",
    ),
    (
        "Lucas",
        "Moreau",
        "Europe/Paris",
        "Consultant",
        "McKinsey",
        6,
        "case_study",
        ["consulting"],
        13000,
        "employment_rejected",
    ),
    (
        "Sara",
        "Okafor",
        "Africa/Lagos",
        "Staff Engineer",
        "Paystack",
        11,
        "technical",
        ["fintech"],
        8000,
        "documents_pending",
    ),
    (
        "Tom",
        "Becker",
        "Europe/London",
        "Head of Talent",
        "Monzo",
        8,
        "behavioral",
        ["fintech"],
        7000,
        "identity_verified",
    ),
    (
        "Ana",
        "Silva",
        "America/Sao_Paulo",
        "Data Science Lead",
        "Nubank",
        7,
        "technical",
        ["fintech"],
        9500,
        "just_applied",
    ),
]


def seed(ep: Endpoints) -> str:
    """Create the demo world; returns the text to print (tokens and example calls)."""
    from salamin.core import firebase
    from salamin.core.caller import Caller
    from salamin.core.clock import SystemClock
    from salamin.marketplace.onboarding import applications
    from salamin.models.expert import ExpertApplicationInput

    db, bucket, clock = firebase.db(), firebase.bucket(), SystemClock()
    admin = _auth(ep, "admin@salamin.test", admin=True)
    candidate = _auth(ep, "candidate@salamin.test")
    db.document(f"users/{candidate.uid}/profile/data").set(
        {
            "displayName": "Demo Candidate",
            "targetCompanies": ["Stripe"],
            "industry": "fintech",
            "yearsOfExperience": 4,
            "targetRoles": ["Software Engineer"],
        }
    )
    admin_caller = Caller(uid=admin.uid, is_admin=True)
    lines = []
    for first, last, tz, role, company, years, specialty, industries, price, stage in EXPERTS:
        email = f"{first.lower()}@experts.salamin.test"
        user = _auth(ep, email)
        me = Caller(uid=user.uid, email=email)
        data = _profile(
            first,
            last,
            tz=tz,
            role=role,
            company=company,
            years=years,
            specialty=specialty,
            industries=industries,
            price=price,
            email=email,
            company_types=["big-tech" if company in {"Stripe", "Zalando"} else "startup"],
        )
        applications.submit_expert_application(
            db, caller=me, application=ExpertApplicationInput.model_validate(data), clock=clock
        )

        def upload(kind: str, me: Caller = me, user: DemoUser = user) -> None:
            applications.upload_verification_document(
                db,
                bucket,
                caller=me,
                expert_id=user.uid,
                document_type=kind,  # type: ignore[arg-type]
                file_name=f"{kind}.pdf",
                content_type="application/pdf",
                data=PDF,
                clock=clock,
            )

        def review(kind: str, ok: bool, user: DemoUser = user, notes: str | None = None) -> None:
            applications.verify_expert_document(
                db,
                caller=admin_caller,
                expert_id=user.uid,
                document_type=kind,  # type: ignore[arg-type]
                approved=ok,
                notes=notes,
                file_name=None,
                clock=clock,
            )

        if stage != "just_applied":
            upload("identity")
            upload("employment")
        if stage in {"active", "identity_verified", "employment_rejected"}:
            review("identity", True)
        if stage == "employment_rejected":
            review(
                "employment", False, notes="The contract page is cut off; please upload all pages."
            )
        if stage == "active":
            review("employment", True)
            _payout(db, user.uid)
        lines.append(f"  {first} {last:<8} {stage:<20} uid={user.uid}")

    population = _demo_benchmark_population(db)
    lines.append(
        f"  benchmark population: {population} DEMO analyses (synthetic, labelled demoData)"
    )
    fn = ep.function_url
    return "\n".join(
        [
            "Demo data seeded:",
            *lines,
            "",
            f"Admin     {admin.email} / {PASSWORD}  uid={admin.uid}",
            f"Candidate {candidate.email} / {PASSWORD}  uid={candidate.uid}",
            "",
            "ID tokens (valid for 1 hour; re-run `python scripts/seed_demo.py --tokens` for new ones):",
            f"  export ADMIN_TOKEN={admin.id_token}",
            f"  export CANDIDATE_TOKEN={candidate.id_token}",
            "",
            'Try it (a callable takes {"data": ...} and answers {"result": ...}):',
            f"  curl -s -X POST {fn('listPendingApplications')} -H 'Content-Type: application/json' \\",
            '       -H "Authorization: Bearer $ADMIN_TOKEN" -d \'{"data": {"pageSize": 5}}\'',
            f"  curl -s -X POST {fn('searchExperts')} -H 'Content-Type: application/json' \\",
            '       -H "Authorization: Bearer $CANDIDATE_TOKEN" -d \'{"data": {"filters": {}}}\'',
            "  python scripts/demo_booking.py   # search, book, pay through the Stripe double, confirm",
            f"  curl -s -X POST {fn('generatePersonalizedBenchmark')} -H 'Content-Type: application/json' \\",
            '       -H "Authorization: Bearer $CANDIDATE_TOKEN" \\',
            '       -d \'{"data": {"userMetrics": {"overall": {"interviewReadiness": 68}}}}\'',
        ]
    )


DEMO_POPULATION = 120
"""Synthetic candidates (60 finance, 60 technology) so the demo shows real percentiles."""


def _demo_benchmark_population(db: Any) -> int:
    """DEMO DATA: synthetic candidates with one complete analysis each. Their profiles carry
    `demoData: true`, so every benchmark built from them says `demo: true`. The deployed
    trigger folds them into the benchmarks within seconds of this write."""
    import random
    from datetime import UTC, datetime, timedelta

    rng = random.Random(2026)
    now = datetime.now(UTC)
    roles = ["Software Engineer", "Backend Engineer", "Data Scientist", "Product Manager"]
    batch = db.batch()
    for i in range(DEMO_POPULATION):
        uid = f"demo-candidate-{i:03d}"
        industry = "fintech" if i % 2 == 0 else "technology"
        years = rng.choice([0.5, 1, 2, 3, 4, 6, 8, 12])
        batch.set(
            db.document(f"users/{uid}/profile/data"),
            {
                "industry": industry,
                "targetRoles": [roles[i % 4]],
                "yearsOfExperience": years,
                "demoData": True,
            },
        )
        readiness = round(min(97.0, max(20.0, rng.gauss(63 + years, 12))), 1)

        def around(base: float, spread: float = 10) -> float:
            return round(min(100.0, max(0.0, rng.gauss(base, spread))), 1)

        metrics = {
            "overall": {"interviewReadiness": readiness, "hireability": around(readiness, 6)},
            "verbal": {
                "score": around(readiness),
                "speakingPace": {
                    "source": "measured",
                    "score": around(readiness),
                    "averageWPM": round(rng.gauss(145, 18), 1),
                },
                "fillerWords": {
                    "source": "measured",
                    "score": around(readiness),
                    "frequency": round(max(0.0, rng.gauss(3, 1.5)), 1),
                },
            },
            "content": {
                "score": around(readiness),
                "storytelling": {"source": "model", "score": around(readiness + 3)},
            },
        }
        batch.set(
            db.collection("advancedAnalyses").document(f"demo-analysis-{i:03d}"),
            {
                "sessionId": f"demo-analysis-{i:03d}",
                "userId": uid,
                "status": "complete",
                "demoData": True,
                "metrics": metrics,
                "createdAt": now - timedelta(minutes=DEMO_POPULATION - i),
                "completedAt": now - timedelta(minutes=DEMO_POPULATION - i),
            },
        )
        if (i + 1) % 100 == 0:
            batch.commit()
            batch = db.batch()
    batch.commit()
    return DEMO_POPULATION


def _payout(db: Any, expert_id: str) -> None:
    """Give an active expert an onboarded Connect account on the Stripe double, so they are
    bookable for pay: create the account, finish onboarding on the double, sync readiness."""
    from salamin.gateways.stripe_gateway import StripeGateway
    from salamin.marketplace.booking.payouts import ensure_payout_account

    api_base = os.environ["STRIPE_API_BASE"]
    gateway = StripeGateway(os.environ["STRIPE_SECRET_KEY"], api_base=api_base)
    status = ensure_payout_account(db, gateway, expert_id=expert_id)
    requests.post(f"{api_base}/_double/accounts/{status.stripeAccountId}/onboard", timeout=10)
    ready = ensure_payout_account(db, gateway, expert_id=expert_id)
    if not ready.payoutsEnabled:
        raise RuntimeError(f"demo expert {expert_id}: payouts not enabled after onboarding")


def tokens(ep: Endpoints) -> str:
    admin = _sign_in(ep, "admin@salamin.test")
    candidate = _sign_in(ep, "candidate@salamin.test")
    return f"export ADMIN_TOKEN={admin}\nexport CANDIDATE_TOKEN={candidate}"


def _sign_in(ep: Endpoints, email: str) -> str:
    r = requests.post(
        f"http://{ep.auth}/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=demo",
        json={"email": email, "password": PASSWORD, "returnSecureToken": True},
        timeout=10,
    )
    r.raise_for_status()
    return str(r.json()["idToken"])


def main() -> int:
    ep = Endpoints()
    os.environ.update(ep.client_env())
    if "--tokens" in sys.argv:
        print(tokens(ep))
        return 0
    print(seed(ep))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Industry benchmarks end to end, through every emulator: 200 analyses complete, the deployed
Firestore trigger folds each into its cohorts, `industryBenchmarks/technology` is published
with numpy's percentiles, and a new candidate's `generatePersonalizedBenchmark` (callable, with
an Auth-emulator ID token) returns the exact mid-rank percentile."""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from salamin.core import collections as col
from tests.benchmarks.support import analysis_doc, metrics_doc, wait_for_trigger
from tests.support.emulators import AuthEmulator, CallableError, FirestoreRest, call, unsigned_token
from tests.support.users import make_user

N = 200
WAIT_S = 300.0


def spec_percentiles(values: list[float]) -> dict[str, float]:
    s = np.sort(np.asarray(values))
    return {
        k: float(s[math.floor(len(s) * q)])
        for k, q in (("p10", 0.1), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p90", 0.9))
    }


@pytest.fixture
def folded(db) -> list[float]:  # type: ignore[no-untyped-def]
    rng = random.Random(200)
    now = datetime.now(UTC)
    scores: list[float] = []
    batch = db.batch()
    for i in range(N):
        uid = f"cand-{i}"
        batch.set(
            db.document(col.user_profile_path(uid)),
            {
                "industry": "Technology",
                "targetRoles": [("SWE", "Backend Engineer", "Software Engineer II")[i % 3]],
                "yearsOfExperience": 1 + i % 9,
            },
        )
        score = float(rng.randint(25, 98))
        scores.append(score)
    batch.commit()
    for start in range(0, N, 100):
        batch = db.batch()
        for i in range(start, start + 100):
            doc = analysis_doc(
                f"cand-{i}",
                metrics_doc(scores[i], wpm=round(rng.uniform(100, 190), 1)),
                at=now + timedelta(milliseconds=i),
            )
            batch.set(db.collection(col.ADVANCED_ANALYSES).document(f"an-{i}"), doc)
        batch.commit()
    wait_for_trigger(db, [f"an-{i}" for i in range(N)], timeout_s=WAIT_S)
    ref = db.collection(col.INDUSTRY_BENCHMARKS).document("technology")
    deadline = time.monotonic() + 30
    while (ref.get().to_dict() or {}).get("sampleSize") != N and time.monotonic() < deadline:
        time.sleep(0.5)
    return scores


def test_200_folded_analyses_publish_numpys_percentiles(emulators, db, folded) -> None:  # type: ignore[no-untyped-def]
    doc = db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()
    assert doc["sampleSize"] == N
    assert doc["distributionData"]["percentiles"] == spec_percentiles(folded)
    assert doc["distributionData"]["standardDeviation"] == round(float(np.std(folded)), 4)
    [role] = doc["roleCategories"]
    assert role["roleCategory"] == "software_engineering" and role["sampleSize"] == N
    assert role["distributionData"]["percentiles"] == spec_percentiles(folded)
    assert {e["level"] for e in doc["experienceLevels"]} == {"entry", "mid", "senior"}
    cohort = db.collection(col.BENCHMARK_COHORTS).document("industry=technology").get().to_dict()
    assert cohort["people"] == N  # every completion counted exactly once

    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    newcomer = make_user(auth, "newcomer@example.com")
    db.document(col.user_profile_path(newcomer.uid)).set(
        {"industry": "tech", "targetRoles": ["Backend Engineer"], "yearsOfExperience": 4}
    )
    probe = folded[17]
    result = call(
        ep,
        "generatePersonalizedBenchmark",
        {"userMetrics": {"overall": {"interviewReadiness": probe}}},
        token=newcomer.id_token,
    )
    below = sum(1 for s in folded if s < probe)
    equal = sum(1 for s in folded if s == probe)
    assert result["comparisons"]["industryPercentile"] == round(100 * (below + 0.5 * equal) / N, 2)
    assert result["cohorts"]["industry"] == {
        "key": "industry=technology",
        "level": "industry",
        "sampleSize": N,
    }
    assert len(result["insights"]) == 5 and len(result["improvementPlan"]["phases"]) == 3

    with pytest.raises(CallableError) as theirs:
        call(ep, "generatePersonalizedBenchmark", {"analysisId": "an-3"}, token=newcomer.id_token)
    assert theirs.value.code == "permission-denied"
    with pytest.raises(CallableError) as anonymous:
        call(
            ep,
            "generatePersonalizedBenchmark",
            {"userMetrics": {"overall": {"interviewReadiness": 50}}},
        )
    assert anonymous.value.code == "unauthenticated"

    rest = FirestoreRest(ep)
    stranger = unsigned_token(newcomer.uid)
    assert rest.get("industryBenchmarks/technology", stranger) == 200
    assert rest.get("benchmarkCohorts/industry=technology", stranger) == 403
    assert rest.get("benchmarkContributions/cand-3", stranger) == 403
    assert rest.get("advancedAnalyses/an-3", stranger) == 403

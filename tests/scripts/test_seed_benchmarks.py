"""The demo seed's benchmark population: labelled demo data, folded by the deployed trigger
into published benchmarks, so the demo candidate gets real percentiles."""

from __future__ import annotations

from salamin.benchmarks.service import generate_personalized_benchmark
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from scripts.seed_demo import DEMO_POPULATION, _demo_benchmark_population
from tests.benchmarks.support import wait_for_trigger


def test_demo_population_is_published_and_labelled(db) -> None:  # type: ignore[no-untyped-def]
    assert _demo_benchmark_population(db) == DEMO_POPULATION
    wait_for_trigger(db, [f"demo-analysis-{i:03d}" for i in range(DEMO_POPULATION)], timeout_s=240)
    finance = db.collection(col.INDUSTRY_BENCHMARKS).document("finance").get().to_dict()
    assert finance["demo"] is True and finance["sampleSize"] == DEMO_POPULATION // 2
    db.document(col.user_profile_path("candidate")).set(
        {"industry": "fintech", "targetRoles": ["Software Engineer"], "yearsOfExperience": 4}
    )
    result = generate_personalized_benchmark(
        db,
        caller=Caller(uid="candidate"),
        user_id=None,
        analysis_id=None,
        user_metrics={"overall": {"interviewReadiness": 68}},
        gemini=None,
        clock=SystemClock(),
    )
    assert (
        result.comparisons.industryPercentile is not None
        and 0 < result.comparisons.industryPercentile < 100
    )
    assert result.cohorts.industry is not None and result.cohorts.industry.key == "industry=finance"
    assert result.benchmarks.industry is not None and result.benchmarks.industry.demo

"""The deployed trigger (Functions emulator) on advancedAnalyses: fold, publish, and the
spec's `benchmarks` written into the analysis, once, without re-trigger loops."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from salamin.benchmarks.trigger import on_analysis_written
from salamin.core import collections as col
from salamin.core.clock import SystemClock
from salamin.models.analysis import MultiModalAnalysis
from salamin.models.benchmarks import BenchmarkComparison
from tests.benchmarks.support import analysis_doc, metrics_doc, put_profile, wait_for_trigger


def test_completed_analyses_get_their_benchmark_comparison(db) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    batch = db.batch()
    for i in range(24):
        put_profile(db, f"u{i}")
        doc = analysis_doc(
            f"u{i}", metrics_doc(40 + i, pace_score=50 + i), at=now + timedelta(seconds=i)
        )
        batch.set(db.collection(col.ADVANCED_ANALYSES).document(f"a{i}"), doc)
    batch.commit()
    ids = [f"a{i}" for i in range(24)]
    wait_for_trigger(db, ids)
    # The last one is compared with 23 others at least; the first saw a cohort below k.
    latest = max(
        (db.collection(col.ADVANCED_ANALYSES).document(i).get().to_dict() for i in ids),
        key=lambda d: d["benchmarks"]["computedAt"],
    )
    comparison = BenchmarkComparison.model_validate(latest["benchmarks"])
    assert comparison.foldVersion.startswith(("a",))
    assert comparison.cohorts.industry is not None
    assert comparison.userPercentile is not None and 0 <= comparison.userPercentile <= 100
    assert comparison.industryAverage and "overall" in comparison.industryAverage
    assert (
        comparison.topPerformers and comparison.topPerformers["overall"]["interviewReadiness"] >= 60
    )
    for aid in ids:  # each comparison was computed for that analysis's own version
        doc = db.collection(col.ADVANCED_ANALYSES).document(aid).get().to_dict()
        assert doc["benchmarks"]["foldVersion"] == f"{aid}@{doc['completedAt'].isoformat()}"
    stored = db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()
    assert stored["sampleSize"] == 24
    # A replayed event changes nothing: the version guard stops it before folding.
    snap = db.collection(col.ADVANCED_ANALYSES).document("a5").get()
    assert on_analysis_written(db, analysis_id="a5", clock=SystemClock()) == "already_compared"
    assert db.collection(col.ADVANCED_ANALYSES).document("a5").get().update_time == snap.update_time
    # The analysis model accepts the document with its benchmarks.
    data = {
        **analysis_doc("u5", {"overall": {}}),
        "benchmarks": snap.to_dict()["benchmarks"],
        "sessionId": "a5",
        "analysisType": "audio",
        "insights": {},
        "recommendations": [],
        "confidenceScores": {},
    }
    data.pop("status"), data.pop("completedAt")
    MultiModalAnalysis.model_validate(data)


def test_a_rerun_replaces_the_contribution_and_is_compared_again(db) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "solo")
    ref = db.collection(col.ADVANCED_ANALYSES).document("r1")
    ref.set(analysis_doc("solo", metrics_doc(30), at=datetime.now(UTC)))
    wait_for_trigger(db, ["r1"])
    first = ref.get().to_dict()["benchmarks"]["foldVersion"]
    ref.set({"userId": "solo", "status": "queued"})  # force: true clears the document
    time.sleep(1)
    ref.set(analysis_doc("solo", metrics_doc(80), at=datetime.now(UTC) + timedelta(minutes=1)))
    wait_for_trigger(db, ["r1"])
    deadline = time.monotonic() + 30
    while ref.get().to_dict()["benchmarks"]["foldVersion"] == first and time.monotonic() < deadline:
        time.sleep(0.5)
    assert ref.get().to_dict()["benchmarks"]["foldVersion"] != first
    cohort = db.collection(col.BENCHMARK_COHORTS).document("global").get().to_dict()
    assert cohort["people"] == 1
    assert {
        k: v for k, v in cohort["metrics"]["overall_interviewReadiness"]["counts"].items() if v
    } == {"80": 1}

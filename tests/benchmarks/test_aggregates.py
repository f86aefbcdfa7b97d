"""Exact statistics from bucket counts equal numpy's on the same values."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from salamin.benchmarks import aggregates as agg
from salamin.benchmarks.metrics import BY_ID, READINESS, extract, nest

WPM = "verbal_speakingPace_averageWPM"


def state_of(values: list[dict[str, float]]) -> agg.CohortState:
    raw: dict = {}
    for v in values:
        agg.add_into(raw, agg.delta(agg.Contribution(values=v), +1))
    return agg.CohortState(raw)


def spec_quantile(values: list[float], q: float) -> float:
    ordered = np.sort(np.asarray(values))
    return float(ordered[math.floor(len(ordered) * q)])


@pytest.mark.parametrize("n", [1, 2, 20, 137, 1000])
def test_integer_scores_give_numpys_percentiles_mean_and_population_sd(n: int) -> None:
    rng = random.Random(n)
    scores = [float(rng.randint(0, 100)) for _ in range(n)]
    counts = state_of([{READINESS.id: s} for s in scores]).counts(READINESS.id)
    dist = counts.distribution()
    for name, q in agg.QUANTILES.items():
        assert getattr(dist.percentiles, name) == spec_quantile(scores, q)
    assert dist.sampleSize == n
    assert dist.mean == pytest.approx(float(np.mean(scores)), abs=1e-4)
    assert dist.standardDeviation == pytest.approx(float(np.std(scores)), abs=1e-3)


def test_raw_metrics_are_within_half_their_resolution() -> None:
    rng = random.Random(7)
    wpm = [rng.uniform(90, 200) for _ in range(500)]
    counts = state_of([{WPM: w} for w in wpm]).counts(WPM)
    resolution = BY_ID[WPM].resolution
    for q in agg.QUANTILES.values():
        assert abs(counts.quantile(q) - spec_quantile(wpm, q)) <= resolution / 2 + 1e-9
    assert counts.mean == pytest.approx(float(np.mean(wpm)))
    assert counts.standard_deviation == pytest.approx(float(np.std(wpm)), rel=1e-9)


def test_midrank_percentile_counts_ties_half() -> None:
    counts = state_of([{READINESS.id: float(s)} for s in [10, 20, 20, 30, 40]]).counts(READINESS.id)
    assert counts.midrank_percentile(20) == 100 * (1 + 0.5 * 2) / 5
    assert counts.midrank_percentile(5) == 0
    assert counts.midrank_percentile(45) == 100
    assert counts.without(20).midrank_percentile(20) == 100 * (1 + 0.5) / 4


def test_removing_a_contribution_restores_the_state() -> None:
    base = {READINESS.id: 70.0, WPM: 141.0}
    raw: dict = {}
    agg.add_into(raw, agg.delta(agg.Contribution(values=base), +1))
    other = {READINESS.id: 50.0}
    agg.add_into(raw, agg.delta(agg.Contribution(values=other), +1))
    agg.add_into(raw, agg.delta(agg.Contribution(values=other), -1))
    state = agg.CohortState(raw)
    assert state.people == 1
    assert state.counts(READINESS.id).buckets == [(70, 1)]
    assert state.counts(WPM).n == 1


def test_absent_and_invalid_metrics_are_skipped_not_zero() -> None:
    metrics = {
        "overall": {"interviewReadiness": 71.4, "hireability": None},
        "verbal": {
            "speakingPace": {"averageWPM": 152.0, "score": "high"},
            "fillerWords": {"frequency": float("nan")},
        },
        "nonVerbal": {"eyeContact": {"score": 140}},
    }
    assert extract(metrics) == {READINESS.id: 71.4, WPM: 152.0}
    assert extract(None) == {}
    assert nest({READINESS.id: 71.4, WPM: 152.0}) == {
        "overall": {"interviewReadiness": 71.4},
        "verbal": {"speakingPace": {"averageWPM": 152.0}},
    }


def test_session_buckets() -> None:
    assert [agg.session_bucket(n) for n in (1, 2, 5, 6, 10, 11, 50)] == [
        "1", "2-5", "2-5", "6-10", "6-10", "11+", "11+"
    ]  # fmt: skip

"""industryBenchmarks/{industry}: the spec's shape, numpy's percentiles, k = 20, no user ids,
and a rebuild from advancedAnalyses that equals the incremental result."""

from __future__ import annotations

import json
import math
import random
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from salamin.benchmarks.publish import K_MIN, publish_industry
from salamin.benchmarks.rebuild import rebuild
from salamin.core import collections as col
from salamin.core.clock import FixedClock
from salamin.models.benchmarks import IndustryBenchmark
from tests.benchmarks.support import T0, Lab, metrics_doc, put_profile, wait_for_trigger

CLOCK = FixedClock(T0 + timedelta(days=30))


@pytest.fixture
def lab(db) -> Lab:  # type: ignore[no-untyped-def]
    return Lab(db, clock=CLOCK)


def population(
    lab: Lab,
    n: int,
    *,
    seed: int = 3,
    roles: tuple[str, ...] = ("Backend Engineer",),
    years: tuple[float, ...] = (1, 3, 7),
) -> dict[str, list[float]]:
    rng = random.Random(seed)
    values: dict[str, list[float]] = {"ready": [], "wpm": [], "pace": [], "story": []}
    aids = []
    for i in range(n):
        uid = f"user-{seed}-{i}"
        put_profile(lab.db, uid, roles=[roles[i % len(roles)]], years=years[i % len(years)])
        ready = float(rng.randint(20, 98))
        wpm = round(rng.uniform(100, 190), 1)
        pace = float(rng.randint(10, 100))
        story = float(min(100, max(0, round(ready + rng.randint(-15, 15)))))
        for k, v in (("ready", ready), ("wpm", wpm), ("pace", pace), ("story", story)):
            values[k].append(v)
        lab.add(
            f"a-{seed}-{i}",
            uid,
            metrics_doc(ready, wpm=wpm, pace_score=pace, storytelling=story),
            at=T0 + timedelta(minutes=i),
        )
        aids.append(f"a-{seed}-{i}")
    lab.fold_all(aids)
    return values


def spec_percentiles(values: list[float]) -> dict[str, float]:
    s = np.sort(np.asarray(values))
    return {
        name: float(s[math.floor(len(s) * q)])
        for name, q in (("p10", 0.1), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p90", 0.9))
    }


def test_published_industry_equals_numpy_and_has_the_spec_shape(db, lab) -> None:  # type: ignore[no-untyped-def]
    values = population(lab, 120)
    doc = publish_industry(db, "technology", clock=CLOCK)
    assert doc is not None
    stored = db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()
    benchmark = IndustryBenchmark.model_validate(stored)
    assert benchmark.sampleSize == 120
    dist = benchmark.distributionData
    assert dist is not None
    assert dist.percentiles.model_dump() == spec_percentiles(values["ready"])
    assert dist.standardDeviation == round(float(np.std(values["ready"])), 4)
    wpm = benchmark.metricDistributions["verbal_speakingPace_averageWPM"].percentiles.model_dump()
    for name, exact in spec_percentiles(values["wpm"]).items():
        assert abs(wpm[name] - exact) <= 0.5
    assert [r.roleCategory for r in benchmark.roleCategories] == ["software_engineering"]
    assert {e.level for e in benchmark.experienceLevels} == {"entry", "mid", "senior"}
    assert benchmark.experienceLevels[0].yearsRange == (0, 2)
    # Storytelling tracks readiness in this population, pace does not: it must separate the
    # quartiles, and rank first among the critical skills.
    assert benchmark.roleCategories[0].criticalSkills[0] == "Storytelling"
    assert benchmark.topPerformersProfile is not None
    assert (
        benchmark.topPerformersProfile.averageMetrics["overall"]["interviewReadiness"]
        >= dist.percentiles.p90
    )
    assert benchmark.minimumCohortSize == K_MIN


def test_a_cohort_below_k_is_never_published(db, lab) -> None:  # type: ignore[no-untyped-def]
    population(lab, K_MIN - 1)
    assert publish_industry(db, "technology", clock=CLOCK) is None
    assert not db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().exists
    population(
        lab,
        45,
        seed=4,
        roles=("Backend Engineer", "Backend Engineer", "Product Manager"),
        years=(3,),
    )
    doc = IndustryBenchmark.model_validate(publish_industry(db, "technology", clock=CLOCK))
    assert doc.sampleSize == K_MIN - 1 + 45
    # Product managers: 15 people, below k: left out, only counted as withheld.
    assert [r.roleCategory for r in doc.roleCategories] == ["software_engineering"]
    assert doc.withheldCohorts >= 1
    assert "product_management" not in json.dumps(doc.model_dump(mode="json"))


def test_no_user_id_appears_in_any_aggregate(db, lab) -> None:  # type: ignore[no-untyped-def]
    population(lab, 30)
    publish_industry(db, "technology", clock=CLOCK)
    uids = [f"user-3-{i}" for i in range(30)]
    for name in (col.INDUSTRY_BENCHMARKS, col.BENCHMARK_COHORTS, col.BENCHMARK_SHARDS):
        for snap in db.collection(name).stream():
            text = snap.id + json.dumps(snap.to_dict(), default=str)
            assert not any(uid in text for uid in uids), (name, snap.id)


def trajectory_population(lab: Lab) -> list[str]:  # type: ignore[no-untyped-def]
    aids = []
    for i in range(25):
        uid = f"t{i}"
        put_profile(lab.db, uid)
        for s in range(3):
            aid = f"t{i}-{s}"
            lab.add(aid, uid, metrics_doc(40 + i + 10 * s), at=T0 + timedelta(weeks=s, minutes=i))
            aids.append(aid)
    return aids


def test_trajectories_come_from_successive_analyses(db, lab) -> None:  # type: ignore[no-untyped-def]
    lab.fold_all(trajectory_population(lab))
    doc = IndustryBenchmark.model_validate(publish_industry(db, "technology", clock=CLOCK))
    [trajectory] = doc.improvementTrajectories
    first, later = trajectory.milestones
    assert (first.sessionBucket, later.sessionBucket) == ("1", "2-5")
    assert first.expectedScore == 40 + 12 and later.expectedScore == 60 + 12
    assert later.week == 2 and trajectory.timeframe == 2
    assert trajectory.successRate == 100.0
    assert trajectory.practiceHours is None and trajectory.unavailableReason


def comparable(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out: dict[str, Any] = {}
    for snap in db.collection(col.BENCHMARK_COHORTS).stream():
        d = snap.to_dict()
        out[snap.id] = {
            "people": d["people"],
            "counts": {m: v.get("counts") for m, v in d["metrics"].items()},
            "n": {m: v["n"] for m, v in d["metrics"].items()},
            "trajectory": {b: v.get("counts") for b, v in d["trajectory"].items()},
        }
    doc = db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()
    doc.pop("lastUpdated")
    doc.pop("sourceVersions")
    out["industry"] = json.loads(json.dumps(doc, default=str))
    return out


def _strip_zeros(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_zeros(v) for k, v in node.items() if v != 0}
    return node


def test_rebuild_equals_the_incremental_result(db, lab) -> None:  # type: ignore[no-untyped-def]
    aids = trajectory_population(lab)
    population(lab, 40)
    lab.fold_all(aids)
    # A re-analysis and a replay happen incrementally; the rebuild sees only the final document.
    lab.add("t3-1", "t3", metrics_doc(99), at=T0 + timedelta(weeks=1, minutes=3, seconds=30))
    lab.fold_all(["t3-1", "t3-1"])
    lab.store()  # rebuild reads advancedAnalyses; let the trigger see them (all no-op folds)
    wait_for_trigger(db, list(lab.docs))
    publish_industry(db, "technology", clock=CLOCK)
    incremental = comparable(db)
    seen: list[tuple[int, int, str]] = []
    report = rebuild(db, clock=CLOCK, progress=lambda d, t, s: seen.append((d, t, s)))
    assert (report.analyses, report.folded, report.published) == (75 + 40, 75 + 40, 1)
    assert seen[-1][0] == seen[-1][1]
    rebuilt = comparable(db)
    assert _diff(_strip_zeros(rebuilt), _strip_zeros(incremental)) == []


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Differences; floats may differ by summation order (0.011 after rounding to 2 places)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in set(a) | set(b):
            out += _diff(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _diff(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 0.011:
        return []
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]

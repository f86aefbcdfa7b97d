"""generatePersonalizedBenchmark as a domain call: exact mid-rank percentiles, named fallbacks,
norm bands, the spec's own test, and who may ask."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from salamin.benchmarks.service import generate_personalized_benchmark
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.core.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from tests.benchmarks.support import T0, Lab, metrics_doc, put_profile

CLOCK = FixedClock(T0 + timedelta(days=1))
READY = "overall_interviewReadiness"


@pytest.fixture
def lab(db) -> Lab:  # type: ignore[no-untyped-def]
    return Lab(db, clock=CLOCK)


def people(
    lab: Lab,
    n: int,
    *,
    prefix: str = "p",
    roles: str = "Backend Engineer",
    years: float = 3,
    seed: int = 5,
) -> list[float]:
    rng = random.Random(seed)
    scores = []
    for i in range(n):
        uid = f"{prefix}{i}"
        put_profile(lab.db, uid, roles=[roles], years=years)
        score = float(rng.randint(30, 95))
        scores.append(score)
        lab.add(
            f"{prefix}-a{i}",
            uid,
            metrics_doc(score, wpm=130 + i % 40, filler_frequency=round(rng.uniform(0, 6), 1)),
            at=T0 + timedelta(minutes=i),
        )
    lab.fold_all([f"{prefix}-a{i}" for i in range(n)])
    return scores


def midrank(values: list[float], v: float) -> float:
    below = sum(1 for x in values if x < v)
    equal = sum(1 for x in values if x == v)
    return round(100 * (below + 0.5 * equal) / len(values), 2)


def ask(db, uid: str = "newcomer", **kw: Any):  # type: ignore[no-untyped-def]
    kw.setdefault("analysis_id", None)
    kw.setdefault("user_metrics", None)
    return generate_personalized_benchmark(
        db,
        caller=kw.pop("caller", Caller(uid=uid)),
        user_id=kw.pop("user_id", None),
        gemini=kw.pop("gemini", None),
        clock=CLOCK,
        **kw,
    )


def test_a_new_users_percentile_is_the_exact_midrank(db, lab) -> None:  # type: ignore[no-untyped-def]
    scores = people(lab, 30)
    put_profile(db, "newcomer", roles=["SWE"], years=4)
    probe = scores[7]  # a value with ties possible
    result = ask(db, user_metrics={"overall": {"interviewReadiness": probe}})
    exact = midrank(scores, probe)
    assert result.comparisons.industryPercentile == exact
    assert result.comparisons.rolePercentile == exact
    assert result.comparisons.experiencePercentile == exact
    assert result.cohorts.role is not None and result.cohorts.role.level == "industry_role_level"
    assert result.cohorts.role.key == "irl=technology|software_engineering|mid"
    assert result.cohorts.role.sampleSize == 30
    assert result.metricPercentiles[READY]["industry"].percentile == exact
    assert result.userMetrics == {READY: probe}  # partial: nothing else compared


def test_thin_cohorts_fall_back_and_say_which_cohort_was_used(db, lab) -> None:  # type: ignore[no-untyped-def]
    people(lab, 24)
    people(lab, 8, prefix="pm", roles="Product Manager", seed=6)
    put_profile(db, "newcomer", roles=["Product Owner"], years=3)
    result = ask(db, user_metrics={"overall": {"interviewReadiness": 60}})
    assert result.cohorts.role is not None and result.cohorts.role.level == "industry"
    assert (
        result.cohorts.experience is not None
        and result.cohorts.experience.level == "industry_level"
    )
    assert result.cohorts.industry is not None and result.cohorts.industry.sampleSize == 32
    assert result.benchmarks.role is not None and result.benchmarks.role.sampleSize == 32


def test_without_any_cohort_of_k_a_norm_band_stands_in_and_nothing_else(db, lab) -> None:  # type: ignore[no-untyped-def]
    people(lab, 12)
    put_profile(db, "newcomer")
    result = ask(
        db,
        user_metrics={
            "overall": {"interviewReadiness": 60},
            "verbal": {"speakingPace": {"averageWPM": 171}},
        },
    )
    assert result.comparisons.industryPercentile is None
    assert "no cohort" in result.comparisons.unavailableReasons["industryPercentile"]
    wpm = result.metricPercentiles["verbal_speakingPace_averageWPM"]["industry"]
    assert wpm.percentile is None and wpm.norm is not None
    assert (wpm.norm.level, wpm.norm.range, wpm.norm.position) == (
        "published_norm",
        (120, 160),
        "above",
    )
    ready = result.metricPercentiles[READY]["industry"]
    assert ready.percentile is None and ready.norm is None and ready.unavailableReason
    assert result.cohorts.industry is None


def full_metrics(score: float) -> dict[str, Any]:
    """The spec's createMockMetrics(75): every score at `score`."""
    group = {"source": "measured", "score": score}
    return {
        "verbal": {
            "score": score,
            **{
                g: dict(group)
                for g in ("speakingPace", "clarity", "fillerWords", "pauses", "tonality")
            },
        },
        "nonVerbal": {
            "score": score,
            **{
                g: dict(group)
                for g in (
                    "eyeContact",
                    "facialExpressions",
                    "posture",
                    "gestures",
                    "overallPresence",
                )
            },
        },
        "content": {
            "score": score,
            **{
                g: dict(group)
                for g in ("structureClarity", "relevance", "storytelling", "technicalAccuracy")
            },
        },
        "overall": {
            "interviewReadiness": score,
            "hireability": score,
            "improvementPotential": 100 - score,
        },
    }


@pytest.mark.parametrize("with_gemini", [False, True])
def test_the_specs_benchmark_test(db, lab, gemini, with_gemini: bool) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    for i in range(30):
        put_profile(db, f"s{i}")
        lab.add(f"s-a{i}", f"s{i}", full_metrics(float(rng.randint(40, 95))))
    lab.fold_all()
    put_profile(db, "user-1")
    benchmark = ask(
        db, "user-1", user_metrics=full_metrics(75), gemini=gemini if with_gemini else None
    )
    assert benchmark.comparisons.industryPercentile is not None
    assert 0 < benchmark.comparisons.industryPercentile < 100
    assert len(benchmark.insights) == 5
    assert len(benchmark.improvementPlan.phases) == 3
    # The double's synthetic numbers never match the measured ones: the checked fallback shows.
    assert benchmark.narrativeSource == "fallback"
    assert benchmark.fallbackReason == (
        "model answer failed checks" if with_gemini else "Gemini is not configured"
    ) or benchmark.fallbackReason.startswith("model answer failed checks")


def test_an_analysis_is_compared_with_the_others_only(db, lab) -> None:  # type: ignore[no-untyped-def]
    scores = people(lab, 25)
    lab.store()  # the deployed trigger folds them too: a no-op, they are folded already
    mine = ask(db, "p3", analysis_id="p-a3", save=True)
    others = scores[:3] + scores[4:]
    assert mine.comparisons.industryPercentile == midrank(others, scores[3])
    assert mine.cohorts.industry is not None and mine.cohorts.industry.sampleSize == 24
    saved = list(db.collection(col.USERS).document("p3").collection(col.USER_BENCHMARKS).stream())
    assert len(saved) == 1 and saved[0].to_dict()["analysisId"] == "p-a3"


def test_who_may_ask_and_bad_input(db, lab) -> None:  # type: ignore[no-untyped-def]
    people(lab, 2)
    lab.store()
    with pytest.raises(PermissionDenied):
        ask(db, "p0", analysis_id="p-a1")  # someone else's analysis
    with pytest.raises(PermissionDenied):
        ask(db, "p0", user_id="p1", user_metrics={"overall": {"interviewReadiness": 50}})
    admin = ask(db, caller=Caller(uid="root", is_admin=True), user_id="p1", analysis_id="p-a1")
    assert admin.userId == "p1"
    with pytest.raises(InvalidArgument) as bad:
        ask(db, user_metrics={"overall": {"interviewReadiness": 140}})
    assert bad.value.fields[0]["path"] == "userMetrics.overall.interviewReadiness"
    with pytest.raises(InvalidArgument):
        ask(db, user_metrics={"verbal": {"speakingPace": {"averageWPM": "fast"}}})
    with pytest.raises(InvalidArgument):
        ask(db, user_metrics={"unknown": 1})
    with pytest.raises(InvalidArgument):
        ask(db, "p0", analysis_id="p-a0", user_metrics={"overall": {"interviewReadiness": 1}})
    db.collection(col.ADVANCED_ANALYSES).document("q").set({"userId": "p0", "status": "processing"})
    with pytest.raises(FailedPrecondition):
        ask(db, "p0", analysis_id="q")
    assert not list(
        db.collection(col.USERS).document("p0").collection(col.USER_BENCHMARKS).stream()
    )

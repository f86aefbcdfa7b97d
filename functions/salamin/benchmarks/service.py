"""`generatePersonalizedBenchmark` and the `benchmarks` comparison of a completed analysis.

Reads per personalised benchmark, whatever the population: the analysis (with `analysisId`),
the profile, the person's contribution (to leave them out of their own comparison), the seven
cohort summaries (one `get_all`) and the industry document: at most 11.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from google.cloud import firestore
from pydantic import ValidationError

from salamin.benchmarks import derive
from salamin.benchmarks.cohorts import LEVEL_YEARS, Cohort, cohort_of
from salamin.benchmarks.compare import (
    Population,
    Slot,
    averages,
    choose,
    compare,
    improvement_areas,
    load_population,
    top_decile_means,
)
from salamin.benchmarks.fold import AnalysisFacts, FoldResult, contribution_ref
from salamin.benchmarks.metrics import METRICS, extract, nest
from salamin.benchmarks.narrative import narrate, skill_gaps
from salamin.benchmarks.publish import K_MIN
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from salamin.gateways.gemini import GeminiGateway
from salamin.models.benchmarks import (
    BenchmarkComparison,
    BenchmarksUsed,
    CohortLevel,
    IndustryBenchmark,
    PersonalizedBenchmark,
)


def validate_user_metrics(user_metrics: Mapping[str, Any]) -> dict[str, float]:
    """The benchmarked numbers of a (partial) spec PerformanceMetrics; bad ones are errors."""
    for metric in METRICS:
        node: Any = user_metrics
        for part in metric.path:
            node = node.get(part) if isinstance(node, Mapping) else None
        if node is None:
            continue
        path = "userMetrics." + ".".join(metric.path)
        if isinstance(node, bool) or not isinstance(node, int | float):
            raise InvalidArgument.at(path, "must be a number")
        if node < metric.minimum or (metric.maximum is not None and node > metric.maximum):
            raise InvalidArgument.at(
                path, f"must be between {metric.minimum:g} and {metric.maximum:g}"
            )
    values = extract(user_metrics)
    if not values:
        raise InvalidArgument.at(
            "userMetrics", "no benchmarked metric given (e.g. overall.interviewReadiness)"
        )
    return values


def _own(db: firestore.Client, uid: str) -> tuple[dict[str, float] | None, dict[str, str] | None]:
    snap = contribution_ref(db, uid).get()
    current = (snap.to_dict() or {}).get("current") if snap.exists else None
    if not current:
        return None, None
    return dict(current.get("values") or {}), dict(current.get("cohorts") or {})


def generate_personalized_benchmark(
    db: firestore.Client,
    *,
    caller: Caller,
    user_id: str | None,
    analysis_id: str | None,
    user_metrics: Mapping[str, Any] | None,
    gemini: GeminiGateway | None,
    clock: Clock,
    save: bool = False,
) -> PersonalizedBenchmark:
    uid = user_id or caller.uid
    caller.require_self_or_admin(uid)
    if (analysis_id is None) == (user_metrics is None):
        raise InvalidArgument.at("analysisId", "give exactly one of analysisId and userMetrics")
    if analysis_id is not None:
        snap = db.collection(col.ADVANCED_ANALYSES).document(analysis_id).get()
        if not snap.exists:
            raise NotFound("no such analysis", reason="analysis_not_found")
        data = snap.to_dict() or {}
        if data.get("userId") != uid:
            raise PermissionDenied("this analysis belongs to another user")
        if data.get("status") != "complete":
            raise FailedPrecondition(
                "the analysis is not complete yet", reason="analysis_not_complete"
            )
        values = extract(data.get("metrics"))
        if not values:
            raise FailedPrecondition(
                "the analysis has no measured metric to compare", reason="no_measured_metrics"
            )
    else:
        values = validate_user_metrics(user_metrics or {})

    profile_snap = db.document(col.user_profile_path(uid)).get()
    cohort = cohort_of(profile_snap.to_dict() if profile_snap.exists else None)
    own_values, own_keys = _own(db, uid)
    pop = load_population(db, cohort, own_values=own_values, own_keys=own_keys)
    industry_snap = db.collection(col.INDUSTRY_BENCHMARKS).document(cohort.industry).get()

    compared = compare(pop, values)
    role_level = compared.slot_levels["role"]
    medians: dict[str, float] = {}
    percentiles: dict[str, float] = {}
    for metric_id in values:
        chosen = choose(pop, "role", metric_id)
        if chosen is not None:
            medians[metric_id] = chosen[1].quantile(0.5)
        pct = compared.metric_percentiles[metric_id]["role"].percentile
        if pct is not None:
            percentiles[metric_id] = pct
    tops = top_decile_means(pop, role_level)
    gaps = skill_gaps(values, medians, tops, percentiles)
    narrative = narrate(
        gemini,
        gaps,
        context={"industry": cohort.industry, "role": cohort.role, "level": cohort.level},
        extra_numbers={**compared.comparisons.model_dump(exclude={"unavailableReasons"})},
    )
    result = PersonalizedBenchmark(
        userId=uid,
        userMetrics=values,
        benchmarks=_benchmarks_used(pop, cohort, industry_snap, compared.slot_levels),
        comparisons=compared.comparisons,
        cohorts=compared.cohorts,
        metricPercentiles={m: dict(v) for m, v in compared.metric_percentiles.items()},
        insights=narrative.value.insights,
        improvementPlan=narrative.value.improvementPlan,
        narrativeSource="model" if narrative.source == "model" else "fallback",
        fallbackReason=narrative.reason,
        createdAt=clock.now(),
        analysisId=analysis_id,
    )
    if save:
        ref = (
            db.collection(col.USERS)
            .document(uid)
            .collection(col.USER_BENCHMARKS)
            .document(uuid.uuid4().hex)
        )
        ref.create(result.model_dump(mode="python", exclude_none=True))
    return result


def _benchmarks_used(
    pop: Population, cohort: Cohort, industry_snap: Any, levels: Mapping[Slot, CohortLevel | None]
) -> BenchmarksUsed:
    industry = None
    if industry_snap.exists:
        try:
            industry = IndustryBenchmark.model_validate(industry_snap.to_dict())
        except ValidationError:
            industry = None
    role = None
    if (level := levels.get("role")) is not None:
        role = derive.role_benchmark(cohort.role, pop.states[level], k=K_MIN)
    experience = None
    if (level := levels.get("experience")) is not None and cohort.level in LEVEL_YEARS:
        experience = derive.experience_benchmark(
            cohort.level, pop.states[level], pop.states["industry"], k=K_MIN
        )
    return BenchmarksUsed(industry=industry, role=role, experience=experience)


def analysis_comparison(
    db: firestore.Client, *, facts: AnalysisFacts, fold: FoldResult, clock: Clock
) -> BenchmarkComparison:
    """The spec's BenchmarkComparison for one analysis, from the cohort state right now."""
    cohort = fold.cohort or Cohort("unspecified", "unspecified", "unspecified")
    own = fold.current.values if fold.current else None
    pop = load_population(db, cohort, own_values=own, own_keys=fold.current_keys)
    compared = compare(pop, facts.values)
    levels = compared.slot_levels
    tops = top_decile_means(pop, levels["industry"])
    reason = None
    if compared.comparisons.industryPercentile is None:
        reason = compared.comparisons.unavailableReasons.get("industryPercentile")
    return BenchmarkComparison(
        industryAverage=averages(pop, levels["industry"]),
        roleSpecific=averages(pop, levels["role"]),
        experienceLevel=averages(pop, levels["experience"]),
        topPerformers=nest(tops) or None,
        userPercentile=compared.comparisons.industryPercentile,
        improvementAreas=improvement_areas(facts.values, tops),
        cohorts=compared.cohorts,
        unavailableReason=reason,
        foldVersion=facts.version,
        computedAt=clock.now(),
    )


def own_percentiles(db: firestore.Client, *, uid: str) -> tuple[dict[str, float], str | None]:
    """The person's role-cohort percentile per metric, from their counted contribution.

    Three reads (contribution, profile, one `get_all` of the cohort summaries), no analysis read:
    cheap enough for other packages (learning paths) to call. `({}, reason)` when there is none.
    """
    own_values, own_keys = _own(db, uid)
    if not own_values:
        return {}, "no analysis has been benchmarked for this person yet"
    profile_snap = db.document(col.user_profile_path(uid)).get()
    cohort = cohort_of(profile_snap.to_dict() if profile_snap.exists else None)
    pop = load_population(db, cohort, own_values=own_values, own_keys=own_keys)
    compared = compare(pop, own_values)
    out = {
        metric_id: pct
        for metric_id, slots in compared.metric_percentiles.items()
        if (pct := slots["role"].percentile) is not None
    }
    if not out:
        return {}, f"fewer than {K_MIN} other people in every cohort: no percentile yet"
    return out, None

"""Everything in a benchmark that is words or summaries, derived from the cohort state.

* `criticalSkills`: the group scores that separate the top quartile (by interviewReadiness,
  at or above p75) from the bottom quartile (at or below p25) most, in cohort standard
  deviations: (mean top − mean bottom) / SD.
* `successFactors`: the same metrics, stated with the two quartiles' means.
* `commonWeaknesses`: the group scores with the lowest bottom-quartile mean.
* `topPerformersProfile`: the top decile (at or above p90): its means; `keyDifferentiators` are
  the metrics where it exceeds the cohort mean most (in SDs); `developmentPath` orders the
  gaps between the cohort mean and the top decile, largest first.
* Experience levels: `growthAreas` are the level's three lowest group-score means;
  `competencyGaps` the metrics furthest below the industry's top quartile.
* Trajectories: interviewReadiness by session bucket (1, 2-5, 6-10, 11+), one point per person
  per bucket; `week` is the mean time since the person's first analysis.

A metric enters these only when at least k people in the band have it.
"""

from __future__ import annotations

from datetime import datetime

from salamin.benchmarks.aggregates import TRAJECTORY_BUCKETS, CohortState
from salamin.benchmarks.cohorts import LEVEL_YEARS
from salamin.benchmarks.metrics import BY_ID, READINESS, SKILL_METRICS, nest
from salamin.models.benchmarks import (
    ExperienceBenchmark,
    ExperienceLevel,
    ImprovementTrajectory,
    IndustryBenchmark,
    PerformanceProfile,
    RoleBenchmark,
    TrajectoryMilestone,
)

LEVEL_NAMES: tuple[str, ...] = tuple(LEVEL_YEARS)
TOP_N = 3
QUARTILE_MINIMUM = 5
"""People needed in a quartile or decile band for its means to be used (the cohort itself
must have k)."""


def _fmt(metric_id: str, value: float) -> str:
    metric = BY_ID[metric_id]
    return f"{value:.0f}" if metric.kind == "score" else f"{value:.1f}"


def _bands(state: CohortState) -> tuple[dict[str, float], dict[str, float], int, int] | None:
    readiness = state.counts(READINESS.id)
    if readiness.n == 0:
        return None
    p25 = READINESS.bucket(readiness.quantile(0.25))
    p75 = READINESS.bucket(readiness.quantile(0.75))
    top, n_top = state.readiness_band_means(low=p75, minimum=QUARTILE_MINIMUM)
    bottom, n_bottom = state.readiness_band_means(high=p25, minimum=QUARTILE_MINIMUM)
    if n_top < QUARTILE_MINIMUM or n_bottom < QUARTILE_MINIMUM:
        return None
    return top, bottom, n_top, n_bottom


def _separation(state: CohortState) -> list[tuple[str, float, float, float]]:
    """(metric, effect in SDs, top mean, bottom mean) for group scores, largest first."""
    bands = _bands(state)
    if bands is None:
        return []
    top, bottom, _, _ = bands
    out = []
    for metric in SKILL_METRICS:
        if metric.id in top and metric.id in bottom:
            sd = state.counts(metric.id).standard_deviation
            if sd > 0:
                out.append(
                    (
                        metric.id,
                        (top[metric.id] - bottom[metric.id]) / sd,
                        top[metric.id],
                        bottom[metric.id],
                    )
                )
    return sorted(out, key=lambda t: -t[1])


def critical_skills(state: CohortState) -> list[str]:
    return [BY_ID[m].label for m, effect, _, _ in _separation(state)[:TOP_N] if effect > 0]


def success_factors(state: CohortState) -> list[str]:
    return [
        f"{BY_ID[m].label}: top quartile averages {_fmt(m, t)} vs {_fmt(m, b)} in the bottom quartile"
        for m, effect, t, b in _separation(state)[:TOP_N]
        if effect > 0
    ]


def common_weaknesses(state: CohortState) -> list[str]:
    bands = _bands(state)
    if bands is None:
        return []
    _, bottom, _, _ = bands
    skills = sorted(
        ((m.id, bottom[m.id]) for m in SKILL_METRICS if m.id in bottom), key=lambda t: t[1]
    )
    return [f"{BY_ID[m].label} (bottom quartile averages {_fmt(m, v)})" for m, v in skills[:TOP_N]]


def role_benchmark(role: str, state: CohortState, *, k: int) -> RoleBenchmark:
    distributions = state.distributions(minimum=k)
    return RoleBenchmark(
        roleCategory=role,
        averageMetrics=nest(state.means(minimum=k)),
        distributionData=distributions.get(READINESS.id),
        criticalSkills=critical_skills(state),
        commonWeaknesses=common_weaknesses(state),
        successFactors=success_factors(state),
        sampleSize=state.people,
        metricDistributions=distributions,
    )


def experience_benchmark(
    level: str, state: CohortState, industry: CohortState, *, k: int
) -> ExperienceBenchmark:
    means = state.means(minimum=k)
    skills = sorted(
        ((m.id, means[m.id]) for m in SKILL_METRICS if m.id in means), key=lambda t: t[1]
    )
    growth = [f"{BY_ID[m].label} (level average {_fmt(m, v)})" for m, v in skills[:TOP_N]]
    gaps: list[str] = []
    bands = _bands(industry)
    if bands is not None:
        top = bands[0]
        diffs = sorted(
            ((m, top[m] - v) for m, v in means.items() if m in top and BY_ID[m] in SKILL_METRICS),
            key=lambda t: -t[1],
        )
        gaps = [
            f"{BY_ID[m].label}: {_fmt(m, means[m])} vs {_fmt(m, top[m])} for the industry's top quartile"
            for m, d in diffs[:TOP_N]
            if d > 0
        ]
    lv: ExperienceLevel = level  # type: ignore[assignment]
    return ExperienceBenchmark(
        level=lv,
        yearsRange=LEVEL_YEARS[lv],
        expectedMetrics=nest(means),
        growthAreas=growth,
        competencyGaps=gaps,
        sampleSize=state.people,
        metricDistributions=state.distributions(minimum=k),
    )


def top_performers(state: CohortState) -> PerformanceProfile | None:
    readiness = state.counts(READINESS.id)
    if readiness.n == 0:
        return None
    p90 = READINESS.bucket(readiness.quantile(0.9))
    top, people = state.readiness_band_means(low=p90, minimum=1)
    if people < QUARTILE_MINIMUM:
        return None
    cohort = state.means(minimum=1)
    effects = []
    for metric in SKILL_METRICS:
        if metric.id in top and metric.id in cohort:
            sd = state.counts(metric.id).standard_deviation
            if sd > 0:
                effects.append((metric.id, (top[metric.id] - cohort[metric.id]) / sd))
    effects.sort(key=lambda t: -t[1])
    gaps = sorted(((m, top[m] - cohort[m]) for m, _ in effects), key=lambda t: -t[1])
    return PerformanceProfile(
        characteristics=[
            f"{BY_ID[m].label} {_fmt(m, top[m])} (cohort {_fmt(m, cohort[m])})"
            for m, _ in effects[:TOP_N]
        ],
        averageMetrics=nest(top),
        keyDifferentiators=[BY_ID[m].label for m, e in effects[:TOP_N] if e > 0],
        developmentPath=[
            f"Raise {BY_ID[m].label.lower()} from {_fmt(m, cohort[m])} to {_fmt(m, top[m])}"
            for m, gap in gaps
            if gap > 0
        ][:5],
        sampleSize=people,
    )


def trajectories(state: CohortState, *, k: int) -> list[ImprovementTrajectory]:
    points = []
    for name, _, _ in TRAJECTORY_BUCKETS:
        counts = state.trajectory(name)
        if counts.n >= k:
            points.append((name, counts))
    if len(points) < 2:
        return []
    start = points[0][1].quantile(0.5)
    last = points[-1][1]
    above = sum(c for b, c in last.buckets if READINESS.value_of(b) > start)
    milestones = [
        TrajectoryMilestone(
            week=None if (w := state.trajectory_weeks(name)) is None else round(w, 1),
            expectedScore=counts.quantile(0.5),
            keyFocus=[],
            practiceActivities=[],
            sessionBucket=name,
            sampleSize=counts.n,
        )
        for name, counts in points
    ]
    weeks = milestones[-1].week
    return [
        ImprovementTrajectory(
            startingScore=start,
            targetScore=last.quantile(0.5),
            timeframe=weeks,
            milestones=milestones,
            practiceHours=None,
            successRate=round(100.0 * above / last.n, 1),
            unavailableReason="practice hours are not recorded; keyFocus needs per-session focus data",
        )
    ]


def industry_benchmark(
    industry: str,
    state: CohortState,
    *,
    roles: list[RoleBenchmark],
    levels: list[ExperienceBenchmark],
    withheld: int,
    k: int,
    now: datetime,
) -> IndustryBenchmark:
    distributions = state.distributions(minimum=k)
    return IndustryBenchmark(
        industry=industry,
        roleCategories=roles,
        experienceLevels=levels,
        topPerformersProfile=top_performers(state),
        improvementTrajectories=trajectories(state, k=k),
        lastUpdated=now,
        sampleSize=state.people,
        averageMetrics=nest(state.means(minimum=k)),
        distributionData=distributions.get(READINESS.id),
        metricDistributions=distributions,
        minimumCohortSize=k,
        withheldCohorts=withheld,
        demo=state.demo,
    )

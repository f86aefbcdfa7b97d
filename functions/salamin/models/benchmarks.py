"""Industry benchmarks and personalised comparisons (spec §2.2), derived only from data.

Spec names and shapes are kept (`IndustryBenchmark`, `RoleBenchmark`, `ExperienceBenchmark`,
`PerformanceProfile`, `ImprovementTrajectory`, `MetricDistribution`, `PersonalizedBenchmark`,
`PersonalizedInsight`, `ImprovementPlan`, `BenchmarkComparison`). Differences, on purpose:

* `PerformanceMetrics` averages are `MetricAverages`: the spec's nested shape
  (`verbal.speakingPace.score`, `overall.interviewReadiness`, ...) holding only the metrics that
  were measured often enough; nothing is filled with a constant.
* Each benchmark also carries `metricDistributions` (one `MetricDistribution` per metric) and
  `sampleSize`; the spec's single `distributionData` is the `overall.interviewReadiness` one.
* A number that cannot be derived (e.g. practice hours, which nobody records) is None with an
  `unavailableReason`, never a guess.

This module imports nothing from `salamin.models.analysis`, so that model can embed
`BenchmarkComparison` without an import cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[float, Field(ge=0, le=100)]
ExperienceLevel = Literal["entry", "mid", "senior", "executive"]
CohortLevel = Literal[
    "industry_role_level", "industry_role", "industry_level", "industry", "role", "level", "global"
]
"""Which cohort a comparison used, most specific first (see benchmarks.cohorts)."""

MetricAverages = dict[str, Any]
"""Nested like the spec's PerformanceMetrics: {"verbal": {"speakingPace": {"score": 71.2}}}."""


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Percentiles(_Doc):
    p10: float
    p25: float
    p50: float
    p75: float
    p90: float


class MetricDistribution(_Doc):
    """The spec's definition: the value at index floor(n·q) of the sorted values; population SD."""

    percentiles: Percentiles
    standardDeviation: float = Field(ge=0)
    sampleSize: int = Field(ge=0)
    mean: float | None = None
    resolution: float | None = None
    """Bucket width the values were kept at (1 point for scores)."""


class RoleBenchmark(_Doc):
    roleCategory: str
    averageMetrics: MetricAverages
    distributionData: MetricDistribution | None = None
    """overall.interviewReadiness; None when fewer than k people have it."""
    criticalSkills: list[str]
    commonWeaknesses: list[str]
    successFactors: list[str]
    sampleSize: int = Field(ge=0)
    metricDistributions: dict[str, MetricDistribution] = Field(default_factory=dict)


class ExperienceBenchmark(_Doc):
    level: ExperienceLevel
    yearsRange: tuple[float, float]
    expectedMetrics: MetricAverages
    growthAreas: list[str]
    competencyGaps: list[str]
    sampleSize: int = Field(ge=0)
    metricDistributions: dict[str, MetricDistribution] = Field(default_factory=dict)


class PerformanceProfile(_Doc):
    """The top decile by overall.interviewReadiness."""

    characteristics: list[str]
    averageMetrics: MetricAverages
    keyDifferentiators: list[str]
    developmentPath: list[str]
    sampleSize: int = Field(ge=0)


class TrajectoryMilestone(_Doc):
    week: float | None
    """Mean weeks since the person's first analysis, at this session bucket."""
    expectedScore: float
    keyFocus: list[str]
    practiceActivities: list[str]
    sessionBucket: str
    sampleSize: int = Field(ge=0)


class ImprovementTrajectory(_Doc):
    startingScore: float
    targetScore: float
    timeframe: float | None
    """Weeks, from the milestones' measured elapsed time."""
    milestones: list[TrajectoryMilestone]
    practiceHours: float | None = None
    successRate: float = Field(ge=0, le=100)
    """% of people in the last bucket scoring above the session-1 median."""
    unavailableReason: str | None = None


class IndustryBenchmark(_Doc):
    industry: str
    roleCategories: list[RoleBenchmark]
    experienceLevels: list[ExperienceBenchmark]
    topPerformersProfile: PerformanceProfile | None = None
    improvementTrajectories: list[ImprovementTrajectory]
    lastUpdated: datetime
    sampleSize: int = Field(ge=0)
    averageMetrics: MetricAverages = Field(default_factory=dict)
    distributionData: MetricDistribution | None = None
    metricDistributions: dict[str, MetricDistribution] = Field(default_factory=dict)
    minimumCohortSize: int
    withheldCohorts: int = Field(default=0, ge=0)
    """Role or level cohorts of this industry left out because they have fewer than k people."""
    demo: bool = False
    """True when any folded analysis was labelled demo data (the dev seed)."""
    sourceVersions: dict[str, int] = Field(default_factory=dict)
    """Fold count of each published cohort this was built from (the republish guard)."""


# ---- personalised -----------------------------------------------------------------------------


class CohortUsed(_Doc):
    key: str
    level: CohortLevel
    sampleSize: int = Field(ge=0)


class NormBand(_Doc):
    """A published norm standing in where no cohort reaches k: a band, never a percentile."""

    level: Literal["published_norm"] = "published_norm"
    metric: str
    range: tuple[float, float]
    position: Literal["below", "within", "above"]
    source: str


class MetricComparison(_Doc):
    percentile: float | None = None
    cohort: CohortUsed | None = None
    value: float
    norm: NormBand | None = None
    unavailableReason: str | None = None


class PersonalizedInsight(_Doc):
    category: str
    type: Literal["strength", "weakness", "opportunity"]
    title: str
    description: str
    benchmarkComparison: str
    actionability: Literal["high", "medium", "low"]
    priority: Literal["high", "medium", "low"]


class PracticeActivity(_Doc):
    type: str
    description: str
    frequency: str
    duration: int = Field(ge=5, le=240)
    """Minutes."""
    difficulty: Literal["beginner", "intermediate", "advanced"]


class ImprovementPhase(_Doc):
    phase: int = Field(ge=1, le=3)
    duration: int = Field(ge=1, le=12)
    """Weeks."""
    focus: list[str] = Field(min_length=1, max_length=4)
    activities: list[PracticeActivity] = Field(min_length=1, max_length=4)
    goals: list[str] = Field(min_length=1, max_length=4)
    expectedImprovement: float = Field(ge=0, le=100)


class ExpectedOutcome(_Doc):
    metric: str
    currentScore: float = Field(ge=0, le=100)
    targetScore: float = Field(ge=0, le=100)
    timeframe: int = Field(ge=1, le=26)
    confidence: float = Field(ge=0, le=100)


class DailyActivity(_Doc):
    day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    activities: list[str] = Field(min_length=1, max_length=4)
    duration: int = Field(ge=5, le=240)


class PracticeSchedule(_Doc):
    weeklyHours: float = Field(ge=0.5, le=20)
    dailyActivities: list[DailyActivity] = Field(min_length=1, max_length=7)
    flexibilityOptions: list[str] = Field(max_length=4)


class Checkpoint(_Doc):
    week: int = Field(ge=1, le=26)
    assessments: list[str] = Field(min_length=1, max_length=4)
    expectedScores: dict[str, float]
    adjustmentCriteria: list[str] = Field(max_length=4)


class ImprovementPlan(_Doc):
    timeframe: int = Field(ge=1, le=26)
    phases: list[ImprovementPhase] = Field(min_length=3, max_length=3)
    expectedOutcomes: list[ExpectedOutcome] = Field(max_length=6)
    practiceSchedule: PracticeSchedule
    checkpoints: list[Checkpoint] = Field(min_length=1, max_length=6)


class BenchmarkNarrative(_Doc):
    """Insights and plan as stored and returned: 5 insights and a 3-phase plan."""

    insights: list[PersonalizedInsight] = Field(min_length=5, max_length=5)
    improvementPlan: ImprovementPlan


# What Gemini is asked for (response_schema). The Gemini API rejects map-typed fields
# (additionalProperties), so a checkpoint's expectedScores travel as a list of {metric, score}.


class MetricScore(_Doc):
    metric: str
    score: float


class CheckpointAnswer(_Doc):
    week: int = Field(ge=1, le=26)
    assessments: list[str] = Field(min_length=1, max_length=4)
    expectedScores: list[MetricScore] = Field(max_length=6)
    adjustmentCriteria: list[str] = Field(max_length=4)


class ImprovementPlanAnswer(_Doc):
    timeframe: int = Field(ge=1, le=26)
    phases: list[ImprovementPhase] = Field(min_length=3, max_length=3)
    expectedOutcomes: list[ExpectedOutcome] = Field(max_length=6)
    practiceSchedule: PracticeSchedule
    checkpoints: list[CheckpointAnswer] = Field(min_length=1, max_length=6)


class BenchmarkNarrativeAnswer(_Doc):
    insights: list[PersonalizedInsight] = Field(min_length=5, max_length=5)
    improvementPlan: ImprovementPlanAnswer

    def to_narrative(self) -> BenchmarkNarrative:
        """The spec shape (checkpoint scores as a map); duplicate metrics keep the last."""
        plan = self.improvementPlan.model_dump()
        plan["checkpoints"] = [
            {**c, "expectedScores": {s["metric"]: s["score"] for s in c["expectedScores"]}}
            for c in plan["checkpoints"]
        ]
        return BenchmarkNarrative.model_validate(
            {"insights": self.model_dump()["insights"], "improvementPlan": plan}
        )


class Comparisons(_Doc):
    industryPercentile: float | None = None
    rolePercentile: float | None = None
    experiencePercentile: float | None = None
    unavailableReasons: dict[str, str] = Field(default_factory=dict)


class CohortsUsed(_Doc):
    industry: CohortUsed | None = None
    role: CohortUsed | None = None
    experience: CohortUsed | None = None


class BenchmarksUsed(_Doc):
    industry: IndustryBenchmark | None = None
    role: RoleBenchmark | None = None
    experience: ExperienceBenchmark | None = None


class PersonalizedBenchmark(_Doc):
    userId: str
    userMetrics: dict[str, float]
    """The measured metrics compared, by metric id (see benchmarks.metrics)."""
    benchmarks: BenchmarksUsed
    comparisons: Comparisons
    cohorts: CohortsUsed
    metricPercentiles: dict[str, dict[str, MetricComparison]]
    """metric id -> {"industry"|"role"|"experience": comparison}."""
    insights: list[PersonalizedInsight]
    improvementPlan: ImprovementPlan
    narrativeSource: Literal["model", "fallback"]
    fallbackReason: str | None = None
    createdAt: datetime
    analysisId: str | None = None


class BenchmarkComparison(_Doc):
    """`MultiModalAnalysis.benchmarks`: the cohort state when the analysis completed."""

    industryAverage: MetricAverages | None = None
    roleSpecific: MetricAverages | None = None
    experienceLevel: MetricAverages | None = None
    topPerformers: MetricAverages | None = None
    userPercentile: float | None = Field(default=None, ge=0, le=100)
    improvementAreas: list[str] = Field(default_factory=list)
    cohorts: CohortsUsed = Field(default_factory=CohortsUsed)
    unavailableReason: str | None = None
    foldVersion: str
    """The analysis version these numbers were computed for (re-trigger guard)."""
    computedAt: datetime

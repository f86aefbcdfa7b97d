"""Advanced interview analysis (spec §2.1 MultiModalAnalysis), honest about what was measured.

Field names are the spec's camelCase so documents round-trip to the web client unchanged.
Differences from the spec, on purpose:

* Every number that may not be measurable is Optional. A missing value is never replaced by a
  made-up constant; the nearest enclosing object says why in `unavailableReason`.
* Each metric group (speakingPace, eyeContact, storytelling, ...) carries `source`:
  `measured` (signal processing on the media), `model` (a Gemini judgement) or `fallback`
  (a transparent transcript heuristic used when the model is not available).
* Each category (verbal, nonVerbal, content) carries an aggregate `score`: the mean of its
  available group scores (see `salamin.analysis.overall.category_score`).
* `benchmarks` (spec BenchmarkComparison) is written by the benchmarks trigger once the
  analysis has been folded into its cohorts; the analysis worker never writes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from salamin.models.benchmarks import BenchmarkComparison

Score = Annotated[float, Field(ge=0, le=100)]
"""A 0-100 score. Higher is better unless the field's docstring says otherwise."""

MetricSource = Literal["measured", "model", "fallback"]


class _Doc(BaseModel):
    """Strict base: unknown keys are a bug in whoever built the document."""

    model_config = ConfigDict(extra="forbid")


class MetricGroup(_Doc):
    """One spec metric group. Absent sub-metrics are None; `unavailableReason` says why."""

    source: MetricSource
    unavailableReason: str | None = None
    score: Score | None = None


# ---- verbal ---------------------------------------------------------------------------------


class FillerWordCount(_Doc):
    """How often one filler ("um", "you know") was said."""

    word: str
    count: int = Field(ge=0)


class SpeakingPace(MetricGroup):
    averageWPM: float | None = Field(default=None, ge=0)
    variability: float | None = Field(default=None, ge=0)
    """Coefficient of variation of per-window WPM, 0 = perfectly steady."""
    optimalRange: tuple[float, float] | None = None
    """The WPM band scored as ideal, e.g. (130, 160)."""


class Clarity(MetricGroup):
    articulation: Score | None = None
    pronunciation: Score | None = None
    volume: Score | None = None


class FillerWords(MetricGroup):
    count: int | None = Field(default=None, ge=0)
    frequency: float | None = Field(default=None, ge=0)
    """Fillers per minute of speech."""
    types: list[FillerWordCount] = Field(default_factory=list)


class Pauses(MetricGroup):
    averagePauseLength: float | None = Field(default=None, ge=0)
    """Seconds."""
    strategicPauses: int | None = Field(default=None, ge=0)
    awkwardSilences: int | None = Field(default=None, ge=0)


class Tonality(MetricGroup):
    confidence: Score | None = None
    enthusiasm: Score | None = None
    professionalism: Score | None = None
    authenticity: Score | None = None


class VerbalMetrics(_Doc):
    speakingPace: SpeakingPace | None = None
    clarity: Clarity | None = None
    fillerWords: FillerWords | None = None
    pauses: Pauses | None = None
    tonality: Tonality | None = None
    score: Score | None = None
    unavailableReason: str | None = None


# ---- non-verbal -----------------------------------------------------------------------------


class EyeContact(MetricGroup):
    percentage: Score | None = None
    consistency: Score | None = None
    naturalness: Score | None = None


class FacialExpressions(MetricGroup):
    positivity: Score | None = None
    engagement: Score | None = None
    nervousness: Score | None = None
    """Higher means more nervous (the one inverted sub-metric)."""
    authenticity: Score | None = None


class Posture(MetricGroup):
    uprightness: Score | None = None
    stability: Score | None = None
    openness: Score | None = None


class Gestures(MetricGroup):
    frequency: float | None = Field(default=None, ge=0)
    """Gestures per minute."""
    appropriateness: Score | None = None
    naturalness: Score | None = None


class OverallPresence(MetricGroup):
    charisma: Score | None = None
    authority: Score | None = None
    approachability: Score | None = None


class NonVerbalMetrics(_Doc):
    eyeContact: EyeContact | None = None
    facialExpressions: FacialExpressions | None = None
    posture: Posture | None = None
    gestures: Gestures | None = None
    overallPresence: OverallPresence | None = None
    score: Score | None = None
    unavailableReason: str | None = None


# ---- content --------------------------------------------------------------------------------


class StructureClarity(MetricGroup):
    introduction: Score | None = None
    bodyOrganization: Score | None = None
    conclusion: Score | None = None
    transitions: Score | None = None


class Relevance(MetricGroup):
    questionAlignment: Score | None = None
    exampleQuality: Score | None = None
    detailLevel: Score | None = None


class Storytelling(MetricGroup):
    narrative: Score | None = None
    engagement: Score | None = None
    clarity: Score | None = None
    impact: Score | None = None


class TechnicalAccuracy(MetricGroup):
    correctness: Score | None = None
    depth: Score | None = None
    breadth: Score | None = None


class ContentMetrics(_Doc):
    structureClarity: StructureClarity | None = None
    relevance: Relevance | None = None
    storytelling: Storytelling | None = None
    technicalAccuracy: TechnicalAccuracy | None = None
    score: Score | None = None
    unavailableReason: str | None = None


# ---- overall, insights, recommendations -----------------------------------------------------


class OverallMetrics(_Doc):
    """Derived from the categories that were measured; all None (with reason) if none were."""

    interviewReadiness: Score | None = None
    hireability: Score | None = None
    improvementPotential: Score | None = None
    categoryBreakdown: dict[str, Score] = Field(default_factory=dict)
    unavailableReason: str | None = None


class PerformanceMetrics(_Doc):
    """None for a category means it was not part of this analysis (e.g. no video uploaded)."""

    verbal: VerbalMetrics | None = None
    nonVerbal: NonVerbalMetrics | None = None
    content: ContentMetrics | None = None
    overall: OverallMetrics = Field(default_factory=OverallMetrics)


class DetailedInsight(BaseModel):
    category: str
    description: str
    evidence: list[str]
    impact: Literal["high", "medium", "low"]
    actionable: bool


class BehaviorPattern(BaseModel):
    pattern: str
    frequency: float = Field(ge=0)
    """Occurrences per minute of speech."""
    timestamps: list[float]
    """Seconds from the start of the recording."""
    impact: Literal["positive", "negative", "neutral"]
    suggestion: str


class KeyMoment(BaseModel):
    timestamp: float = Field(ge=0)
    type: Literal["strength", "weakness", "turning_point"]
    description: str
    impact: float = Field(ge=-100, le=100)
    """Signed effect on the impression, -100..100."""
    learningOpportunity: str


class Recommendation(BaseModel):
    category: str
    priority: Literal["high", "medium", "low"]
    title: str
    description: str
    actionSteps: list[str]
    practiceExercises: list[str]
    estimatedImprovement: float = Field(ge=0, le=100)
    """Expected gain in the category score, in points."""
    timeframe: str


class AnalysisInsights(_Doc):
    strengths: list[DetailedInsight] = Field(default_factory=list)
    weaknesses: list[DetailedInsight] = Field(default_factory=list)
    patterns: list[BehaviorPattern] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    keyMoments: list[KeyMoment] = Field(default_factory=list)
    source: Literal["model", "fallback"] = "fallback"


class ConfidenceScores(_Doc):
    """How far to trust each part, from signal quality, never constants.

    A modality that was not analysed is None and named in `unavailableReasons`.
    """

    videoAnalysis: Score | None = None
    audioAnalysis: Score | None = None
    contentAnalysis: Score | None = None
    overallReliability: Score | None = None
    unavailableReasons: dict[str, str] = Field(default_factory=dict)


class MultiModalAnalysis(_Doc):
    sessionId: str
    userId: str
    analysisType: Literal["video", "audio", "combined"]
    metrics: PerformanceMetrics
    insights: AnalysisInsights
    recommendations: list[Recommendation]
    confidenceScores: ConfidenceScores
    createdAt: datetime
    benchmarks: BenchmarkComparison | None = None

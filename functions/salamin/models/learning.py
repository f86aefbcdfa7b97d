"""Adaptive learning paths (spec §3.1), stored at `learningPaths/{pathId}` with spec field names.

Differences from the spec, on purpose:

* Activities come from the versioned catalog (`salamin/learning/catalog.json`); each carries
  its `catalogId` and `competencies`, so every path can be explained from data.
* `currentScore` of an objective is None when nothing was measured, never a guess.
* The path records `source` (which builder made it), `skillAnalysis` (the evidence it was
  built from) and `adaptationLog` (every adaptation: trigger, context, action, before, after).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from salamin.models.base import DocId

Difficulty = Annotated[int, Field(ge=1, le=10)]
Level = Literal["beginner", "intermediate", "advanced"]
ActivityType = Literal[
    "practice_session", "video_lesson", "reading", "exercise", "peer_practice", "expert_session"
]
TriggerType = Literal["low_performance", "taking_too_long", "low_engagement", "mastery_shown"]
ActionType = Literal[
    "adjust_difficulty",
    "recommend_additional_practice",
    "modify_pacing",
    "provide_additional_support",
    "skip_redundant_content",
]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssessmentQuestion(_Doc):
    questionId: str
    prompt: str
    options: list[str] = Field(default_factory=list)
    answer: int | None = None
    """Index into options for multiple choice; None for free-form (scored by rubric)."""


class AssessmentAttempt(_Doc):
    score: float = Field(ge=0, le=100)
    at: datetime


class Assessment(_Doc):
    assessmentId: str
    type: Literal["knowledge_check", "skill_demonstration", "peer_evaluation", "self_reflection"]
    questions: list[AssessmentQuestion]
    passingScore: float = Field(ge=0, le=100)
    attempts: list[AssessmentAttempt] = Field(default_factory=list)
    adaptiveScoring: bool = False


class RecommendedExpert(_Doc):
    expertId: str
    name: str
    matchReason: str
    nextSlots: list[dict[str, Any]] = Field(default_factory=list)


class ActivityContent(_Doc):
    instructions: str
    visualElements: bool | None = None
    audioNarration: bool | None = None
    recommendedExperts: list[RecommendedExpert] | None = None
    supportNote: str | None = None


class InteractivityLevel(_Doc):
    level: Literal["low", "medium", "high"]
    feedback: Literal["none", "self", "ai", "peer", "expert"]


class AdaptiveParameters(_Doc):
    difficultyLevel: Difficulty = 5
    focusArea: str | None = None
    practiceCount: int | None = None
    difficultyAdjustment: int | None = None
    paceMultiplier: float | None = None


class CompletionCriteria(_Doc):
    minScore: float | None = Field(default=None, ge=0, le=100)
    minTimeSpent: int | None = Field(default=None, ge=0)
    """Minutes."""
    requiredActions: list[str] = Field(default_factory=list)
    completed: bool = False
    skipped: bool = False
    """Completed by `skip_redundant_content` (mastery shown), not by doing it."""


class LearningActivity(_Doc):
    activityId: str
    type: ActivityType
    title: str
    description: str
    duration: int = Field(ge=1, le=600)
    """Minutes."""
    difficulty: Level
    content: ActivityContent
    interactivity: InteractivityLevel
    adaptiveParameters: AdaptiveParameters
    completionCriteria: CompletionCriteria
    catalogId: str
    competencies: list[str]
    assessment: Assessment | None = None


class LearningResource(_Doc):
    title: str
    type: Literal["article", "video", "template", "checklist"]
    description: str


class AdaptiveRule(_Doc):
    condition: str
    action: str


class LearningModule(_Doc):
    moduleId: str
    title: str
    description: str
    estimatedTime: int = Field(ge=0)
    """Minutes."""
    difficulty: Level
    prerequisites: list[str]
    """moduleIds that come first."""
    learningActivities: list[LearningActivity]
    assessments: list[Assessment] = Field(default_factory=list)
    resources: list[LearningResource] = Field(default_factory=list)
    adaptiveRules: list[AdaptiveRule] = Field(default_factory=list)
    completed: bool = False
    score: float | None = None
    competency: str


class LearningObjective(_Doc):
    id: str
    description: str
    category: str
    measurable: bool
    targetScore: float = Field(ge=0, le=100)
    currentScore: float | None = Field(default=None, ge=0, le=100)
    completed: bool = False


class AdaptiveTrigger(_Doc):
    type: TriggerType
    threshold: float
    metric: Literal["score", "time_ratio", "engagement"]
    comparison: Literal["less_than", "greater_than", "equals"] = "less_than"


class AdaptiveAction(_Doc):
    type: ActionType
    parameters: AdaptiveParameters = Field(default_factory=AdaptiveParameters)


class AdaptiveElement(_Doc):
    elementId: str
    type: Literal[
        "difficulty_adjustment", "content_selection", "pacing_modification", "support_provision"
    ]
    trigger: AdaptiveTrigger
    action: AdaptiveAction
    parameters: AdaptiveParameters = Field(default_factory=AdaptiveParameters)


class Milestone(_Doc):
    id: str
    type: Literal["module_completion", "path_completion", "objective_reached"]
    title: str
    description: str
    achievedAt: datetime
    celebrationMessage: str


class PathProgress(_Doc):
    completionPercentage: float = Field(ge=0, le=100)
    currentModule: str
    timeSpent: int = Field(ge=0)
    """Minutes."""
    activitiesCompleted: int = Field(ge=0)
    assessmentScores: dict[str, float] = Field(default_factory=dict)
    milestones: list[Milestone] = Field(default_factory=list)
    lastAccessed: datetime
    estimatedCompletion: datetime


class TimeAvailability(_Doc):
    dailyMinutes: int = Field(default=60, ge=10, le=600)
    daysPerWeek: int = Field(default=5, ge=1, le=7)


class PersonalizationData(_Doc):
    learningStyle: Literal["visual", "auditory", "kinesthetic", "mixed"] = "mixed"
    preferredPace: Literal["slow", "moderate", "fast"] = "moderate"
    difficultyPreference: Literal["gradual", "challenge", "mixed"] = "gradual"
    timeAvailability: TimeAvailability = Field(default_factory=TimeAvailability)
    focusAreas: list[str] = Field(default_factory=list)
    avoidanceAreas: list[str] = Field(default_factory=list)
    motivationFactors: list[str] = Field(default_factory=list)


class SkillAnalysis(_Doc):
    """From mastery estimates and benchmark percentiles; None (with `unavailableReason`) when
    there is no evidence."""

    currentLevel: float | None = Field(default=None, ge=0, le=100)
    strengths: list[str]
    weaknesses: list[str]
    improvementAreas: list[str]
    readinessScore: float | None = Field(default=None, ge=0, le=100)
    evidenceCount: int = Field(default=0, ge=0)
    mastery: dict[str, float] = Field(default_factory=dict)
    """Competency -> estimated mastery 0-100, only where there is evidence."""
    benchmarkPercentiles: dict[str, float] = Field(default_factory=dict)
    """Competency -> the person's role-cohort percentile (mean over its metrics), where one
    exists."""
    benchmarkUnavailableReason: str | None = None
    unavailableReason: str | None = None


class AdaptationLogEntry(_Doc):
    at: datetime
    eventId: str | None
    trigger: AdaptiveTrigger
    context: dict[str, Any]
    action: ActionType
    before: dict[str, Any]
    after: dict[str, Any]


class LearningPath(_Doc):
    pathId: str
    userId: str
    pathType: Literal[
        "interview_mastery", "skill_development", "role_preparation", "industry_focus"
    ]
    title: str
    description: str
    estimatedDuration: int = Field(ge=1, le=52)
    """Weeks."""
    difficulty: Level
    prerequisites: list[str]
    objectives: list[LearningObjective]
    modules: list[LearningModule]
    adaptiveElements: list[AdaptiveElement]
    progress: PathProgress
    personalization: PersonalizationData
    createdAt: datetime
    updatedAt: datetime
    source: Literal["deterministic", "model", "model_repaired"]
    sourceNote: str | None = None
    skillAnalysis: SkillAnalysis
    adaptationLog: list[AdaptationLogEntry] = Field(default_factory=list)
    catalogVersion: str
    eventsApplied: int = Field(default=0, ge=0)


# ---- requests ---------------------------------------------------------------------------------


class PathGenerationRequest(_Doc):
    goalType: Literal["job_interview", "skill_improvement", "career_change"]
    targetRole: Annotated[str, Field(max_length=200)] | None = None
    targetCompany: Annotated[str, Field(max_length=200)] | None = None
    timeframe: int = Field(ge=1, le=52)
    """Weeks."""
    currentLevel: Level
    focusAreas: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=12
    )
    constraints: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=12
    )


class ActivityProgress(_Doc):
    activityId: DocId
    activityType: str | None = None
    timeSpent: int = Field(ge=0, le=24 * 60)
    """Minutes."""
    expectedTime: int | None = Field(default=None, ge=1, le=24 * 60)
    score: float | None = Field(default=None, ge=0, le=100)
    engagementScore: float | None = Field(default=None, ge=0, le=5)
    difficultyPerception: float | None = Field(default=None, ge=0, le=10)
    strugglingArea: str | None = None
    completedActions: list[str] = Field(default_factory=list)
    eventId: DocId | None = None


class ActivityRecommendation(_Doc):
    activity: LearningActivity | None
    module: LearningModule | None
    reasoning: str
    reasoningSource: Literal["model", "template"]
    estimatedTime: int
    prerequisites: list[str]
    preparationTips: list[str]
    pathCompleted: bool | None = None
    fallbackReason: str | None = None
    """Why the template (not Gemini) wrote `reasoning` and `preparationTips`."""
    bookingLink: str | None = None
    """For an expert_session: put this in the booking's `preparationMaterials` so the completed
    session completes this activity."""


class RecommendationAnswer(BaseModel):
    """Gemini's response_schema for recommendNextActivity: it explains, it does not choose."""

    activityId: str
    estimatedMinutes: int
    reasoning: str = Field(max_length=600)
    preparationTips: list[Annotated[str, Field(max_length=200)]] = Field(max_length=5)

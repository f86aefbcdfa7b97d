"""The deterministic path builder: the same request and evidence always give the same path.

* Competencies are ordered by priority = gap × importance for the target role (× 1.5 for a
  requested focus area); gap = 100 − mastery, or `UNKNOWN_GAP` with no evidence. Avoidance
  areas are left out unless nothing else remains.
* Modules: round(0.75 × timeframe) of them, 3..8, one competency each, in priority order (the
  first module addresses the weakest high-importance competency), each requiring the previous.
* Activities: the competency's catalog activities, easiest first, starting at the request's
  level and one difficulty step higher per two modules, until the module's share of the time
  budget (timeframe × days per week × daily minutes) is used; 3..5 per module.
* With no evidence at all, module 1 opens with a diagnostic practice session.
* Objectives: the 4 highest-priority competencies; `currentScore` is the measured mastery
  (None without evidence), `targetScore` = min(100, max(`READY_SCORE`, current +
  `GAIN_PER_WEEK` × timeframe)).
* Five adaptive elements: the spec's three triggers with their actions, plus mastery shown →
  skip redundant content.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from salamin.benchmarks.cohorts import role_category
from salamin.learning.catalog import Catalog, CatalogActivity
from salamin.models.learning import (
    ActivityContent,
    AdaptiveAction,
    AdaptiveElement,
    AdaptiveParameters,
    AdaptiveTrigger,
    Assessment,
    AssessmentQuestion,
    LearningActivity,
    LearningModule,
    LearningObjective,
    LearningPath,
    PathGenerationRequest,
    PathProgress,
    PersonalizationData,
    SkillAnalysis,
)

UNKNOWN_GAP = 50.0
READY_SCORE = 70.0
GAIN_PER_WEEK = 2.5
"""Policy: the score gain per week an objective may plan for."""
START_DIFFICULTY = {"beginner": 1, "intermediate": 3, "advanced": 5}
DEFAULT_IMPORTANCE = 0.6
ROLE_IMPORTANCE: dict[str, dict[str, float]] = {
    "software_engineering": {
        "technical_depth": 1.0,
        "system_design": 1.0,
        "structure": 0.8,
        "star_storytelling": 0.7,
        "behavioural_stories": 0.7,
        "clarity": 0.7,
    },
    "engineering_management": {
        "behavioural_stories": 1.0,
        "star_storytelling": 1.0,
        "presence": 0.9,
        "structure": 0.8,
        "system_design": 0.7,
    },
    "product_management": {
        "structure": 1.0,
        "star_storytelling": 0.9,
        "relevance": 0.9,
        "presence": 0.8,
        "behavioural_stories": 0.8,
    },
    "data_science": {"technical_depth": 1.0, "structure": 0.8, "clarity": 0.8, "relevance": 0.7},
    "sales": {"presence": 1.0, "speaking_pace": 0.9, "eye_contact": 0.9, "filler_words": 0.8},
}
FOCUS_ALIASES: dict[str, str] = {
    "technical_skills": "technical_depth",
    "technical": "technical_depth",
    "communication": "clarity",
    "storytelling": "star_storytelling",
    "star": "star_storytelling",
    "behavioral": "behavioural_stories",
    "behavioural": "behavioural_stories",
    "body_language": "presence",
    "confidence": "presence",
    "pace": "speaking_pace",
    "fillers": "filler_words",
}
FOCUS_BOOST = 1.5
OBJECTIVES = 4
MIN_ACTIVITIES, MAX_ACTIVITIES = 3, 5


def competency_key(text: str, catalog: Catalog) -> str | None:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    key = FOCUS_ALIASES.get(key, key)
    return key if key in catalog.competencies else None


def priorities(
    catalog: Catalog,
    request: PathGenerationRequest,
    known: Mapping[str, float],
    personalization: PersonalizationData,
) -> list[tuple[str, float]]:
    role = role_category(request.targetRole or "") or ""
    importance = ROLE_IMPORTANCE.get(role, {})
    focus = {
        k
        for f in [*request.focusAreas, *personalization.focusAreas]
        if (k := competency_key(f, catalog))
    }
    avoid = {k for f in personalization.avoidanceAreas if (k := competency_key(f, catalog))}
    scored = []
    for key in catalog.competencies:
        gap = 100.0 - known[key] if key in known else UNKNOWN_GAP
        score = (
            gap * importance.get(key, DEFAULT_IMPORTANCE) * (FOCUS_BOOST if key in focus else 1.0)
        )
        scored.append((key, round(score, 4)))
    ordered = sorted(scored, key=lambda kv: (-kv[1], kv[0]))
    kept = [kv for kv in ordered if kv[0] not in avoid]
    return kept or ordered


def to_activity(
    a: CatalogActivity, *, module_id: str, suffix: str = "", title_prefix: str = ""
) -> LearningActivity:
    assessment = None
    if a.assessment is not None:
        assessment = Assessment(
            assessmentId=f"{module_id}-{a.catalogId}{suffix}-check",
            type=a.assessment.type,  # type: ignore[arg-type]
            questions=[
                AssessmentQuestion(
                    questionId=f"q{i + 1}",
                    prompt=q.prompt,
                    options=list(q.options),
                    answer=q.answer,
                )
                for i, q in enumerate(a.assessment.questions)
            ],
            passingScore=a.assessment.passingScore,
        )
    return LearningActivity(
        activityId=f"{module_id}-{a.catalogId}{suffix}",
        type=a.type,
        title=title_prefix + a.title,
        description=a.description,
        duration=a.duration,
        difficulty=a.level,  # type: ignore[arg-type]
        content=ActivityContent(instructions=a.instructions),
        interactivity=a.interactivity,
        adaptiveParameters=AdaptiveParameters(
            difficultyLevel=a.difficulty, focusArea=a.competencies[0]
        ),
        completionCriteria=a.completionCriteria.model_copy(),
        catalogId=a.catalogId,
        competencies=list(a.competencies),
        assessment=assessment,
    )


def adaptive_elements() -> list[AdaptiveElement]:
    def element(
        i: int, kind: str, trigger: AdaptiveTrigger, action: AdaptiveAction
    ) -> AdaptiveElement:
        return AdaptiveElement(elementId=f"adapt-{i}", type=kind, trigger=trigger, action=action)  # type: ignore[arg-type]

    return [
        element(
            1,
            "content_selection",
            AdaptiveTrigger(type="low_performance", threshold=60, metric="score"),
            AdaptiveAction(
                type="recommend_additional_practice", parameters=AdaptiveParameters(practiceCount=2)
            ),
        ),
        element(
            2,
            "difficulty_adjustment",
            AdaptiveTrigger(type="low_performance", threshold=60, metric="score"),
            AdaptiveAction(
                type="adjust_difficulty", parameters=AdaptiveParameters(difficultyAdjustment=-1)
            ),
        ),
        element(
            3,
            "pacing_modification",
            AdaptiveTrigger(
                type="taking_too_long",
                threshold=1.5,
                metric="time_ratio",
                comparison="greater_than",
            ),
            AdaptiveAction(type="modify_pacing", parameters=AdaptiveParameters(paceMultiplier=1.3)),
        ),
        element(
            4,
            "support_provision",
            AdaptiveTrigger(type="low_engagement", threshold=3, metric="engagement"),
            AdaptiveAction(type="provide_additional_support"),
        ),
        element(
            5,
            "content_selection",
            AdaptiveTrigger(
                type="mastery_shown", threshold=90, metric="score", comparison="greater_than"
            ),
            AdaptiveAction(type="skip_redundant_content"),
        ),
    ]


def module_count(timeframe: int) -> int:
    return max(3, min(8, round(0.75 * timeframe)))


def build_path(
    *,
    path_id: str,
    user_id: str,
    request: PathGenerationRequest,
    skills: SkillAnalysis,
    personalization: PersonalizationData,
    catalog: Catalog,
    now: datetime,
) -> LearningPath:
    known = dict(skills.mastery)
    ordered = priorities(catalog, request, known, personalization)
    n_modules = module_count(request.timeframe)
    chosen = [key for key, _ in ordered[:n_modules]]
    minutes = (
        request.timeframe
        * personalization.timeAvailability.daysPerWeek
        * personalization.timeAvailability.dailyMinutes
    )
    per_module = minutes // n_modules
    start = START_DIFFICULTY[request.currentLevel]
    modules: list[LearningModule] = []
    for i, key in enumerate(chosen):
        module_id = f"m{i + 1}"
        floor = min(8, start + i // 2)
        pool = catalog.for_competency(key)
        candidates = [a for a in pool if a.difficulty >= floor] or pool[-MIN_ACTIVITIES:]
        picked: list[CatalogActivity] = []
        used = 0
        for a in candidates:
            if len(picked) >= MAX_ACTIVITIES or (
                len(picked) >= MIN_ACTIVITIES and used + a.duration > per_module
            ):
                break
            picked.append(a)
            used += a.duration
        if len(picked) < MIN_ACTIVITIES:
            picked = (picked + [a for a in pool if a not in picked])[:MIN_ACTIVITIES]
        activities = [to_activity(a, module_id=module_id) for a in picked]
        if i == 0 and not known:
            diagnostic = next(a for a in pool if a.type == "practice_session")
            activities.insert(
                0,
                to_activity(
                    diagnostic,
                    module_id=module_id,
                    suffix="-diagnostic",
                    title_prefix="Diagnostic: ",
                ),
            )
        label = catalog.competencies[key].label
        levels = [a.difficulty for a in activities]
        modules.append(
            LearningModule(
                moduleId=module_id,
                title=f"{label}",
                description=f"Module {i + 1}: {label.lower()}, "
                + (f"measured at {known[key]:.0f}/100." if key in known else "not measured yet."),
                estimatedTime=sum(a.duration for a in activities),
                difficulty=activities[-1].difficulty if levels else "beginner",
                prerequisites=[modules[-1].moduleId] if modules else [],
                learningActivities=activities,
                competency=key,
            )
        )
    objectives = []
    for key, _ in ordered[:OBJECTIVES]:
        current = known.get(key)
        target = min(100.0, max(READY_SCORE, (current or 0.0) + GAIN_PER_WEEK * request.timeframe))
        label = catalog.competencies[key].label
        objectives.append(
            LearningObjective(
                id=f"obj-{key}",
                description=f"Raise {label.lower()} to {target:.0f}/100",
                category=key,
                measurable=True,
                targetScore=round(target, 1),
                currentScore=current,
            )
        )
    pace_days = minutes / max(1, personalization.timeAvailability.dailyMinutes)
    return LearningPath(
        pathId=path_id,
        userId=user_id,
        pathType="interview_mastery"
        if request.goalType == "job_interview"
        else "skill_development"
        if request.goalType == "skill_improvement"
        else "role_preparation",
        title=f"{request.timeframe}-week plan"
        + (f" for {request.targetRole}" if request.targetRole else ""),
        description="Built from your measured skills: weakest high-impact competencies first.",
        estimatedDuration=request.timeframe,
        difficulty=request.currentLevel,
        prerequisites=[],
        objectives=objectives,
        modules=modules,
        adaptiveElements=adaptive_elements(),
        progress=PathProgress(
            completionPercentage=0,
            currentModule=modules[0].moduleId,
            timeSpent=0,
            activitiesCompleted=0,
            lastAccessed=now,
            estimatedCompletion=now + timedelta(days=max(request.timeframe * 7, round(pace_days))),
        ),
        personalization=personalization,
        createdAt=now,
        updatedAt=now,
        source="deterministic",
        skillAnalysis=skills,
        catalogVersion=catalog.version,
    )

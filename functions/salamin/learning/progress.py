"""Progress events and adaptations: pure functions on a `LearningPath`, applied exactly once.

`apply_progress` follows the spec's trackProgress: completion criteria (`minScore`,
`minTimeSpent`, `requiredActions`), `activitiesCompleted` and `completionPercentage`, module
completion (milestone, next `currentModule`, a notification), `estimatedCompletion` from the
observed minutes per activity and `timeAvailability.dailyMinutes`, then the triggers:
score < 60 → `low_performance`; time spent > 1.5 × expected → `taking_too_long`;
engagement < 3 → `low_engagement`; score ≥ 90 → `mastery_shown`.

`adapt` runs every adaptive element whose trigger matches and appends one `adaptationLog`
entry per action with its before and after, so the path explains every change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from salamin.learning.builder import competency_key, to_activity
from salamin.learning.catalog import Catalog
from salamin.models.learning import (
    ActivityProgress,
    AdaptationLogEntry,
    AdaptiveElement,
    AdaptiveTrigger,
    LearningActivity,
    LearningModule,
    LearningPath,
    Milestone,
)

LOW_SCORE = 60.0
SLOW_RATIO = 1.5
LOW_ENGAGEMENT = 3.0
MASTERY_SCORE = 90.0
DEFAULT_PRACTICE = 2
NEXT_MODULES = 3
DEFAULT_ACTIVITY_MINUTES = 30
SUPPORT_NOTE = (
    "Stuck? Watch this module's video lesson first, or book a peer round before retrying."
)
CONTEXT_KEYS = {
    "score": ("score", "currentScore"),
    "time_ratio": ("timeRatio", "time_ratio"),
    "engagement": ("engagementScore", "engagement"),
}
METRIC_KEYS = frozenset(k for keys in CONTEXT_KEYS.values() for k in keys)
"""Context keys a trigger compares with its threshold: numbers, or absent."""


def is_metric_value(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Effects:
    """What an event caused besides the path change: notifications to write with it."""

    notifications: list[dict[str, Any]] = field(default_factory=list)
    completed: bool = False
    adaptations: list[str] = field(default_factory=list)


def event_id_for(path_id: str, progress: ActivityProgress) -> str:
    """The client's eventId, or one derived from the whole request (a retried identical call
    maps to the same event)."""
    if progress.eventId:
        return progress.eventId
    body = progress.model_dump_json(exclude={"eventId"})
    return "h" + hashlib.sha256(f"{path_id}|{body}".encode()).hexdigest()[:40]


def find(path: LearningPath, activity_id: str) -> tuple[int, int] | None:
    for mi, module in enumerate(path.modules):
        for ai, activity in enumerate(module.learningActivities):
            if activity.activityId == activity_id:
                return mi, ai
    return None


def meets_criteria(activity: LearningActivity, progress: ActivityProgress) -> bool:
    c = activity.completionCriteria
    if c.minScore is not None and (progress.score is None or progress.score < c.minScore):
        return False
    if c.minTimeSpent is not None and progress.timeSpent < c.minTimeSpent:
        return False
    return all(a in progress.completedActions for a in c.requiredActions)


def _all(path: LearningPath) -> list[LearningActivity]:
    return [a for m in path.modules for a in m.learningActivities]


def _recount(path: LearningPath) -> None:
    activities = _all(path)
    done = sum(1 for a in activities if a.completionCriteria.completed)
    path.progress.activitiesCompleted = done
    path.progress.completionPercentage = (
        round(100.0 * done / len(activities), 2) if activities else 0.0
    )


def _current_index(path: LearningPath) -> int:
    return next(
        (i for i, m in enumerate(path.modules) if m.moduleId == path.progress.currentModule), 0
    )


def _estimate(path: LearningPath, now: datetime) -> None:
    remaining = [a for a in _all(path) if not a.completionCriteria.completed]
    done = path.progress.activitiesCompleted
    per = (
        path.progress.timeSpent / done
        if done and path.progress.timeSpent
        else DEFAULT_ACTIVITY_MINUTES
    )
    minutes = per * len(remaining)
    days = -(-minutes // path.personalization.timeAvailability.dailyMinutes)
    path.progress.estimatedCompletion = now + timedelta(days=int(days))


def _complete_modules(path: LearningPath, now: datetime, event_id: str, effects: Effects) -> None:
    for i, module in enumerate(path.modules):
        if module.completed or not all(
            a.completionCriteria.completed for a in module.learningActivities
        ):
            continue
        module.completed = True
        scores = [
            path.progress.assessmentScores[a.activityId]
            for a in module.learningActivities
            if a.activityId in path.progress.assessmentScores
        ]
        module.score = round(sum(scores) / len(scores), 1) if scores else None
        last = all(m.completed for m in path.modules)
        milestone = Milestone(
            id=f"ms-{module.moduleId}",
            type="path_completion" if last else "module_completion",
            title=f"Completed: {module.title}",
            description=f"Finished module {i + 1}"
            + (f" with an average score of {module.score:.0f}" if module.score is not None else ""),
            achievedAt=now,
            celebrationMessage="Path complete: you are ready for the real thing."
            if last
            else "Great progress! One step closer to interview mastery.",
        )
        path.progress.milestones.append(milestone)
        if path.progress.currentModule == module.moduleId and i + 1 < len(path.modules):
            path.progress.currentModule = path.modules[i + 1].moduleId
        effects.notifications.append(
            {
                "id": f"{path.pathId}-{milestone.id}",
                "title": milestone.title,
                "body": milestone.celebrationMessage,
                "eventId": event_id,
            }
        )


def triggers_for(progress: ActivityProgress) -> list[tuple[AdaptiveTrigger, dict[str, Any]]]:
    out: list[tuple[AdaptiveTrigger, dict[str, Any]]] = []
    if progress.score is not None and progress.score < LOW_SCORE:
        out.append(
            (
                AdaptiveTrigger(type="low_performance", threshold=LOW_SCORE, metric="score"),
                {
                    "score": progress.score,
                    "activityType": progress.activityType,
                    "strugglingArea": progress.strugglingArea,
                },
            )
        )
    if progress.expectedTime and progress.timeSpent > SLOW_RATIO * progress.expectedTime:
        out.append(
            (
                AdaptiveTrigger(
                    type="taking_too_long",
                    threshold=SLOW_RATIO,
                    metric="time_ratio",
                    comparison="greater_than",
                ),
                {
                    "timeRatio": round(progress.timeSpent / progress.expectedTime, 3),
                    "difficultyPerception": progress.difficultyPerception,
                },
            )
        )
    if progress.engagementScore is not None and progress.engagementScore < LOW_ENGAGEMENT:
        out.append(
            (
                AdaptiveTrigger(
                    type="low_engagement", threshold=LOW_ENGAGEMENT, metric="engagement"
                ),
                {"engagementScore": progress.engagementScore},
            )
        )
    if progress.score is not None and progress.score >= MASTERY_SCORE:
        out.append(
            (
                AdaptiveTrigger(
                    type="mastery_shown",
                    threshold=MASTERY_SCORE,
                    metric="score",
                    comparison="greater_than",
                ),
                {
                    "score": progress.score,
                    "strugglingArea": None,
                    "activityId": progress.activityId,
                },
            )
        )
    return out


def apply_progress(
    path: LearningPath,
    progress: ActivityProgress,
    *,
    event_id: str,
    catalog: Catalog,
    now: datetime,
) -> Effects:
    """Mutates `path`. The caller checked that the activity exists."""
    effects = Effects()
    located = find(path, progress.activityId)
    if located is None:
        return effects
    mi, ai = located
    activity = path.modules[mi].learningActivities[ai]
    path.progress.timeSpent += progress.timeSpent
    path.progress.lastAccessed = now
    if progress.score is not None:
        path.progress.assessmentScores[activity.activityId] = progress.score
    if not activity.completionCriteria.completed and meets_criteria(activity, progress):
        activity.completionCriteria.completed = True
        effects.completed = True
    _recount(path)
    _complete_modules(path, now, event_id, effects)
    _estimate(path, now)
    for trigger, context in triggers_for(progress):
        effects.adaptations += adapt(
            path, trigger, context, event_id=event_id, catalog=catalog, now=now
        )
    if effects.adaptations:  # a skip may have finished the module
        _complete_modules(path, now, event_id, effects)
        _estimate(path, now)
    path.updatedAt = now
    return effects


def _matches(element: AdaptiveElement, trigger: AdaptiveTrigger, context: dict[str, Any]) -> bool:
    if element.trigger.type != trigger.type or element.trigger.metric != trigger.metric:
        return False
    value = next(
        (context[k] for k in CONTEXT_KEYS[trigger.metric] if context.get(k) is not None), None
    )
    if not is_metric_value(value):  # absent, or a stored event from before requests were checked
        return False
    t = element.trigger
    if t.comparison == "less_than":
        return bool(value < t.threshold)
    if t.comparison == "greater_than":
        return (
            bool(value >= t.threshold) if t.type == "mastery_shown" else bool(value > t.threshold)
        )
    return bool(value == t.threshold)


def adapt(
    path: LearningPath,
    trigger: AdaptiveTrigger,
    context: dict[str, Any],
    *,
    event_id: str | None,
    catalog: Catalog,
    now: datetime,
) -> list[str]:
    """Run every matching adaptive element; returns the actions applied (logged on the path)."""
    applied: list[str] = []
    for element in path.adaptiveElements:
        if not _matches(element, trigger, context):
            continue
        before, after = ACTIONS[element.action.type](path, element, context, catalog)
        path.adaptationLog.append(
            AdaptationLogEntry(
                at=now,
                eventId=event_id,
                trigger=trigger,
                context={k: v for k, v in context.items() if v is not None},
                action=element.action.type,
                before=before,
                after=after,
            )
        )
        applied.append(element.action.type)
    if applied:
        _recount(path)
        path.updatedAt = now
    return applied


def _current(path: LearningPath) -> LearningModule:
    return path.modules[_current_index(path)]


def _add_practice(
    path: LearningPath, element: AdaptiveElement, context: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    module = _current(path)
    area = competency_key(str(context.get("strugglingArea") or ""), catalog) or module.competency
    count = element.action.parameters.practiceCount or DEFAULT_PRACTICE
    before = {"moduleId": module.moduleId, "activities": len(module.learningActivities)}
    pool = [a for a in catalog.for_competency(area) if a.type in ("practice_session", "exercise")]
    existing = {a.activityId for a in _all(path)}
    added: list[str] = []
    n = 0
    while len(added) < count and pool:
        a = pool[n % len(pool)]
        suffix = f"-x{len(module.learningActivities) + 1}"
        activity = to_activity(
            a, module_id=module.moduleId, suffix=suffix, title_prefix="Extra practice: "
        )
        if activity.activityId not in existing:
            module.learningActivities.append(activity)
            existing.add(activity.activityId)
            added.append(activity.activityId)
        n += 1
    module.completed = False
    module.estimatedTime = sum(a.duration for a in module.learningActivities)
    return before, {
        "moduleId": module.moduleId,
        "activities": len(module.learningActivities),
        "added": added,
        "area": area,
    }


def _adjust_difficulty(
    path: LearningPath, element: AdaptiveElement, context: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    step = element.action.parameters.difficultyAdjustment or 0
    start = _current_index(path) + 1
    upcoming = path.modules[start : start + NEXT_MODULES]
    before = {
        m.moduleId: [a.adaptiveParameters.difficultyLevel for a in m.learningActivities]
        for m in upcoming
    }
    for m in upcoming:
        for a in m.learningActivities:
            a.adaptiveParameters.difficultyLevel = max(
                1, min(10, a.adaptiveParameters.difficultyLevel + step)
            )
    after = {
        m.moduleId: [a.adaptiveParameters.difficultyLevel for a in m.learningActivities]
        for m in upcoming
    }
    return before, after


def _modify_pacing(
    path: LearningPath, element: AdaptiveElement, context: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    factor = element.action.parameters.paceMultiplier or 1.3
    module = _current(path)
    remaining = [a for a in module.learningActivities if not a.completionCriteria.completed]
    before = {a.activityId: a.duration for a in remaining}
    for a in remaining:
        a.duration = min(600, round(a.duration * factor))
    module.estimatedTime = sum(a.duration for a in module.learningActivities)
    return {"durations": before}, {"durations": {a.activityId: a.duration for a in remaining}}


def _support(
    path: LearningPath, element: AdaptiveElement, context: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    module = _current(path)
    remaining = [a for a in module.learningActivities if not a.completionCriteria.completed]
    before = {"withSupport": sum(1 for a in remaining if a.content.supportNote)}
    for a in remaining:
        a.content.supportNote = SUPPORT_NOTE
    return before, {"withSupport": len(remaining), "note": SUPPORT_NOTE}


def _skip(
    path: LearningPath, element: AdaptiveElement, context: dict[str, Any], catalog: Catalog
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mastery shown on an activity: the current module's other incomplete activities that are
    no harder than it (and not practice with a score requirement) are skipped."""
    located = find(path, str(context.get("activityId") or ""))
    module = _current(path)
    level = (
        path.modules[located[0]].learningActivities[located[1]].adaptiveParameters.difficultyLevel
        if located
        else 0
    )
    skipped = []
    for a in module.learningActivities:
        if (
            not a.completionCriteria.completed
            and a.adaptiveParameters.difficultyLevel <= level
            and a.type in ("reading", "video_lesson", "exercise")
        ):
            a.completionCriteria.completed = True
            a.completionCriteria.skipped = True
            skipped.append(a.activityId)
    return {
        "incomplete": [
            a.activityId
            for a in module.learningActivities
            if not a.completionCriteria.completed or a.activityId in skipped
        ]
    }, {"skipped": skipped}


ACTIONS = {
    "recommend_additional_practice": _add_practice,
    "adjust_difficulty": _adjust_difficulty,
    "modify_pacing": _modify_pacing,
    "provide_additional_support": _support,
    "skip_redundant_content": _skip,
}

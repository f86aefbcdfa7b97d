"""Progress and adaptation as pure functions, including the spec's adaptation test."""

from __future__ import annotations

from salamin.learning.catalog import load
from salamin.learning.progress import adapt, apply_progress, event_id_for
from salamin.models.learning import ActivityProgress, AdaptiveTrigger
from tests.learning.support import NOW, make_path


def spec_mock_path():  # type: ignore[no-untyped-def]
    """createMockLearningPath: the user is in module 2, which has 5 activities."""
    path = make_path({"technical_depth": 55.0, "system_design": 40.0, "structure": 70.0})
    path.progress.currentModule = path.modules[1].moduleId
    del path.modules[1].learningActivities[5:]
    while len(path.modules[1].learningActivities) < 5:
        path.modules[1].learningActivities.append(
            path.modules[2]
            .learningActivities[len(path.modules[1].learningActivities)]
            .model_copy(update={"activityId": f"pad-{len(path.modules[1].learningActivities)}"})
        )
    assert len(path.modules[1].learningActivities) == 5
    return path


def test_the_specs_adaptation_test() -> None:
    path = spec_mock_path()
    applied = adapt(
        path,
        AdaptiveTrigger(type="low_performance", threshold=60, metric="score"),
        {"currentScore": 45, "strugglingArea": "system_design"},
        event_id="e1",
        catalog=load(),
        now=NOW,
    )
    assert len(path.modules[1].learningActivities) == 7  # additional practice added
    added = path.modules[1].learningActivities[5:]
    assert all(
        a.competencies == ["system_design"] and a.type in ("practice_session", "exercise")
        for a in added
    )
    assert "recommend_additional_practice" in applied and "adjust_difficulty" in applied
    entry = next(e for e in path.adaptationLog if e.action == "recommend_additional_practice")
    assert entry.before["activities"] == 5 and entry.after["activities"] == 7
    assert entry.context == {"currentScore": 45, "strugglingArea": "system_design"}
    difficulty = next(e for e in path.adaptationLog if e.action == "adjust_difficulty")
    for module_id, levels in difficulty.after.items():
        assert levels == [max(1, x - 1) for x in difficulty.before[module_id]]


def activity(path, module: int = 0, index: int = 0):  # type: ignore[no-untyped-def]
    return path.modules[module].learningActivities[index]


def test_completion_criteria_decide_completion() -> None:
    path = make_path({"filler_words": 40.0})
    practice = next(a for a in path.modules[0].learningActivities if a.completionCriteria.minScore)
    low = ActivityProgress(
        activityId=practice.activityId,
        timeSpent=60,
        score=(practice.completionCriteria.minScore or 0) - 1,
        completedActions=["recorded_answer"],
    )
    assert not apply_progress(path, low, event_id="e1", catalog=load(), now=NOW).completed
    ok = low.model_copy(update={"score": 95.0})
    assert apply_progress(path, ok, event_id="e2", catalog=load(), now=NOW).completed
    assert path.progress.activitiesCompleted >= 1 and path.progress.timeSpent == 120


def test_finishing_a_module_adds_a_milestone_advances_and_notifies() -> None:
    path = make_path({"filler_words": 40.0})
    module = path.modules[0]
    effects = None
    for i, a in enumerate(module.learningActivities):
        progress = ActivityProgress(
            activityId=a.activityId,
            timeSpent=a.duration,
            score=80,
            completedActions=list(a.completionCriteria.requiredActions),
        )
        effects = apply_progress(path, progress, event_id=f"e{i}", catalog=load(), now=NOW)
    assert effects is not None and effects.notifications
    assert module.completed and path.progress.currentModule == path.modules[1].moduleId
    assert [m.type for m in path.progress.milestones] == ["module_completion"]
    total = sum(len(m.learningActivities) for m in path.modules)
    assert path.progress.completionPercentage == round(
        100 * len(module.learningActivities) / total, 2
    )
    assert path.progress.estimatedCompletion > NOW


def test_the_three_spec_triggers_and_mastery_adapt_and_log() -> None:
    path = make_path({"filler_words": 40.0})
    a = activity(path, 0, 1)
    slow = ActivityProgress(
        activityId=a.activityId, timeSpent=100, expectedTime=30, engagementScore=2
    )
    effects = apply_progress(path, slow, event_id="slow", catalog=load(), now=NOW)
    assert set(effects.adaptations) == {"modify_pacing", "provide_additional_support"}
    assert {e.trigger.type for e in path.adaptationLog} == {"taking_too_long", "low_engagement"}
    assert all(e.eventId == "slow" for e in path.adaptationLog)
    b = activity(path, 0, 2)
    effects = apply_progress(
        path,
        ActivityProgress(activityId=b.activityId, timeSpent=30, score=95),
        event_id="great",
        catalog=load(),
        now=NOW,
    )
    assert "skip_redundant_content" in effects.adaptations


def test_derived_event_ids_are_stable_per_request() -> None:
    p = ActivityProgress(activityId="m1-x", timeSpent=10, score=70)
    assert event_id_for("path-1", p) == event_id_for("path-1", p.model_copy())
    assert event_id_for("path-1", p) != event_id_for("path-1", p.model_copy(update={"score": 71.0}))
    assert event_id_for("path-1", p.model_copy(update={"eventId": "client-1"})) == "client-1"

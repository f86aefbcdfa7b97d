"""Learning paths against the Firestore emulator: generation from stored mastery, progress
events exactly once (also 50 at once), adaptation logged, next activity, ownership."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.core.errors import InvalidArgument, NotFound, PermissionDenied
from salamin.learning import service, skills
from salamin.models.learning import ActivityProgress, AdaptiveTrigger, LearningPath
from tests.learning.support import NOW, SPEC_REQUEST

CLOCK = FixedClock(NOW)
ME = Caller(uid="user-1")


@pytest.fixture
def path(db) -> LearningPath:  # type: ignore[no-untyped-def]
    skills.record_evidence(
        db,
        uid="user-1",
        evidence_id="a1",
        scores={"filler_words": 30.0, "technical_depth": 70.0},
        kind="analysis",
    )
    return service.generate_personalized_path(
        db, caller=ME, request=SPEC_REQUEST, personalization=None, clock=CLOCK
    )


def stored(db, path_id: str) -> LearningPath:  # type: ignore[no-untyped-def]
    return LearningPath.model_validate(
        db.collection(col.LEARNING_PATHS).document(path_id).get().to_dict()
    )


def test_the_path_carries_measured_scores(db, path) -> None:  # type: ignore[no-untyped-def]
    saved = stored(db, path.pathId)
    assert saved == path
    assert saved.skillAnalysis.mastery["filler_words"] < 50
    scores = {o.category: o.currentScore for o in saved.objectives}
    assert scores.get("filler_words") == saved.skillAnalysis.mastery["filler_words"]


def test_a_retried_identical_progress_call_counts_once(db, path) -> None:  # type: ignore[no-untyped-def]
    a = path.modules[0].learningActivities[0]
    progress = ActivityProgress(
        activityId=a.activityId,
        timeSpent=a.duration,
        score=80,
        completedActions=list(a.completionCriteria.requiredActions),
    )
    first = service.track_progress(
        db, caller=ME, path_id=path.pathId, activity_id=a.activityId, progress=progress, clock=CLOCK
    )
    again = service.track_progress(
        db, caller=ME, path_id=path.pathId, activity_id=a.activityId, progress=progress, clock=CLOCK
    )
    assert first["eventId"] == again["eventId"] and again["duplicate"] and not first["duplicate"]
    saved = stored(db, path.pathId)
    assert saved.progress.timeSpent == a.duration and saved.eventsApplied == 1
    assert saved.progress.activitiesCompleted == 1


def test_fifty_concurrent_events_on_one_path_all_count_once(db, path) -> None:  # type: ignore[no-untyped-def]
    a = path.modules[2].learningActivities[0]

    def send(i: int) -> dict:
        p = ActivityProgress(activityId=a.activityId, timeSpent=1, eventId=f"ev-{i}")
        return service.track_progress(
            db, caller=ME, path_id=path.pathId, activity_id=a.activityId, progress=p, clock=CLOCK
        )

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(send, range(50)))
    assert len({r["eventId"] for r in results}) == 50
    saved = stored(db, path.pathId)
    assert saved.progress.timeSpent == 50 and saved.eventsApplied == 50
    events = list(
        db.collection(col.LEARNING_PATHS).document(path.pathId).collection(col.PATH_EVENTS).stream()
    )
    assert len(events) == 50 and all(e.to_dict()["applied"] for e in events)


def test_a_low_score_adds_practice_on_the_struggling_area_and_logs_why(db, path) -> None:  # type: ignore[no-untyped-def]
    module = path.modules[0]
    a = module.learningActivities[0]
    p = ActivityProgress(
        activityId=a.activityId, timeSpent=20, score=45, strugglingArea="system_design"
    )
    result = service.track_progress(
        db, caller=ME, path_id=path.pathId, activity_id=a.activityId, progress=p, clock=CLOCK
    )
    assert "recommend_additional_practice" in result["adaptations"]
    saved = stored(db, path.pathId)
    assert len(saved.modules[0].learningActivities) == len(module.learningActivities) + 2
    entry = next(e for e in saved.adaptationLog if e.action == "recommend_additional_practice")
    assert entry.trigger.type == "low_performance" and entry.context["score"] == 45
    assert entry.after["area"] == "system_design" and entry.eventId == result["eventId"]
    # The same adaptation request twice adapts once.
    trigger = AdaptiveTrigger(type="low_engagement", threshold=3, metric="engagement")
    for _ in range(2):
        service.adapt_path(
            db,
            caller=ME,
            path_id=path.pathId,
            trigger=trigger,
            context={"engagementScore": 1},
            event_id=None,
            clock=CLOCK,
        )
    assert (
        sum(
            1
            for e in stored(db, path.pathId).adaptationLog
            if e.action == "provide_additional_support"
        )
        == 1
    )


def test_module_completion_notifies_in_app_and_by_mail(db, path) -> None:  # type: ignore[no-untyped-def]
    for a in path.modules[0].learningActivities:
        p = ActivityProgress(
            activityId=a.activityId,
            timeSpent=a.duration,
            score=80,
            completedActions=list(a.completionCriteria.requiredActions),
        )
        service.track_progress(
            db, caller=ME, path_id=path.pathId, activity_id=a.activityId, progress=p, clock=CLOCK
        )
    saved = stored(db, path.pathId)
    assert saved.modules[0].completed and saved.progress.currentModule == "m2"
    notes = list(
        db.collection(col.USERS).document("user-1").collection(col.USER_NOTIFICATIONS).stream()
    )
    assert len(notes) == 1 and notes[0].to_dict()["pathId"] == path.pathId
    assert db.collection(col.MAIL).document(f"learning-{notes[0].id}").get().exists
    nxt = service.recommend_next_activity(db, caller=ME, path_id=path.pathId)
    assert nxt.module is not None and nxt.module.moduleId == "m2"
    assert (
        nxt.activity is not None
        and nxt.activity.activityId == saved.modules[1].learningActivities[0].activityId
    )
    assert nxt.reasoningSource == "template" and nxt.prerequisites == []


def test_only_the_owner_and_bad_input(db, path) -> None:  # type: ignore[no-untyped-def]
    a = path.modules[0].learningActivities[0]
    p = ActivityProgress(activityId=a.activityId, timeSpent=5)
    with pytest.raises(PermissionDenied):
        service.track_progress(
            db,
            caller=Caller(uid="mallory"),
            path_id=path.pathId,
            activity_id=a.activityId,
            progress=p,
            clock=CLOCK,
        )
    with pytest.raises(PermissionDenied):
        service.recommend_next_activity(db, caller=Caller(uid="mallory"), path_id=path.pathId)
    with pytest.raises(NotFound):
        service.track_progress(
            db,
            caller=ME,
            path_id=path.pathId,
            activity_id="nope",
            progress=p.model_copy(update={"activityId": "nope"}),
            clock=CLOCK,
        )
    with pytest.raises(InvalidArgument):
        service.track_progress(
            db, caller=ME, path_id=path.pathId, activity_id="other", progress=p, clock=CLOCK
        )
    with pytest.raises(NotFound):
        service.recommend_next_activity(db, caller=ME, path_id="missing")
    assert stored(db, path.pathId).eventsApplied == 0


def test_an_adapt_event_with_a_non_numeric_score_neither_fails_nor_blocks_the_path(
    db, path
) -> None:  # type: ignore[no-untyped-def]
    """Found by the callable fuzz suite: `context: {"score": "x"}` was stored as an event whose
    application raised, so it stayed pending and every later event of the path failed too. The
    request model now refuses it; an event stored before that is skipped, not fatal."""
    from pydantic import ValidationError

    from salamin.api.learning import AdaptPathRequest

    trigger = {"type": "low_performance", "threshold": 50, "metric": "score"}
    for bad in ("x", [1], {"v": 1}, True):
        with pytest.raises(ValidationError):
            AdaptPathRequest.model_validate(
                {"pathId": path.pathId, "trigger": trigger, "context": {"score": bad}}
            )
    result = service.adapt_path(
        db,
        caller=ME,
        path_id=path.pathId,
        trigger=AdaptiveTrigger.model_validate(trigger),
        context={"score": "x"},  # as a stored event from before the check
        event_id="poisoned",
        clock=CLOCK,
    )
    assert result["adaptations"] == []
    module = stored(db, path.pathId).modules[0]
    later = service.track_progress(
        db,
        caller=ME,
        path_id=path.pathId,
        activity_id=module.learningActivities[0].activityId,
        progress=ActivityProgress(
            activityId=module.learningActivities[0].activityId, timeSpent=10, score=90
        ),
        clock=CLOCK,
    )
    assert later["duplicate"] is False

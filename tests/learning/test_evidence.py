"""A completed analysis as learning evidence: mastery, objectives and a tied practice session
update once; another person's analysis never progresses my path. (The deployed trigger runs the
same function on the same documents; both are idempotent, so racing it is harmless.)"""

from __future__ import annotations

from datetime import timedelta

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.learning import evidence, service
from salamin.models.learning import LearningPath, PathGenerationRequest
from tests.benchmarks.support import analysis_doc
from tests.learning.support import NOW

CLOCK = FixedClock(NOW)
REQUEST = PathGenerationRequest(
    goalType="skill_improvement", timeframe=4, currentLevel="beginner", focusAreas=["fillers"]
)


def fillers(score: float) -> dict:
    return {"verbal": {"fillerWords": {"source": "measured", "score": score}}, "overall": {}}


def stored(db, path_id: str) -> LearningPath:  # type: ignore[no-untyped-def]
    return LearningPath.model_validate(
        db.collection(col.LEARNING_PATHS).document(path_id).get().to_dict()
    )


def test_a_tied_practice_analysis_completes_the_activity_once(db) -> None:  # type: ignore[no-untyped-def]
    path = service.generate_personalized_path(
        db, caller=Caller(uid="me"), request=REQUEST, personalization=None, clock=CLOCK
    )
    diagnostic = path.modules[0].learningActivities[0]
    assert path.modules[0].competency == "filler_words" and diagnostic.type == "practice_session"
    aid = f"{path.pathId}--{diagnostic.activityId}"
    db.collection(col.ADVANCED_ANALYSES).document(aid).set(
        analysis_doc("me", fillers(82), at=NOW + timedelta(minutes=1))
    )
    for _ in range(2):
        evidence.on_analysis_written(db, analysis_id=aid, clock=CLOCK)
    after = stored(db, path.pathId)
    assert after.modules[0].learningActivities[0].completionCriteria.completed
    assert after.progress.assessmentScores[diagnostic.activityId] == 82
    assert after.progress.timeSpent == diagnostic.duration  # counted once
    objective = next(o for o in after.objectives if o.category == "filler_words")
    assert objective.currentScore is not None and objective.currentScore > 50
    assert after.skillAnalysis.mastery["filler_words"] == objective.currentScore


def test_someone_elses_analysis_does_not_progress_my_path(db) -> None:  # type: ignore[no-untyped-def]
    path = service.generate_personalized_path(
        db, caller=Caller(uid="me"), request=REQUEST, personalization=None, clock=CLOCK
    )
    diagnostic = path.modules[0].learningActivities[0]
    aid = f"{path.pathId}--{diagnostic.activityId}"
    db.collection(col.ADVANCED_ANALYSES).document(aid).set(analysis_doc("mallory", fillers(99)))
    evidence.on_analysis_written(db, analysis_id=aid, clock=CLOCK)
    after = stored(db, path.pathId)
    assert not after.modules[0].learningActivities[0].completionCriteria.completed
    assert after.progress.timeSpent == 0
    assert all(o.currentScore is None for o in after.objectives)


def test_an_analysis_without_benchmarked_metrics_is_no_evidence(db) -> None:  # type: ignore[no-untyped-def]
    db.collection(col.ADVANCED_ANALYSES).document("empty").set(analysis_doc("me", {"overall": {}}))
    assert evidence.on_analysis_written(db, analysis_id="empty", clock=CLOCK) == "no_evidence"
    db.collection(col.ADVANCED_ANALYSES).document("queued").set(
        {"userId": "me", "status": "queued"}
    )
    assert evidence.on_analysis_written(db, analysis_id="queued", clock=CLOCK) == "skipped"


def test_a_completed_rated_expert_session_completes_the_expert_activity_once(db) -> None:  # type: ignore[no-untyped-def]
    request = PathGenerationRequest(
        goalType="job_interview",
        targetRole="SWE",
        timeframe=4,
        currentLevel="advanced",
        focusAreas=["system_design"],
    )
    path = service.generate_personalized_path(
        db, caller=Caller(uid="me"), request=request, personalization=None, clock=CLOCK
    )
    expert_activity = next(
        a for a in path.modules[0].learningActivities if a.type == "expert_session"
    )
    db.collection(col.EXPERTS).document("sd-1").set(
        {"expertId": "sd-1", "interviewSpecialties": [{"type": "system_design"}]}
    )
    session = db.collection(col.EXPERT_SESSIONS).document("sess-1")
    session.set({"userId": "me", "expertId": "sd-1", "status": "confirmed", "duration": 60})
    assert evidence.on_expert_session_written(db, session_id="sess-1", clock=CLOCK) == "skipped"
    session.update({"status": "completed"})
    assert (
        evidence.on_expert_session_written(db, session_id="sess-1", clock=CLOCK) == "skipped"
    )  # no feedback yet
    session.update({"feedback": {"userFeedback": {"rating": 5, "feedback": "great"}}})
    for _ in range(2):
        evidence.on_expert_session_written(db, session_id="sess-1", clock=CLOCK)
    after = stored(db, path.pathId)
    done = next(
        a for a in after.modules[0].learningActivities if a.activityId == expert_activity.activityId
    )
    assert done.completionCriteria.completed
    assert after.progress.timeSpent == 60  # once


def test_a_session_booked_from_the_path_completes_exactly_the_linked_activity(db) -> None:  # type: ignore[no-untyped-def]
    request = PathGenerationRequest(
        goalType="job_interview",
        targetRole="SWE",
        timeframe=4,
        currentLevel="advanced",
        focusAreas=["system_design"],
    )
    path = service.generate_personalized_path(
        db, caller=Caller(uid="me"), request=request, personalization=None, clock=CLOCK
    )
    linked = [a for m in path.modules for a in m.learningActivities if a.type == "expert_session"][
        -1
    ]
    link = evidence.path_link(path_id=path.pathId, activity_id=linked.activityId)
    # A leadership expert: matching by specialty would not pick a system-design activity.
    db.collection(col.EXPERTS).document("lead-1").set(
        {"expertId": "lead-1", "interviewSpecialties": [{"type": "leadership"}]}
    )
    rated = {"feedback": {"userFeedback": {"rating": 4, "feedback": "ok"}}, "status": "completed"}
    # A stranger booking with my link progresses nothing of mine.
    db.collection(col.EXPERT_SESSIONS).document("sess-m").set(
        {"userId": "mallory", "expertId": "lead-1", "duration": 45}
        | rated
        | {"preparationMaterials": [link]}
    )
    assert evidence.on_expert_session_written(db, session_id="sess-m", clock=CLOCK) == "completed 0"
    db.collection(col.EXPERT_SESSIONS).document("sess-2").set(
        {"userId": "me", "expertId": "lead-1", "duration": 45}
        | rated
        | {"preparationMaterials": ["my CV", link]}
    )
    for _ in range(2):  # (the deployed trigger may also run it: idempotent either way)
        evidence.on_expert_session_written(db, session_id="sess-2", clock=CLOCK)
    after = stored(db, path.pathId)
    states = {
        a.activityId: a.completionCriteria.completed
        for m in after.modules
        for a in m.learningActivities
        if a.type == "expert_session"
    }
    assert states[linked.activityId] is True
    assert sum(states.values()) == 1  # only the linked one
    assert after.progress.timeSpent == 45  # once


def test_only_well_formed_path_links_are_read_from_preparation_materials() -> None:
    assert evidence.linked_activities(
        ["x", evidence.path_link(path_id="p1", activity_id="a-1"), "salamin:learningPath/p2"]
    ) == {("p1", "a-1")}
    assert evidence.linked_activities(None) == set()

"""expert_session activities name real experts with open slots, found by the marketplace search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from salamin.core.caller import Caller
from salamin.core.clock import FixedClock, SystemClock
from salamin.learning import service
from salamin.learning.experts import recommended_experts
from salamin.models.learning import ActivityProgress, PathGenerationRequest
from tests.support.discovery import expert_doc, put_expert, specialty, window

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]


def experts(db, now: datetime) -> None:  # type: ignore[no-untyped-def]
    put_expert(
        db,
        expert_doc(
            "sd-1",
            first="Grace",
            last="Hopper",
            specialties=[specialty("system_design")],
            windows=[window(d, "09:00", "17:00") for d in ALL_DAYS],
            now=now,
        ),
        now=now,
    )
    put_expert(
        db,
        expert_doc(
            "sd-away",
            first="Away",
            last="Person",
            specialties=[specialty("system_design")],
            windows=[window(d, "09:00", "17:00") for d in ALL_DAYS],
            vacation=True,
            now=now,
        ),
        now=now,
    )
    put_expert(
        db,
        expert_doc(
            "beh-1",
            first="Ben",
            last="Okafor",
            specialties=[specialty("behavioral")],
            windows=[window(d, "09:00", "17:00") for d in ALL_DAYS],
            now=now,
        ),
        now=now,
    )


def test_experts_address_the_competency_and_have_open_slots(db) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    experts(db, now)
    found = recommended_experts(
        db, user_id="u1", competency="system_design", label="System design", clock=SystemClock()
    )
    assert [e.expertId for e in found] == ["sd-1"]
    assert found[0].name == "Grace Hopper" and "system design" in found[0].matchReason
    assert 1 <= len(found[0].nextSlots) <= 3
    first = datetime.fromisoformat(found[0].nextSlots[0]["startUtc"].replace("Z", "+00:00"))
    assert now <= first <= now + timedelta(days=14)
    assert (
        recommended_experts(
            db,
            user_id="u1",
            competency="technical_depth",
            label="Technical depth",
            clock=SystemClock(),
        )
        == []
    )


def test_recommending_an_expert_session_refreshes_its_experts(db) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    experts(db, now)
    me = Caller(uid="u1")
    request = PathGenerationRequest(
        goalType="job_interview",
        targetRole="SWE",
        timeframe=4,
        currentLevel="advanced",
        focusAreas=["system_design"],
    )
    path = service.generate_personalized_path(
        db, caller=me, request=request, personalization=None, clock=FixedClock(now)
    )
    module = path.modules[0]
    assert module.competency == "system_design"
    # Finish everything before the expert session, then ask what is next.
    for a in module.learningActivities:
        if a.type == "expert_session":
            break
        p = ActivityProgress(
            activityId=a.activityId,
            timeSpent=a.duration,
            score=75,
            completedActions=list(a.completionCriteria.requiredActions),
        )
        service.track_progress(
            db,
            caller=me,
            path_id=path.pathId,
            activity_id=a.activityId,
            progress=p,
            clock=FixedClock(now),
        )
    nxt = service.recommend_next_activity(db, caller=me, path_id=path.pathId, clock=SystemClock())
    assert nxt.activity is not None and nxt.activity.type == "expert_session"
    assert [e.expertId for e in nxt.activity.content.recommendedExperts or []] == ["sd-1"]

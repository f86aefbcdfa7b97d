"""generatePersonalizedPath, trackProgress, adaptPath and recommendNextActivity (spec §3.1).

Progress without lost updates: every progress (or adaptation) request is first stored as
`learningPaths/{pathId}/events/{eventId}` with a create precondition, so a retried identical
request is the same event. Pending events are then applied in arrival order to the path by an
optimistic write: the path (with its `eventsApplied` count) and the events' `applied` flags are
committed in one batch under the path's update-time precondition, together with the event's
notifications (deterministic ids). A writer that loses re-reads; one whose event someone else
applied returns that result. 50 concurrent events on one path all count exactly once, with no
transaction lock held.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import uuid
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument, NotFound, PermissionDenied
from salamin.gateways.gemini import GeminiGateway
from salamin.gateways.mail import Email, queue_mail
from salamin.learning import catalog as catalog_mod
from salamin.learning import coach
from salamin.learning.builder import build_path
from salamin.learning.evidence import path_link
from salamin.learning.planner import plan_with_gemini
from salamin.learning.progress import adapt, apply_progress, event_id_for, find
from salamin.learning.skills import read_skill_analysis, skill_analysis
from salamin.models.learning import (
    ActivityProgress,
    ActivityRecommendation,
    AdaptiveTrigger,
    LearningPath,
    PathGenerationRequest,
    PersonalizationData,
)
from salamin.models.notifications import UserNotification

MAX_APPLY_ATTEMPTS = 80


def path_ref(db: firestore.Client, path_id: str) -> firestore.DocumentReference:
    return db.collection(col.LEARNING_PATHS).document(path_id)


def generate_personalized_path(
    db: firestore.Client,
    *,
    caller: Caller,
    request: PathGenerationRequest,
    personalization: PersonalizationData | None,
    clock: Clock,
    gemini: GeminiGateway | None = None,
) -> LearningPath:
    """Deterministic path, then (with Gemini) the model's checked module choice."""
    catalog = catalog_mod.load()
    skills = read_skill_analysis(db, catalog=catalog, uid=caller.uid)
    path = build_path(
        path_id=f"path_{uuid.uuid4().hex[:20]}",
        user_id=caller.uid,
        request=request,
        skills=skills,
        personalization=personalization or PersonalizationData(focusAreas=list(request.focusAreas)),
        catalog=catalog,
        now=clock.now(),
    )
    path = plan_with_gemini(gemini, path, request, catalog)
    path_ref(db, path.pathId).create(path.model_dump(mode="python", exclude_none=True))
    return path


def _load(db: firestore.Client, path_id: str, caller: Caller) -> tuple[Any, LearningPath]:
    snap = path_ref(db, path_id).get()
    if not snap.exists:
        raise NotFound("no such learning path", reason="learning_path_not_found")
    path = LearningPath.model_validate(snap.to_dict())
    if path.userId != caller.uid and not caller.is_admin:
        raise PermissionDenied("this learning path belongs to another user")
    return snap, path


def _apply_event(
    path: LearningPath, event: dict[str, Any], now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    catalog = catalog_mod.load()
    if event["kind"] == "skills":
        return _refresh_skills(path, event, now), []
    if event["kind"] == "adapt":
        trigger = AdaptiveTrigger.model_validate(event["trigger"])
        actions = adapt(
            path,
            trigger,
            dict(event.get("context") or {}),
            event_id=event["eventId"],
            catalog=catalog,
            now=now,
        )
        return {"adaptations": actions}, []
    progress = ActivityProgress.model_validate(event["progress"])
    effects = apply_progress(path, progress, event_id=event["eventId"], catalog=catalog, now=now)
    return {
        "completed": effects.completed,
        "adaptations": effects.adaptations,
    }, effects.notifications


def _refresh_skills(path: LearningPath, event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """New evidence: objectives' currentScore and skillAnalysis follow the mastery estimates
    (and the benchmark percentiles the event carries)."""
    catalog = catalog_mod.load()
    known = dict(event["mastery"])
    path.skillAnalysis = skill_analysis(
        catalog,
        known,
        evidence=int(event["evidence"]),
        percentiles=dict(event.get("percentiles") or {}),
        benchmark_reason=event.get("benchmarkUnavailableReason"),
    )
    changed = []
    for objective in path.objectives:
        if objective.category in known:
            objective.currentScore = known[objective.category]
            objective.completed = objective.currentScore >= objective.targetScore
            changed.append(objective.id)
    path.updatedAt = now
    return {"objectivesUpdated": changed}


def submit_event(
    db: firestore.Client, *, path_id: str, event: dict[str, Any], clock: Clock
) -> dict[str, Any]:
    """Store the event once, then make sure it is applied; returns its recorded result."""
    ref = path_ref(db, path_id)
    events = ref.collection(col.PATH_EVENTS)
    event_ref = events.document(event["eventId"])
    duplicate = False
    try:
        event_ref.create({**event, "applied": False, "receivedAt": clock.now()})
    except (gexc.AlreadyExists, gexc.Conflict):
        duplicate = True
    for attempt in range(MAX_APPLY_ATTEMPTS):
        mine = event_ref.get()
        if (mine.to_dict() or {}).get("applied"):
            return {**(mine.to_dict() or {}).get("result", {}), "duplicate": duplicate}
        snap = ref.get()
        path = LearningPath.model_validate(snap.to_dict())
        pending = sorted(
            (
                s
                for s in events.where(filter=firestore.FieldFilter("applied", "==", False)).stream()
            ),
            key=lambda s: ((s.to_dict() or {}).get("receivedAt"), s.id),
        )
        now = clock.now()
        batch = db.batch()
        for s in pending:
            data = s.to_dict() or {}
            result, notifications = _apply_event(path, data, now)
            batch.update(s.reference, {"applied": True, "appliedAt": now, "result": result})
            for n in notifications:
                _notify(db, batch, path, n, now)
        path.eventsApplied += len(pending)
        batch.update(
            ref,
            path.model_dump(mode="python", exclude_none=True),
            option=db.write_option(last_update_time=snap.update_time),
        )
        try:
            batch.commit()
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted):
            time.sleep(random.uniform(0.005, 0.03) * min(attempt + 1, 8))
            continue
    raise gexc.Aborted(f"progress event {event['eventId']} on {path_id} not applied")


def _notify(
    db: firestore.Client, batch: Any, path: LearningPath, n: dict[str, Any], now: datetime
) -> None:
    user = db.collection(col.USERS).document(path.userId)
    batch.set(
        user.collection(col.USER_NOTIFICATIONS).document(n["id"]),
        UserNotification(
            type="learning_milestone",
            pathId=path.pathId,
            title=n["title"],
            body=n["body"],
            createdAt=now,
        ).to_firestore(),
    )
    queue_mail(
        batch,
        db,
        mail_id=f"learning-{n['id']}",
        now=now,
        kind="learning_milestone",
        email=Email(to=[], to_uids=[path.userId], subject=n["title"], text=n["body"]),
    )


def track_progress(
    db: firestore.Client,
    *,
    caller: Caller,
    path_id: str,
    activity_id: str,
    progress: ActivityProgress,
    clock: Clock,
) -> dict[str, Any]:
    if progress.activityId != activity_id:
        raise InvalidArgument.at("progressData.activityId", "must equal activityId")
    _, path = _load(db, path_id, caller)
    if find(path, activity_id) is None:
        raise NotFound(f"no activity {activity_id} in this path", reason="activity_not_found")
    event_id = event_id_for(path_id, progress)
    result = submit_event(
        db,
        path_id=path_id,
        event={
            "eventId": event_id,
            "kind": "progress",
            "progress": progress.model_dump(mode="python", exclude_none=True),
        },
        clock=clock,
    )
    return {"pathId": path_id, "eventId": event_id, **result}


def adapt_path(
    db: firestore.Client,
    *,
    caller: Caller,
    path_id: str,
    trigger: AdaptiveTrigger,
    context: dict[str, Any],
    event_id: str | None,
    clock: Clock,
) -> dict[str, Any]:
    _load(db, path_id, caller)
    eid = (
        event_id
        or "a"
        + hashlib.sha256(
            json.dumps(
                [path_id, trigger.model_dump(), context], sort_keys=True, default=str
            ).encode()
        ).hexdigest()[:40]
    )
    result = submit_event(
        db,
        path_id=path_id,
        event={
            "eventId": eid,
            "kind": "adapt",
            "trigger": trigger.model_dump(),
            "context": context,
        },
        clock=clock,
    )
    return {"pathId": path_id, "eventId": eid, **result}


def get_path(db: firestore.Client, *, caller: Caller, path_id: str) -> LearningPath:
    return _load(db, path_id, caller)[1]


PACE = {"slow": 1.3, "fast": 0.8}
TIPS = {
    "practice_session": [
        "Record in a quiet room with the camera at eye level",
        "Read the question twice before you start",
    ],
    "video_lesson": ["Pause at each annotation and say the point in your own words"],
    "reading": ["Skim the headings first, then answer the knowledge check"],
    "exercise": ["Set a timer and stop when it rings"],
    "peer_practice": ["Agree on the scoring scale with your peer before you start"],
    "expert_session": ["Send the expert this module's goal before the session"],
}


def recommend_next_activity(
    db: firestore.Client,
    *,
    caller: Caller,
    path_id: str,
    clock: Clock | None = None,
    gemini: GeminiGateway | None = None,
) -> ActivityRecommendation:
    """The next incomplete activity in path order; duration by pace; experts for an
    expert_session (with a clock: found by the marketplace search); reasoning and tips from
    Gemini when its answer passes `coach.check`, else the labelled template."""
    _, path = _load(db, path_id, caller)
    for mi, module in enumerate(path.modules):
        for activity in module.learningActivities:
            if activity.completionCriteria.completed:
                continue
            unmet = [
                p
                for p in module.prerequisites
                if not next(m for m in path.modules if m.moduleId == p).completed
            ]
            personal = activity.model_copy(deep=True)
            personal.duration = max(
                1, round(activity.duration * PACE.get(path.personalization.preferredPace, 1.0))
            )
            if path.personalization.learningStyle == "visual":
                personal.content.visualElements = True
            elif path.personalization.learningStyle == "auditory":
                personal.content.audioNarration = True
            if personal.type == "expert_session" and clock is not None:
                from salamin.learning.experts import recommended_experts

                label = catalog_mod.load().competencies[module.competency].label
                personal.content.recommendedExperts = recommended_experts(
                    db, user_id=path.userId, competency=module.competency, label=label, clock=clock
                )
            objective = next((o for o in path.objectives if o.category == module.competency), None)
            why = f"Next in module {mi + 1} ({module.title})"
            if objective is not None and objective.currentScore is not None:
                why += f": you measured {objective.currentScore:.0f} against a target of {objective.targetScore:.0f}"
            template = ActivityRecommendation(
                activity=personal,
                module=module,
                reasoning=why + ".",
                reasoningSource="template",
                estimatedTime=personal.duration,
                prerequisites=unmet,
                preparationTips=TIPS.get(activity.type, []),
                bookingLink=(
                    path_link(path_id=path.pathId, activity_id=activity.activityId)
                    if activity.type == "expert_session"
                    else None
                ),
            )
            return coach.explain(gemini, template, path, catalog_mod.load())
    return ActivityRecommendation(
        activity=None,
        module=None,
        reasoning="Congratulations! You have completed your learning path.",
        reasoningSource="template",
        estimatedTime=0,
        prerequisites=[],
        preparationTips=[],
        pathCompleted=True,
    )

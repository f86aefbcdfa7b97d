"""A completed analysis is evidence: mastery, then every path of the person, updated once.

A practice session is tied to an analysis by its id: an analysis whose id is
`{pathId}--{activityId}` (the client uses it as the `sessionId` when it records that practice)
is also a progress event for that `practice_session` activity: its score is the mean of the
activity's competency metrics, the recording counts as the `recorded_answer` action, and the
time spent is the activity's duration (the analysis does not say how long the person practised).

Like the benchmark fold, this reads only `userId`, `status`, `metrics` and the time fields;
absent metrics are no evidence. The evidence id is the analysis version (`id@completedAt`), so
a replayed trigger or a retry changes nothing; a re-run is new evidence. Each of the person's
paths then gets a `skills` event (applied exactly once like progress events) that refreshes
objectives' `currentScore` and `skillAnalysis` (with the benchmark percentiles as they are
when this trigger runs; the benchmark fold of the same analysis may land just after).
"""

from __future__ import annotations

import hashlib
from typing import Any

from google.cloud import firestore

from salamin.benchmarks.fold import facts_of
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.learning import catalog as catalog_mod
from salamin.learning.skills import evidence_from_metrics, read_skill_analysis, record_evidence


def on_analysis_written(db: firestore.Client, *, analysis_id: str, clock: Clock) -> str:
    from salamin.learning.service import submit_event

    snap = db.collection(col.ADVANCED_ANALYSES).document(analysis_id).get()
    facts = facts_of(analysis_id, snap.to_dict() if snap.exists else None)
    if facts is None:
        return "skipped"
    catalog = catalog_mod.load()
    scores = evidence_from_metrics(catalog, facts.values)
    if not scores:
        return "no_evidence"
    applied = record_evidence(
        db, uid=facts.user_id, evidence_id=facts.version, scores=scores, kind="analysis"
    )
    skills = read_skill_analysis(db, catalog=catalog, uid=facts.user_id)
    paths = (
        db.collection(col.LEARNING_PATHS)
        .where(filter=firestore.FieldFilter("userId", "==", facts.user_id))
        .stream()
    )
    event: dict[str, Any] = {
        "kind": "skills",
        "mastery": skills.mastery,
        "evidence": skills.evidenceCount,
        "percentiles": skills.benchmarkPercentiles,
        "benchmarkUnavailableReason": skills.benchmarkUnavailableReason,
        "source": facts.version,
    }
    for path in paths:
        submit_event(
            db, path_id=path.id, event={**event, "eventId": "s" + _safe(facts.version)}, clock=clock
        )
    _tied_practice(
        db,
        analysis_id=analysis_id,
        user_id=facts.user_id,
        scores=scores,
        version=facts.version,
        clock=clock,
    )
    return "applied" if applied else "already_applied"


TIE = "--"


def _tied_practice(
    db: firestore.Client,
    *,
    analysis_id: str,
    user_id: str,
    scores: dict[str, float],
    version: str,
    clock: Clock,
) -> None:
    from salamin.learning.progress import find
    from salamin.learning.service import submit_event
    from salamin.models.learning import ActivityProgress, LearningPath

    path_id, sep, activity_id = analysis_id.partition(TIE)
    if not sep or not activity_id:
        return
    snap = db.collection(col.LEARNING_PATHS).document(path_id).get()
    if not snap.exists or (snap.to_dict() or {}).get("userId") != user_id:
        return  # someone else's path: never progress it
    path = LearningPath.model_validate(snap.to_dict())
    located = find(path, activity_id)
    if located is None:
        return
    activity = path.modules[located[0]].learningActivities[located[1]]
    measured = [scores[c] for c in activity.competencies if c in scores]
    if activity.type != "practice_session" or not measured:
        return
    progress = ActivityProgress(
        activityId=activity_id,
        activityType="practice_session",
        timeSpent=activity.duration,
        score=round(sum(measured) / len(measured), 1),
        completedActions=["recorded_answer"],
        eventId="p" + _safe(version),
    )
    event = {
        "eventId": progress.eventId,
        "kind": "progress",
        "progress": progress.model_dump(mode="python", exclude_none=True),
    }
    submit_event(db, path_id=path_id, event=event, clock=clock)


def _safe(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()[:40]


LINK_PREFIX = "salamin:learningPath/"


def path_link(*, path_id: str, activity_id: str) -> str:
    """The `preparationMaterials` entry that ties a booking to a path's expert_session activity:
    the spec's BookingRequest already carries (and the session stores) that list, so booking
    code needs no new field and existing clients are unaffected."""
    return f"{LINK_PREFIX}{path_id}/activity/{activity_id}"


def linked_activities(materials: object) -> set[tuple[str, str]]:
    """(pathId, activityId) pairs named by `path_link` entries; other entries are ignored."""
    out = set()
    for item in materials if isinstance(materials, list) else []:
        if isinstance(item, str) and item.startswith(LINK_PREFIX):
            path_id, sep, activity_id = item[len(LINK_PREFIX) :].partition("/activity/")
            if sep and path_id and activity_id:
                out.add((path_id, activity_id))
    return out


def on_expert_session_written(db: firestore.Client, *, session_id: str, clock: Clock) -> str:
    """A completed, rated expert session completes, once per session, the `expert_session`
    activity it was booked for (a `path_link` in its `preparationMaterials`, honoured only on
    the session user's own paths); a session booked without a link completes the first open
    `expert_session` activity (current module first) whose competency the expert's specialties
    train. Reads only the session's userId, expertId, status, duration and
    feedback, and the expert's interviewSpecialties."""
    from salamin.learning.experts import SPECIALTY_FOR
    from salamin.learning.service import submit_event
    from salamin.models.learning import ActivityProgress, LearningPath

    snap = db.collection(col.EXPERT_SESSIONS).document(session_id).get()
    data = snap.to_dict() or {} if snap.exists else {}
    feedback = ((data.get("feedback") or {}).get("userFeedback")) or None
    if data.get("status") != "completed" or not feedback or not data.get("userId"):
        return "skipped"
    expert = db.collection(col.EXPERTS).document(str(data.get("expertId"))).get().to_dict() or {}
    offered = {s.get("type") for s in expert.get("interviewSpecialties") or []}
    paths = (
        db.collection(col.LEARNING_PATHS)
        .where(filter=firestore.FieldFilter("userId", "==", data["userId"]))
        .stream()
    )
    links = linked_activities(data.get("preparationMaterials"))
    done = 0
    for path_snap in paths:
        path = LearningPath.model_validate(path_snap.to_dict())
        open_sessions = [
            a
            for m in path.modules
            for a in m.learningActivities
            if a.type == "expert_session" and not a.completionCriteria.completed
        ]
        if links:
            # Booked from a path: exactly the linked activity of this user's path, or nothing.
            wanted = {aid for pid, aid in links if pid == path.pathId}
            target = next((a for a in open_sessions if a.activityId in wanted), None)
        else:
            current = next(
                (
                    i
                    for i, m in enumerate(path.modules)
                    if m.moduleId == path.progress.currentModule
                ),
                0,
            )
            order = path.modules[current:] + path.modules[:current]
            target = next(
                (
                    a
                    for m in order
                    if SPECIALTY_FOR.get(m.competency) in offered
                    for a in m.learningActivities
                    if a in open_sessions
                ),
                None,
            )
        if target is None:
            continue
        # The user's rating judges the expert, not the user: it is not a score of the activity.
        progress = ActivityProgress(
            activityId=target.activityId,
            activityType="expert_session",
            timeSpent=int(data.get("duration") or target.duration),
            completedActions=["expert_session_completed"],
            eventId="x" + _safe(session_id),
        )
        submit_event(
            db,
            path_id=path.pathId,
            event={
                "eventId": progress.eventId,
                "kind": "progress",
                "progress": progress.model_dump(mode="python", exclude_none=True),
            },
            clock=clock,
        )
        done += 1
    return f"completed {done}"

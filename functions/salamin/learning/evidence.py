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
objectives' `currentScore` and `skillAnalysis`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from google.cloud import firestore

from salamin.benchmarks.fold import facts_of
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.learning import catalog as catalog_mod
from salamin.learning.skills import evidence_from_metrics, masteries, record_evidence, skills_ref


def on_analysis_written(db: firestore.Client, *, analysis_id: str, clock: Clock) -> str:
    from salamin.learning.service import submit_event

    snap = db.collection(col.ADVANCED_ANALYSES).document(analysis_id).get()
    facts = facts_of(analysis_id, snap.to_dict() if snap.exists else None)
    if facts is None:
        return "skipped"
    scores = evidence_from_metrics(catalog_mod.load(), facts.values)
    if not scores:
        return "no_evidence"
    applied = record_evidence(
        db, uid=facts.user_id, evidence_id=facts.version, scores=scores, kind="analysis"
    )
    data = skills_ref(db, facts.user_id).get().to_dict() or {}
    known = masteries(data)
    evidence = int(
        sum(float(v.get("evidence", 0)) for v in (data.get("competencies") or {}).values())
    )
    paths = (
        db.collection(col.LEARNING_PATHS)
        .where(filter=firestore.FieldFilter("userId", "==", facts.user_id))
        .stream()
    )
    event: dict[str, Any] = {
        "kind": "skills",
        "mastery": known,
        "evidence": evidence,
        "source": facts.version,
    }
    for path in paths:
        submit_event(
            db, path_id=path.id, event={**event, "eventId": "s" + _safe(facts.version)}, clock=clock
        )
    return "applied" if applied else "already_applied"


def _safe(version: str) -> str:
    return hashlib.sha256(version.encode()).hexdigest()[:40]

"""Folding a completed analysis into its cohorts: exactly once, people not recordings, no hot doc.

Per person, `benchmarkContributions/{uid}` (internal) remembers which analysis currently
counts (`current`: the latest complete one by `completedAt`, else `createdAt`), its cohort keys
and values, the latest folded version of every analysis (`analyses.{id}.at`) with its session
number, and the person's trajectory points. A fold reads that document, works out what changes
(remove the old contribution, add the new one), and commits one atomic batch: the contribution
document, guarded by an update-time (or create) precondition, plus `Increment`s on the cohorts'
counter shards. A second delivery of the same version finds it already applied and writes
nothing; an older version than the one applied is ignored; a lost race re-reads and retries.

Counters live in `benchmarkShards/{cohortKey}#{n}`, n = hash(uid) mod `SHARDS`, so 100
concurrent completions in one cohort spread over `SHARDS` documents of blind increments and
never contend on a read. The fold reads only `userId`, `status`, `metrics`, `completedAt` and
`createdAt` of the analysis, plus the person's profile (`users/{uid}/profile/data`).
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.benchmarks import aggregates as agg
from salamin.benchmarks.cohorts import Cohort, cohort_of, describe
from salamin.benchmarks.metrics import READINESS, extract
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.log import log

SHARDS = 10
"""Counter shards per cohort: ~10 sustained folds/s per cohort in production (1 write/s/doc)."""
MAX_FOLD_ATTEMPTS = 20


@dataclass(frozen=True)
class AnalysisFacts:
    """The only fields of an analysis a fold uses."""

    analysis_id: str
    user_id: str
    at: datetime
    values: dict[str, float]

    @property
    def version(self) -> str:
        return f"{self.analysis_id}@{self.at.isoformat()}"


def facts_of(analysis_id: str, data: Mapping[str, Any] | None) -> AnalysisFacts | None:
    """None unless the analysis is complete, has an owner and a time."""
    data = data or {}
    user_id = data.get("userId")
    at = data.get("completedAt") or data.get("createdAt")
    if data.get("status") != "complete" or not isinstance(user_id, str) or not user_id:
        return None
    if not isinstance(at, datetime):
        return None
    return AnalysisFacts(
        analysis_id=analysis_id, user_id=user_id, at=at, values=extract(data.get("metrics"))
    )


def shard_of(uid: str) -> int:
    return int.from_bytes(hashlib.sha256(uid.encode()).digest()[:4], "big") % SHARDS


def shard_id(key: str, shard: int) -> str:
    return f"{key}#{shard}"


def contribution_ref(db: firestore.Client, uid: str) -> firestore.DocumentReference:
    return db.collection(col.BENCHMARK_CONTRIBUTIONS).document(uid)


@dataclass(frozen=True)
class FoldResult:
    applied: bool
    reason: str
    touched: frozenset[str]
    """Cohort keys whose counters changed."""
    industries: frozenset[str]
    cohort: Cohort | None = None
    current: agg.Contribution | None = None
    """The person's contribution after the fold (what their cohorts hold for them)."""
    current_keys: Mapping[str, str] | None = None


def _as_increments(node: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        out[key] = (
            _as_increments(value) if isinstance(value, Mapping) else firestore.Increment(value)
        )
    return out


def _is_newer(a: datetime, b: Any) -> bool:
    return not isinstance(b, datetime) or a > b


def plan_fold(
    facts: AnalysisFacts, state: Mapping[str, Any], profile: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], Cohort, agg.Contribution | None] | None:
    """Pure: (new contribution document, increments per cohort key, cohort, contribution), or
    None when this version is already applied or older than the applied one."""
    analyses = dict(state.get("analyses") or {})
    previous = analyses.get(facts.analysis_id)
    if previous is not None and not _is_newer(facts.at, previous.get("at")):
        return None
    sessions = int(state.get("sessions") or 0)
    session = int(previous["session"]) if previous else sessions + 1
    analyses[facts.analysis_id] = {"at": facts.at, "session": session}
    first_at = state.get("firstAt")
    first_at = facts.at if not isinstance(first_at, datetime) or facts.at < first_at else first_at

    cohort = cohort_of(profile)
    keys = cohort.keys()
    demo = profile.get("demoData") is True
    increments: dict[str, dict[str, Any]] = {}

    def add(key: str, node: Mapping[str, Any]) -> None:
        agg.add_into(increments.setdefault(key, {}), node)

    current = state.get("current")
    contribution: agg.Contribution | None = None
    new_current = current
    if (
        current is None
        or current.get("analysisId") == facts.analysis_id
        or _is_newer(facts.at, current.get("at"))
    ):
        if current is not None:
            old = agg.Contribution(
                values=dict(current.get("values") or {}), demo=bool(current.get("demo"))
            )
            for key in (current.get("cohorts") or {}).values():
                add(key, agg.delta(old, -1))
        contribution = agg.Contribution(values=facts.values, demo=demo)
        for key in keys.values():
            add(key, agg.delta(contribution, +1))
        new_current = {
            "analysisId": facts.analysis_id,
            "at": facts.at,
            "cohorts": dict(keys),
            "values": facts.values,
            "demo": demo,
        }
    elif current is not None:
        contribution = agg.Contribution(
            values=dict(current.get("values") or {}), demo=bool(current.get("demo"))
        )

    trajectory = dict(state.get("trajectory") or {})
    score = facts.values.get(READINESS.id)
    bucket = agg.session_bucket(session)
    existing = trajectory.get(bucket)
    if score is not None and (
        existing is None
        or existing.get("analysisId") == facts.analysis_id
        or not _is_newer(existing.get("at"), facts.at)
    ):
        if existing is not None:
            old_point = agg.TrajectoryPoint(
                bucket=bucket, score=float(existing["score"]), weeks=float(existing["weeks"])
            )
            add(existing["industryKey"], agg.trajectory_delta(old_point, -1))
        weeks = round((facts.at - first_at).total_seconds() / (7 * 86400), 4)
        point = agg.TrajectoryPoint(bucket=bucket, score=score, weeks=weeks)
        add(keys["industry"], agg.trajectory_delta(point, +1))
        trajectory[bucket] = {
            "analysisId": facts.analysis_id,
            "at": facts.at,
            "score": score,
            "weeks": weeks,
            "industryKey": keys["industry"],
        }
    document = {
        "analyses": analyses,
        "sessions": max(sessions, session),
        "firstAt": first_at,
        "trajectory": trajectory,
        **({"current": new_current} if new_current is not None else {}),
    }
    return document, increments, cohort, contribution


def fold_analysis(
    db: firestore.Client, *, analysis_id: str, data: Mapping[str, Any] | None, clock: Clock
) -> FoldResult:
    """Fold one analysis document (as stored) into its cohorts, exactly once."""
    facts = facts_of(analysis_id, data)
    if facts is None:
        return FoldResult(
            applied=False, reason="not_complete", touched=frozenset(), industries=frozenset()
        )
    ref = contribution_ref(db, facts.user_id)
    profile_ref = db.document(col.user_profile_path(facts.user_id))
    shard = shard_of(facts.user_id)
    for attempt in range(MAX_FOLD_ATTEMPTS):
        snap = ref.get()
        state = snap.to_dict() or {} if snap.exists else {}
        profile = profile_ref.get().to_dict() or {}
        plan = plan_fold(facts, state, profile)
        if plan is None:
            current = state.get("current") or {}
            return FoldResult(
                applied=False,
                reason="already_folded",
                touched=frozenset(),
                industries=frozenset(),
                cohort=cohort_of(profile),
                current=agg.Contribution(values=dict(current.get("values") or {}))
                if current
                else None,
                current_keys=current.get("cohorts") if current else None,
            )
        document, increments, cohort, contribution = plan
        batch = db.batch()
        now = clock.now()
        for key, node in increments.items():
            shard_ref = db.collection(col.BENCHMARK_SHARDS).document(shard_id(key, shard))
            batch.set(
                shard_ref,
                {
                    **_as_increments(node),
                    "seq": firestore.Increment(1),
                    "cohort": key,
                    "shard": shard,
                    **describe(key),
                },
                merge=True,
            )
        document["updatedAt"] = now
        if snap.exists:
            batch.update(ref, document, option=db.write_option(last_update_time=snap.update_time))
        else:
            batch.create(ref, document)
        try:
            batch.commit()
        except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted):
            log("benchmarks.fold.retry", analysisId=analysis_id, attempt=attempt)
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))
            continue
        industries = {
            describe(k).get("industry", "") for k in increments if k.startswith("industry=")
        }
        log("benchmarks.fold.applied", analysisId=analysis_id, cohorts=len(increments))
        current = document.get("current") or {}
        return FoldResult(
            applied=True,
            reason="applied",
            touched=frozenset(increments),
            industries=frozenset(i for i in industries if i),
            cohort=cohort,
            current=contribution,
            current_keys=current.get("cohorts"),
        )
    raise gexc.Aborted(f"benchmark fold of {analysis_id} lost {MAX_FOLD_ATTEMPTS} races")

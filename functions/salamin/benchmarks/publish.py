"""From counter shards to readable results, within seconds and without a scheduler.

After each fold the trigger compacts every touched cohort: it reads the cohort's summary
(`benchmarkCohorts/{key}`) and its `SHARDS` shards, and if the summary does not yet include
every shard's latest `seq`, writes the merged state with an update-time (or create)
precondition. Shard seqs only grow, so a summary whose seqs are all at least the ones a folder
saw includes that folder's fold; a lost race re-reads and tries again. Every round someone
wins, and a win covers every fold committed before its read, so 100 concurrent folders finish
in a few rounds with no lock held (no livelock, unlike transactions on one document).

The industry document `industryBenchmarks/{industry}` is republished the same way from the
industry's cohort summaries, carrying `sourceVersions` (each published cohort's seq total).
Cohorts with fewer than `K_MIN` people are never published.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.benchmarks import derive
from salamin.benchmarks.aggregates import CohortState, merge
from salamin.benchmarks.cohorts import describe
from salamin.benchmarks.fold import SHARDS, shard_id
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.log import log

K_MIN = 20
"""Minimum cohort size (people) for anything to be published or compared against."""
MAX_PUBLISH_ATTEMPTS = 60


def summary_ref(db: firestore.Client, key: str) -> firestore.DocumentReference:
    return db.collection(col.BENCHMARK_COHORTS).document(key)


def _covered(have: Mapping[str, Any] | None, need: Mapping[str, int]) -> bool:
    have = have or {}
    return all(int(have.get(k) or 0) >= v for k, v in need.items())


def _write_guarded(ref: firestore.DocumentReference, snap: Any, document: dict[str, Any]) -> bool:
    """Write with an update-time (or create) precondition; False when someone else won."""
    try:
        if snap.exists:
            stale = {k: firestore.DELETE_FIELD for k in (snap.to_dict() or {}) if k not in document}
            ref.update(
                {**document, **stale},
                option=ref._client.write_option(last_update_time=snap.update_time),
            )
        else:
            ref.create(document)
    except (gexc.FailedPrecondition, gexc.Conflict, gexc.Aborted, gexc.NotFound):
        return False
    return True


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0.005, 0.03) * min(attempt + 1, 10))


def compact(db: firestore.Client, key: str, *, clock: Clock) -> dict[str, Any]:
    """Make `benchmarkCohorts/{key}` include every fold committed so far; returns its state."""
    ref = summary_ref(db, key)
    shard_refs = [
        db.collection(col.BENCHMARK_SHARDS).document(shard_id(key, i)) for i in range(SHARDS)
    ]
    for attempt in range(MAX_PUBLISH_ATTEMPTS):
        snap = ref.get()
        shards = [s for s in db.get_all(shard_refs) if s.exists]
        seqs = {str(s.get("shard")): int(s.get("seq") or 0) for s in shards}
        current = snap.to_dict() or {} if snap.exists else {}
        if snap.exists and _covered(current.get("shardSeqs"), seqs):
            return current
        state = merge(s.to_dict() or {} for s in shards)
        document = {
            "cohort": key,
            **describe(key),
            "people": state.get("people", 0),
            "metrics": state.get("metrics", {}),
            "byReadiness": state.get("byReadiness", {}),
            "trajectory": state.get("trajectory", {}),
            "demo": state.get("demo", 0),
            "shardSeqs": seqs,
            "version": sum(seqs.values()),
            "updatedAt": clock.now(),
        }
        if _write_guarded(ref, snap, document):
            return document
        _backoff(attempt)
    raise gexc.Aborted(f"could not compact benchmark cohort {key}")


def publish_industry(db: firestore.Client, industry: str, *, clock: Clock) -> dict[str, Any] | None:
    """Republish `industryBenchmarks/{industry}` from its cohort summaries (None: below k)."""
    ref = db.collection(col.INDUSTRY_BENCHMARKS).document(industry)
    for attempt in range(MAX_PUBLISH_ATTEMPTS):
        snap = ref.get()
        summaries = [
            s.to_dict() or {}
            for s in db.collection(col.BENCHMARK_COHORTS)
            .where(filter=firestore.FieldFilter("industry", "==", industry))
            .stream()
        ]
        built = build_industry(industry, summaries, now=clock.now())
        if built is None:
            if snap.exists:  # the industry shrank below k (profiles moved): withdraw it
                ref.delete()
            return None
        versions = built["sourceVersions"]
        current = snap.to_dict() or {} if snap.exists else {}
        if (
            snap.exists
            and _covered(current.get("sourceVersions"), versions)
            and set(current.get("sourceVersions") or {}) == set(versions)
        ):
            return current
        if _write_guarded(ref, snap, built):
            log("benchmarks.industry.published", industry=industry, people=built["sampleSize"])
            return built
        _backoff(attempt)
    raise gexc.Aborted(f"could not publish industry benchmark {industry}")


def build_industry(
    industry: str, summaries: Sequence[Mapping[str, Any]], *, now: datetime
) -> dict[str, Any] | None:
    """The stored `IndustryBenchmark` document, or None when the industry has fewer than k."""
    by_level: dict[str, list[Mapping[str, Any]]] = {}
    for s in summaries:
        by_level.setdefault(str(s.get("level")), []).append(s)
    whole = next(iter(by_level.get("industry", [])), None)
    if whole is None or CohortState(whole).people < K_MIN:
        return None
    versions = {str(whole["cohort"]): int(whole.get("version") or 0)}
    roles = []
    levels = []
    withheld = 0
    for s in sorted(by_level.get("industry_role", []), key=lambda s: str(s.get("role"))):
        if CohortState(s).people < K_MIN:
            withheld += 1
            continue
        roles.append(derive.role_benchmark(str(s.get("role")), CohortState(s), k=K_MIN))
        versions[str(s["cohort"])] = int(s.get("version") or 0)
    for s in sorted(by_level.get("industry_level", []), key=lambda s: str(s.get("experience"))):
        level = str(s.get("experience"))
        if CohortState(s).people < K_MIN or level not in derive.LEVEL_NAMES:
            withheld += 1
            continue
        levels.append(
            derive.experience_benchmark(level, CohortState(s), CohortState(whole), k=K_MIN)
        )
        versions[str(s["cohort"])] = int(s.get("version") or 0)
    state = CohortState(whole)
    benchmark = derive.industry_benchmark(
        industry, state, roles=roles, levels=levels, withheld=withheld, k=K_MIN, now=now
    )
    benchmark.sourceVersions = versions
    return benchmark.model_dump(mode="python", exclude_none=True)

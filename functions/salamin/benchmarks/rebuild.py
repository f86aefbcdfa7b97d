"""Recompute every benchmark aggregate from `advancedAnalyses` (ops: after a bug fix, a
metric-table change or an import). The result equals what the incremental folds produce.

The internals (`benchmarkContributions`, `benchmarkShards`, `benchmarkCohorts`) and the
published `industryBenchmarks` are deleted, then every complete analysis is folded in the
order it completed (completedAt, else createdAt; ties by id), and every cohort compacted and
every industry republished once at the end. Run it while no analyses complete (a fold running
concurrently with the delete could be lost); the trigger skips nothing it later sees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from google.cloud import firestore

from salamin.benchmarks.fold import facts_of, fold_analysis
from salamin.benchmarks.publish import compact, publish_industry
from salamin.core import collections as col
from salamin.core.clock import Clock

Progress = Callable[[int, int, str], None]
"""(done, total, stage)"""


@dataclass(frozen=True)
class RebuildReport:
    analyses: int
    folded: int
    cohorts: int
    industries: int
    published: int


def _clear(db: firestore.Client) -> None:
    for name in (
        col.BENCHMARK_CONTRIBUTIONS,
        col.BENCHMARK_SHARDS,
        col.BENCHMARK_COHORTS,
        col.INDUSTRY_BENCHMARKS,
    ):
        db.recursive_delete(db.collection(name))


def rebuild(
    db: firestore.Client, *, clock: Clock, progress: Progress | None = None
) -> RebuildReport:
    report = progress or (lambda done, total, stage: None)
    _clear(db)
    docs = []
    for snap in db.collection(col.ADVANCED_ANALYSES).stream():
        data = snap.to_dict() or {}
        facts = facts_of(snap.id, data)
        if facts is not None:
            docs.append((facts.at, snap.id, data))
    docs.sort(key=lambda t: (t[0] if isinstance(t[0], datetime) else datetime.min, t[1]))
    keys: set[str] = set()
    folded = 0
    for i, (_, analysis_id, data) in enumerate(docs, 1):
        result = fold_analysis(db, analysis_id=analysis_id, data=data, clock=clock)
        folded += result.applied
        keys |= result.touched
        report(i, len(docs), "folding analyses")
    for i, key in enumerate(sorted(keys), 1):
        compact(db, key, clock=clock)
        report(i, len(keys), "compacting cohorts")
    industries = sorted({k.partition("=")[2] for k in keys if k.startswith("industry=")})
    published = 0
    for i, industry in enumerate(industries, 1):
        published += publish_industry(db, industry, clock=clock) is not None
        report(i, len(industries), "publishing industries")
    return RebuildReport(
        analyses=len(docs),
        folded=folded,
        cohorts=len(keys),
        industries=len(industries),
        published=published,
    )

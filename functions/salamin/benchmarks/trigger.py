"""What happens when `advancedAnalyses/{id}` is written: fold, publish, compare.

1. Fold the analysis into its cohorts (exactly once, see `fold`).
2. Compact the touched cohorts and republish the touched industries (see `publish`), so the
   readable results include this analysis when the trigger returns.
3. Write the spec's `benchmarks` (BenchmarkComparison) into the analysis, with an update-time
   precondition so a newer run of the analysis is never overwritten with stale numbers.

Step 3 writes the very document that fired the trigger. The re-fired event finds
`benchmarks.foldVersion` equal to the analysis version and stops there, so there is no loop and
no second fold (which would be a no-op anyway). `salamin.analysis` never imports this package:
the dependency points from benchmarks to analyses only.
"""

from __future__ import annotations

from typing import Literal

from google.api_core import exceptions as gexc
from google.cloud import firestore

from salamin.benchmarks.fold import facts_of, fold_analysis
from salamin.benchmarks.publish import compact, publish_industry
from salamin.benchmarks.service import analysis_comparison
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.log import log

Outcome = Literal["skipped", "already_compared", "compared", "superseded"]


def on_analysis_written(db: firestore.Client, *, analysis_id: str, clock: Clock) -> Outcome:
    ref = db.collection(col.ADVANCED_ANALYSES).document(analysis_id)
    snap = ref.get()
    data = snap.to_dict() if snap.exists else None
    facts = facts_of(analysis_id, data)
    if facts is None:
        return "skipped"
    if ((data or {}).get("benchmarks") or {}).get("foldVersion") == facts.version:
        return "already_compared"
    fold = fold_analysis(db, analysis_id=analysis_id, data=data, clock=clock)
    # A replay after a crash between fold and publish still publishes: compact what this
    # person's cohorts are, not only what this delivery changed.
    keys = set(fold.touched) | set((fold.current_keys or {}).values())
    for key in sorted(keys):
        compact(db, key, clock=clock)
    industries = set(fold.industries) | {
        k.partition("=")[2] for k in keys if k.startswith("industry=")
    }
    for industry in sorted(industries):
        publish_industry(db, industry, clock=clock)
    comparison = analysis_comparison(db, facts=facts, fold=fold, clock=clock)
    try:
        ref.update(
            {"benchmarks": comparison.model_dump(mode="python", exclude_none=True)},
            option=db.write_option(last_update_time=snap.update_time),
        )
    except (gexc.FailedPrecondition, gexc.NotFound):
        log("benchmarks.compare.superseded", analysisId=analysis_id)
        return "superseded"
    log("benchmarks.compare.written", analysisId=analysis_id, applied=fold.applied)
    return "compared"

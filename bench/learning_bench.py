"""Learning paths: path generation time, trackProgress reads/writes/latency, 50 concurrent events.

    nice -n 10 functions/venv/bin/python bench/learning_bench.py [--events 200]

Starts a private Firestore emulator (no Functions emulator), builds the spec's sample path with
the deterministic builder, then sends sequential progress events and measures each
`track_progress` call: documents read (patched client, as in benchmarks_bench.py), documents
written (every write in a committed batch, plus single-document create/set/update) and wall
time. Finally 50 threads send one event each to one path at once; reported is whether every
event was applied exactly once. Prints a summary, then one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.benchmarks_bench import ReadCounter  # noqa: E402
from scripts.stack import start_firestore_only, stop_firestore_only  # noqa: E402

PROJECT = "demo-salamin-learning-bench"


class WriteCounter:
    """Counts document writes in every committed (or attempted) batch; single-document
    create/set/update go through a batch too, so they are counted once."""

    def __init__(self) -> None:
        from google.cloud.firestore_v1 import batch

        self.count = 0
        self._cls = batch.WriteBatch
        self._saved = batch.WriteBatch.commit

    def __enter__(self) -> WriteCounter:
        counter = self
        commit = self._saved

        def counted_commit(b: Any, *a: Any, **kw: Any) -> Any:
            counter.count += len(b._write_pbs)
            return commit(b, *a, **kw)

        self._cls.commit = counted_commit  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        self._cls.commit = self._saved  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100)
    args = parser.parse_args()
    host, proc = start_firestore_only(PROJECT)
    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    os.environ["GCLOUD_PROJECT"] = PROJECT
    try:
        from salamin.core import collections as col
        from salamin.core.caller import Caller
        from salamin.core.clock import FixedClock
        from salamin.learning import service, skills
        from salamin.learning.builder import build_path
        from salamin.learning.catalog import load
        from salamin.learning.skills import skill_analysis
        from salamin.models.learning import (
            ActivityProgress,
            LearningPath,
            PathGenerationRequest,
            PersonalizationData,
        )

        db = firebase_db()
        clock = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))
        me = Caller(uid="bench-user")
        request = PathGenerationRequest(
            goalType="job_interview",
            targetRole="Software Engineer",
            timeframe=8,
            currentLevel="intermediate",
            focusAreas=["technical_skills", "system_design"],
        )
        catalog = load()
        build_times = []
        for i in range(200):
            started = time.perf_counter()
            build_path(
                path_id=f"p{i}",
                user_id="u",
                request=request,
                skills=skill_analysis(catalog, {"filler_words": 40.0 + i % 30}, evidence=1),
                personalization=PersonalizationData(),
                catalog=catalog,
                now=clock.now(),
            )
            build_times.append((time.perf_counter() - started) * 1000)
        skills.record_evidence(
            db, uid=me.uid, evidence_id="seed", scores={"filler_words": 35.0}, kind="analysis"
        )
        with contextlib.redirect_stdout(io.StringIO()):
            path = service.generate_personalized_path(
                db, caller=me, request=request, personalization=None, clock=clock
            )
        activity = path.modules[3].learningActivities[0]
        reads, writes, millis = [], [], []
        for i in range(args.events):
            progress = ActivityProgress(
                activityId=activity.activityId, timeSpent=1, eventId=f"seq-{i}"
            )
            with ReadCounter() as r, WriteCounter() as w:
                started = time.perf_counter()
                service.track_progress(
                    db,
                    caller=me,
                    path_id=path.pathId,
                    activity_id=activity.activityId,
                    progress=progress,
                    clock=clock,
                )
                millis.append((time.perf_counter() - started) * 1000)
            reads.append(r.count)
            writes.append(w.count)
        target = path.modules[4].learningActivities[0]

        def send(i: int) -> dict[str, Any]:
            p = ActivityProgress(activityId=target.activityId, timeSpent=1, eventId=f"conc-{i}")
            return service.track_progress(
                db,
                caller=me,
                path_id=path.pathId,
                activity_id=target.activityId,
                progress=p,
                clock=clock,
            )

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(send, range(50)))
        concurrent_s = time.perf_counter() - started
        final = LearningPath.model_validate(
            db.collection(col.LEARNING_PATHS).document(path.pathId).get().to_dict()
        )
        events = list(
            db.collection(col.LEARNING_PATHS)
            .document(path.pathId)
            .collection(col.PATH_EVENTS)
            .stream()
        )
        out = {
            "pathBuildMs": {
                "median": round(statistics.median(build_times), 2),
                "max": round(max(build_times), 2),
                "runs": len(build_times),
            },
            "trackProgress": {
                "calls": args.events,
                "readsMedian": statistics.median(reads),
                "readsMax": max(reads),
                "writesMedian": statistics.median(writes),
                "writesMax": max(writes),
                "latencyMsMedian": round(statistics.median(millis), 1),
                "latencyMsP95": round(sorted(millis)[int(0.95 * len(millis)) - 1], 1),
            },
            "concurrent50": {
                "seconds": round(concurrent_s, 2),
                "distinctEvents": len({r["eventId"] for r in results}),
                "eventsApplied": final.eventsApplied,
                "expectedApplied": args.events + 50,
                "timeSpent": final.progress.timeSpent,
                "allEventDocsApplied": all(e.to_dict()["applied"] for e in events),
                "exactlyOnce": final.eventsApplied == args.events + 50
                and final.progress.timeSpent == args.events + 50,
            },
        }
    finally:
        stop_firestore_only(proc)
    t, c = out["trackProgress"], out["concurrent50"]
    print(
        f"build {out['pathBuildMs']['median']} ms; trackProgress reads {t['readsMedian']} writes {t['writesMedian']} latency {t['latencyMsMedian']} ms; 50 concurrent exactly once: {c['exactlyOnce']} in {c['seconds']} s",
        file=sys.stderr,
    )
    print(json.dumps(out))


def firebase_db() -> Any:
    from salamin.core import firebase

    return firebase.db()


if __name__ == "__main__":
    main()

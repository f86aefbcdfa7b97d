"""Industry benchmarks at population scale: reads, exactness and fold throughput, ours vs the spec.

    nice -n 10 functions/venv/bin/python bench/benchmarks_bench.py [--sizes 100,1000,10000,100000]

Starts a private Cloud Firestore emulator (the preinstalled jar on a free port, or
FIRESTORE_EMULATOR_HOST), so no Functions emulator trigger interferes. For each size N:

* Population: N people in one industry (3 role categories × 3 levels), each with one complete
  analysis: interviewReadiness at 0.1 precision (as the pipeline stores it), an integer
  speaking-pace score, and words per minute at 0.1 precision. Up to 1,000 analyses are folded
  one by one through `fold_analysis` (the trigger's code). Larger populations are bulk-loaded:
  the same `aggregates.delta` builds each person's increments, summed in memory per shard and
  written as shard documents; then the real compactor and publisher run. (Folding 100,000 one
  by one through the emulator would take about an hour; the state is identical by
  construction, which tests/benchmarks/test_publish.py checks for the incremental path.)
* Reads per personalised benchmark: `generate_personalized_benchmark` for 5 new users, counted
  by patching the Firestore client (every document returned by `DocumentReference.get`,
  `Client.get_all` and `Query.stream`; a missing document counts as the read it is).
* Percentile error: the published p10..p90 against numpy on the same values (sorted index
  floor(n·q)): integer scores, 0.1-precision scores (1-point buckets), WPM (1 WPM resolution).
* Baseline, in the same run: a port of the spec's `generatePersonalizedBenchmark`: profile read,
  industry document read, and when absent `generateIndustryBenchmark`'s query
  (`advancedAnalyses where industry == X limit 1000`; the analyses carry `industry` for it), plus
  the role and experience lookups. Its step-function percentile (±5/10/15 points around the
  industry average → 20..90) is compared with the exact mid-rank percentile of every member.

Then 100 concurrent completions into one cohort: 100 threads each run the whole trigger
(`on_analysis_written`: fold, compact, publish, write the comparison) at once; reported are the
wall time, completions per second, fold/compaction retries, and whether every one was counted.

Prints a table, then one JSON line with every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

import numpy as np  # noqa: E402

from scripts.stack import reset_firestore, start_firestore_only, stop_firestore_only  # noqa: E402

PROJECT = "demo-salamin-bench"
ROLES = ("Backend Engineer", "Data Scientist", "Product Manager")
YEARS = (1, 3, 7)
T0 = datetime(2026, 10, 1, tzinfo=UTC)
READY = "overall_interviewReadiness"
PACE = "verbal_speakingPace_score"
WPM = "verbal_speakingPace_averageWPM"
QUANTILES = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}


class ReadCounter:
    """Counts documents returned to the code under test, by patching the client."""

    def __init__(self) -> None:
        from google.cloud.firestore_v1 import client, document, query

        self.count = 0
        self._targets = [
            (document.DocumentReference, "get"),
            (client.Client, "get_all"),
            (query.Query, "stream"),
        ]
        self._saved = [getattr(cls, name) for cls, name in self._targets]

    def __enter__(self) -> ReadCounter:
        counter = self
        get, get_all, stream = self._saved

        def counted_get(ref: Any, *a: Any, **kw: Any) -> Any:
            counter.count += 1
            return get(ref, *a, **kw)

        def counted_get_all(client: Any, *a: Any, **kw: Any) -> Any:
            for snap in get_all(client, *a, **kw):
                counter.count += 1
                yield snap

        def counted_stream(q: Any, *a: Any, **kw: Any) -> Any:
            seen = 0
            for snap in stream(q, *a, **kw):
                seen += 1
                yield snap
            counter.count += max(seen, 1)  # an empty query is billed one read

        for (cls, name), fn in zip(
            self._targets, (counted_get, counted_get_all, counted_stream), strict=True
        ):
            setattr(cls, name, fn)
        return self

    def __exit__(self, *exc: object) -> None:
        for (cls, name), fn in zip(self._targets, self._saved, strict=True):
            setattr(cls, name, fn)


def make_population(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    people = []
    for i in range(n):
        ready = round(min(100.0, max(0.0, rng.gauss(64, 13))), 1)
        people.append(
            {
                "uid": f"p{i}",
                "role": ROLES[i % 3],
                "years": YEARS[(i // 3) % 3],
                "values": {
                    READY: ready,
                    PACE: float(rng.randint(10, 100)),
                    WPM: round(rng.uniform(95, 195), 1),
                },
            }
        )
    return people


def metrics_of(values: dict[str, float]) -> dict[str, Any]:
    return {
        "overall": {"interviewReadiness": values[READY]},
        "verbal": {
            "speakingPace": {"source": "measured", "score": values[PACE], "averageWPM": values[WPM]}
        },
    }


def load(db: Any, people: list[dict[str, Any]], *, one_by_one: bool, clock: Any) -> float:
    from salamin.benchmarks import aggregates as agg
    from salamin.benchmarks.cohorts import cohort_of, describe
    from salamin.benchmarks.fold import fold_analysis, shard_id, shard_of
    from salamin.benchmarks.publish import compact, publish_industry
    from salamin.core import collections as col

    started = time.perf_counter()
    writer = db.bulk_writer()
    for p in people:
        writer.set(
            db.document(col.user_profile_path(p["uid"])),
            {"industry": "Tech", "targetRoles": [p["role"]], "yearsOfExperience": p["years"]},
        )
    for p in people[:1000]:  # the baseline's query reads at most 1,000
        doc = {
            "userId": p["uid"],
            "status": "complete",
            "industry": "technology",
            "metrics": metrics_of(p["values"]),
            "createdAt": T0,
            "completedAt": T0,
        }
        writer.set(db.collection(col.ADVANCED_ANALYSES).document(f"a-{p['uid']}"), doc)
    writer.close()
    keys: set[str] = set()
    if one_by_one:
        for p in people:
            doc = {
                "userId": p["uid"],
                "status": "complete",
                "metrics": metrics_of(p["values"]),
                "completedAt": T0,
            }
            keys |= fold_analysis(db, analysis_id=f"a-{p['uid']}", data=doc, clock=clock).touched
    else:
        shards: dict[tuple[str, int], dict[str, Any]] = {}
        for p in people:
            cohort = cohort_of(
                {"industry": "Tech", "targetRoles": [p["role"]], "yearsOfExperience": p["years"]}
            )
            inc = agg.delta(agg.Contribution(values=p["values"]), +1)
            for key in cohort.keys().values():
                agg.add_into(shards.setdefault((key, shard_of(p["uid"])), {}), inc)
                keys.add(key)
        writer = db.bulk_writer()
        for (key, shard), state in shards.items():
            writer.set(
                db.collection(col.BENCHMARK_SHARDS).document(shard_id(key, shard)),
                {**state, "seq": 1, "cohort": key, "shard": shard, **describe(key)},
            )
        writer.close()
    for key in sorted(keys):
        compact(db, key, clock=clock)
    publish_industry(db, "technology", clock=clock)
    return time.perf_counter() - started


def spec_quantile(values: np.ndarray, q: float) -> float:
    ordered = np.sort(values)
    return float(ordered[math.floor(len(ordered) * q)])


def percentile_errors(db: Any, people: list[dict[str, Any]]) -> dict[str, float]:
    from salamin.core import collections as col

    doc = db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()
    out = {}
    for label, metric in (("integerScore", PACE), ("score0.1", READY), ("wpm", WPM)):
        values = np.asarray([p["values"][metric] for p in people])
        published = doc["metricDistributions"][metric]["percentiles"]
        out[label] = round(
            max(abs(published[k] - spec_quantile(values, q)) for k, q in QUANTILES.items()), 6
        )
        out[label + "SdError"] = round(
            abs(doc["metricDistributions"][metric]["standardDeviation"] - float(np.std(values))), 6
        )
    return out


def ours(db: Any, people: list[dict[str, Any]], clock: Any) -> dict[str, Any]:
    from salamin.benchmarks.service import generate_personalized_benchmark
    from salamin.core import collections as col
    from salamin.core.caller import Caller

    reads = []
    errors = []
    values = np.sort(np.asarray([p["values"][READY] for p in people]))
    for i, probe in enumerate((41.3, 55.0, 64.2, 72.8, 90.1)):
        uid = f"probe{i}"
        db.document(col.user_profile_path(uid)).set(
            {"industry": "Tech", "targetRoles": ["SWE"], "yearsOfExperience": 3}
        )
        with ReadCounter() as counter:
            result = generate_personalized_benchmark(
                db,
                caller=Caller(uid=uid),
                user_id=None,
                analysis_id=None,
                user_metrics={"overall": {"interviewReadiness": probe}},
                gemini=None,
                clock=clock,
            )
        reads.append(counter.count)
        pct = result.comparisons.industryPercentile
        b = math.floor(probe + 0.5)
        rounded = np.floor(values + 0.5)
        exact = 100 * (np.sum(rounded < b) + 0.5 * np.sum(rounded == b)) / len(values)
        errors.append(abs((pct or 0) - exact))
    return {
        "readsPerBenchmark": reads,
        "maxReads": max(reads),
        "percentileErrorVsExactMidrank": round(max(errors), 4),
    }


def step_percentile(user: float, average: float) -> int:
    """The spec's calculatePercentile."""
    for delta, pct in ((15, 90), (10, 80), (5, 70), (0, 60), (-5, 50), (-10, 40), (-15, 30)):
        if user >= average + delta:
            return pct
    return 20


def baseline(db: Any, people: list[dict[str, Any]]) -> dict[str, Any]:
    from google.cloud.firestore import FieldFilter

    from salamin.core import collections as col

    with ReadCounter() as counter:
        db.document(col.user_profile_path("probe0")).get()
        db.collection(col.INDUSTRY_BENCHMARKS).document("spec-technology").get()  # absent at first
        docs = list(
            db.collection(col.ADVANCED_ANALYSES)
            .where(filter=FieldFilter("industry", "==", "technology"))
            .limit(1000)
            .stream()
        )
        db.collection("roleBenchmarks").document("software_engineering").get()
        db.collection("experienceBenchmarks").document("mid").get()
    sample = [d.to_dict()["metrics"]["overall"]["interviewReadiness"] for d in docs]
    average = float(np.mean(sample))
    values = np.asarray([p["values"][READY] for p in people])
    ordered = np.sort(values)
    rng = random.Random(1)
    probes = [p["values"][READY] for p in rng.sample(people, min(2000, len(people)))]
    errs = []
    for v in probes:
        below = np.searchsorted(ordered, v, side="left")
        equal = np.searchsorted(ordered, v, side="right") - below
        exact = 100 * (below + 0.5 * equal) / len(ordered)
        errs.append(abs(step_percentile(v, average) - exact))
    return {
        "readsFirstCall": counter.count,
        "readsCachedCall": 4,
        "sampleUsed": len(sample),
        "stepErrorMean": round(float(np.mean(errs)), 2),
        "stepErrorMax": round(float(np.max(errs)), 2),
        "sampleMeanBias": round(average - float(np.mean(values)), 3),
    }


def throughput(db: Any, clock: Any, *, completions: int = 100) -> dict[str, Any]:
    from salamin.benchmarks.trigger import on_analysis_written
    from salamin.core import collections as col

    rng = random.Random(9)
    batch = db.batch()
    values = []
    for i in range(completions):
        uid = f"c{i}"
        v = float(rng.randint(20, 99))
        values.append(v)
        batch.set(
            db.document(col.user_profile_path(uid)),
            {"industry": "Finance", "targetRoles": ["Analyst"], "yearsOfExperience": 4},
        )
        batch.set(
            db.collection(col.ADVANCED_ANALYSES).document(f"c-{i}"),
            {
                "userId": uid,
                "status": "complete",
                "metrics": {"overall": {"interviewReadiness": v}},
                "completedAt": T0 + timedelta(seconds=i),
            },
        )
    batch.commit()
    out = io.StringIO()
    with contextlib.redirect_stdout(out), ThreadPoolExecutor(max_workers=completions) as pool:
        started = time.perf_counter()
        outcomes = list(
            pool.map(
                lambda i: on_analysis_written(db, analysis_id=f"c-{i}", clock=clock),
                range(completions),
            )
        )
        elapsed = time.perf_counter() - started
    logs = out.getvalue()
    cohort = db.collection(col.BENCHMARK_COHORTS).document("industry=finance").get().to_dict()
    published = db.collection(col.INDUSTRY_BENCHMARKS).document("finance").get().to_dict()
    counts = cohort["metrics"][READY]["counts"]
    expected: dict[str, int] = {}
    for v in values:
        expected[str(math.floor(v + 0.5))] = expected.get(str(math.floor(v + 0.5)), 0) + 1
    with_benchmarks = sum(
        1
        for s in db.collection(col.ADVANCED_ANALYSES).where("userId", ">=", "c").stream()
        if (s.to_dict() or {}).get("benchmarks")
    )
    return {
        "completions": completions,
        "seconds": round(elapsed, 2),
        "perSecond": round(completions / elapsed, 1),
        "outcomes": {o: outcomes.count(o) for o in set(outcomes)},
        "foldRetries": logs.count("benchmarks.fold.retry"),
        "cohortPeople": cohort["people"],
        "publishedSampleSize": published["sampleSize"],
        "countsExact": {k: v for k, v in counts.items() if v} == expected,
        "analysesWithBenchmarks": with_benchmarks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    host, proc = start_firestore_only(PROJECT)
    import os

    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    os.environ["GCLOUD_PROJECT"] = PROJECT
    try:
        from salamin.core import firebase
        from salamin.core.clock import FixedClock

        db = firebase.db()
        clock = FixedClock(T0 + timedelta(days=1))
        results: dict[str, Any] = {"sizes": {}}
        for n in sizes:
            reset_firestore(host, PROJECT)
            people = make_population(n, seed=n)
            with contextlib.redirect_stdout(io.StringIO()):
                load_s = load(db, people, one_by_one=n <= 1000, clock=clock)
                row: dict[str, Any] = {
                    "loadedBy": "fold_analysis one by one"
                    if n <= 1000
                    else "bulk shards (same delta)",
                    "loadSeconds": round(load_s, 1),
                    "ours": ours(db, people, clock),
                    "percentileError": percentile_errors(db, people),
                    "baseline": baseline(db, people),
                }
            results["sizes"][str(n)] = row
            o, b, e = row["ours"], row["baseline"], row["percentileError"]
            print(
                f"N={n:>6}: reads ours {o['maxReads']:>2} (midrank err {o['percentileErrorVsExactMidrank']}), "
                f"spec {b['readsFirstCall']:>4} first / {b['readsCachedCall']} cached; "
                f"pct err int {e['integerScore']}, 0.1-score {e['score0.1']}, wpm {e['wpm']}; "
                f"spec step err mean {b['stepErrorMean']} max {b['stepErrorMax']}",
                file=sys.stderr,
            )
        reset_firestore(host, PROJECT)
        results["concurrent"] = throughput(db, clock)
        c = results["concurrent"]
        print(
            f"100 concurrent completions: {c['seconds']} s ({c['perSecond']}/s), retries {c['foldRetries']}, people {c['cohortPeople']}, exact {c['countsExact']}",
            file=sys.stderr,
        )
        reads = [results["sizes"][str(n)]["ours"]["maxReads"] for n in sizes]
        results["readsFlat"] = len(set(reads)) == 1
        results["maxReads"] = max(reads)
    finally:
        stop_firestore_only(proc)
    print(json.dumps(results))


if __name__ == "__main__":
    main()

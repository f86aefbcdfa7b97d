"""Cohort state as plain maps, and the exact statistics read back from it.

One person's contribution is a set of metric values. A cohort's state is the sum of its
members' contributions, as Firestore-friendly nested maps:

    people                          members (each person once)
    metrics.{id}.n | sum | sumsq    count, sum and sum of squares of the raw values
    metrics.{id}.counts.{bucket}    people per bucket (bucket = round(value / resolution))
    byReadiness.{id}.{rb}.n | sum   the metric's count and sum among people whose
                                    overall.interviewReadiness is in 1-point bucket rb, so the
                                    top/bottom quartile and top decile means are exact
    trajectory.{b}.n | sum | sumsq | weeks | counts.{bucket}
                                    interviewReadiness at session bucket b (1, 2-5, 6-10, 11+),
                                    each person once per bucket (their latest analysis there)
    demo                            members whose analysis is labelled demo data

Adding or removing a contribution is a map of increments (`delta`), so shards can be updated
with Firestore `Increment` transforms and merged by adding (`merge`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from salamin.benchmarks.metrics import BY_ID, READINESS, Metric
from salamin.models.benchmarks import MetricDistribution, Percentiles

TRAJECTORY_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1", 1, 1),
    ("2-5", 2, 5),
    ("6-10", 6, 10),
    ("11+", 11, None),
)
QUANTILES: dict[str, float] = {"p10": 0.1, "p25": 0.25, "p50": 0.5, "p75": 0.75, "p90": 0.9}


def session_bucket(session_number: int) -> str:
    for name, low, high in TRAJECTORY_BUCKETS:
        if session_number >= low and (high is None or session_number <= high):
            return name
    return TRAJECTORY_BUCKETS[0][0]


@dataclass(frozen=True)
class Contribution:
    """What one person adds to each of their cohorts."""

    values: dict[str, float]
    demo: bool = False

    @property
    def readiness_bucket(self) -> int | None:
        value = self.values.get(READINESS.id)
        return None if value is None else READINESS.bucket(value)


@dataclass(frozen=True)
class TrajectoryPoint:
    bucket: str
    score: float
    weeks: float


def delta(contribution: Contribution, sign: int) -> dict[str, Any]:
    """The increments that add (sign=+1) or remove (-1) a contribution."""
    metrics: dict[str, Any] = {}
    by_readiness: dict[str, Any] = {}
    rb = contribution.readiness_bucket
    for metric_id, value in contribution.values.items():
        metric = BY_ID[metric_id]
        metrics[metric_id] = {
            "n": sign,
            "sum": sign * value,
            "sumsq": sign * value * value,
            "counts": {str(metric.bucket(value)): sign},
        }
        if rb is not None:
            by_readiness[metric_id] = {str(rb): {"n": sign, "sum": sign * value}}
    out: dict[str, Any] = {"people": sign, "metrics": metrics}
    if by_readiness:
        out["byReadiness"] = by_readiness
    if contribution.demo:
        out["demo"] = sign
    return out


def trajectory_delta(point: TrajectoryPoint, sign: int) -> dict[str, Any]:
    return {
        "trajectory": {
            point.bucket: {
                "n": sign,
                "sum": sign * point.score,
                "sumsq": sign * point.score * point.score,
                "weeks": sign * point.weeks,
                "counts": {str(READINESS.bucket(point.score)): sign},
            }
        }
    }


def add_into(target: dict[str, Any], increments: Mapping[str, Any]) -> dict[str, Any]:
    """Add nested numeric maps in place (also how shard states are merged)."""
    for key, value in increments.items():
        if isinstance(value, Mapping):
            add_into(target.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            current = target.get(key, 0)
            target[key] = (current if isinstance(current, int | float) else 0) + value
    return target


def merge(states: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for state in states:
        add_into(
            out,
            {
                k: state.get(k)
                for k in ("people", "metrics", "byReadiness", "trajectory", "demo")
                if state.get(k) is not None
            },
        )
    return out


def _int(value: Any) -> int:
    return round(value) if isinstance(value, int | float) else 0


# ---- reading statistics -------------------------------------------------------------------------


@dataclass
class Counts:
    """A metric's buckets, sorted, with the raw sums."""

    metric: Metric
    buckets: list[tuple[int, int]]  # (bucket, count>0), ascending
    n: int
    total: float
    total_sq: float
    _cumulative: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, metric: Metric, node: Mapping[str, Any] | None) -> Counts:
        node = node or {}
        raw = node.get("counts") or {}
        buckets = sorted((int(b), _int(c)) for b, c in raw.items() if _int(c) > 0)
        return cls(
            metric=metric,
            buckets=buckets,
            n=sum(c for _, c in buckets),
            total=float(node.get("sum") or 0.0),
            total_sq=float(node.get("sumsq") or 0.0),
        )

    def without(self, value: float | None) -> Counts:
        """This state minus one person's value (to compare someone with the others)."""
        if value is None:
            return self
        b = self.metric.bucket(value)
        buckets = [(x, c - (1 if x == b else 0)) for x, c in self.buckets]
        return Counts(
            metric=self.metric,
            buckets=[(x, c) for x, c in buckets if c > 0],
            n=self.n - (1 if any(x == b for x, _ in self.buckets) else 0),
            total=self.total - value,
            total_sq=self.total_sq - value * value,
        )

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def standard_deviation(self) -> float:
        """The spec's population formula, sqrt(mean of squared deviations)."""
        if not self.n:
            return 0.0
        mean = self.total / self.n
        return math.sqrt(max(0.0, self.total_sq / self.n - mean * mean))

    def at_index(self, index: int) -> float:
        """The value at `index` of the sorted values."""
        seen = 0
        for bucket, count in self.buckets:
            seen += count
            if index < seen:
                return self.metric.value_of(bucket)
        return self.metric.value_of(self.buckets[-1][0])

    def quantile(self, q: float) -> float:
        """The spec's definition: sorted[floor(n * q)]."""
        return self.at_index(min(self.n - 1, math.floor(self.n * q)))

    def distribution(self) -> MetricDistribution:
        mean = self.mean
        return MetricDistribution(
            percentiles=Percentiles(**{k: self.quantile(q) for k, q in QUANTILES.items()}),
            standardDeviation=round(self.standard_deviation, 4),
            sampleSize=self.n,
            mean=None if mean is None else round(mean, 4),
            resolution=self.metric.resolution,
        )

    def midrank_percentile(self, value: float) -> float | None:
        """100 × (count below + ½ × count equal) / n, at the metric's resolution."""
        if not self.n:
            return None
        b = self.metric.bucket(value)
        below = sum(c for x, c in self.buckets if x < b)
        equal = sum(c for x, c in self.buckets if x == b)
        return round(100.0 * (below + 0.5 * equal) / self.n, 2)


class CohortState:
    """Read-only view of a merged cohort state."""

    def __init__(self, raw: Mapping[str, Any] | None) -> None:
        self.raw: Mapping[str, Any] = raw or {}

    @property
    def people(self) -> int:
        return _int(self.raw.get("people"))

    @property
    def demo(self) -> bool:
        return _int(self.raw.get("demo")) > 0

    def counts(self, metric_id: str) -> Counts:
        return Counts.of(BY_ID[metric_id], (self.raw.get("metrics") or {}).get(metric_id))

    def measured(self, *, minimum: int) -> list[str]:
        """Metric ids that at least `minimum` people have."""
        metrics = self.raw.get("metrics") or {}
        return [m for m in BY_ID if m in metrics and self.counts(m).n >= max(1, minimum)]

    def means(self, *, minimum: int) -> dict[str, float]:
        return {
            m: mean
            for m in self.measured(minimum=minimum)
            if (mean := self.counts(m).mean) is not None
        }

    def distributions(self, *, minimum: int) -> dict[str, MetricDistribution]:
        return {m: self.counts(m).distribution() for m in self.measured(minimum=minimum)}

    def readiness_band_means(
        self, *, low: int | None = None, high: int | None = None, minimum: int = 1
    ) -> tuple[dict[str, float], int]:
        """Means of each metric among people whose readiness bucket is in [low, high], and how
        many people that band holds."""
        by = self.raw.get("byReadiness") or {}
        out: dict[str, float] = {}
        people = 0
        readiness = self.counts(READINESS.id)
        for bucket, count in readiness.buckets:
            if (low is None or bucket >= low) and (high is None or bucket <= high):
                people += count
        for metric_id, bands in by.items():
            if metric_id not in BY_ID or metric_id == READINESS.id:
                continue
            n = 0
            total = 0.0
            for rb, node in (bands or {}).items():
                b = int(rb)
                if (low is None or b >= low) and (high is None or b <= high):
                    n += _int((node or {}).get("n"))
                    total += float((node or {}).get("sum") or 0.0)
            if n >= minimum:
                out[metric_id] = total / n
        if people and READINESS.id in (self.raw.get("metrics") or {}):
            band = [
                (b, c)
                for b, c in readiness.buckets
                if (low is None or b >= low) and (high is None or b <= high)
            ]
            n_band = sum(c for _, c in band)
            if n_band:
                # Readiness itself: mean of its own values in the band (from its bucket values).
                out[READINESS.id] = sum(READINESS.value_of(b) * c for b, c in band) / n_band
        return out, people

    def trajectory(self, bucket: str) -> Counts:
        node = (self.raw.get("trajectory") or {}).get(bucket)
        return Counts.of(READINESS, node)

    def trajectory_weeks(self, bucket: str) -> float | None:
        node = (self.raw.get("trajectory") or {}).get(bucket) or {}
        n = self.trajectory(bucket).n
        return float(node.get("weeks") or 0.0) / n if n else None

"""Which numbers of an analysis are benchmarked, at what resolution, and which way is better.

Metric ids are the spec's field paths with `_` for `.` (`verbal_speakingPace_averageWPM`), so
they are plain Firestore map keys. Scores (0-100) are kept in 1-point buckets; each raw measure
has the resolution below. A value is put in bucket round(value / resolution) (half up), so a
percentile read back from the buckets is the exact sorted-index value of the rounded values:
off by at most half the resolution from the raw value, and 0 for values already at it.
Sums and sums of squares are of the raw values, so means and standard deviations are exact.

An absent metric (None, missing, not a number) is skipped, never counted as 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["score", "raw"]


@dataclass(frozen=True)
class Metric:
    id: str
    path: tuple[str, ...]
    label: str
    kind: Kind
    resolution: float
    higher_is_better: bool = True
    minimum: float = 0.0
    maximum: float | None = 100.0

    def bucket(self, value: float) -> int:
        return math.floor(value / self.resolution + 0.5)

    def value_of(self, bucket: int) -> float:
        return round(bucket * self.resolution, 6)


def _score(path: str, label: str) -> Metric:
    parts = tuple(path.split("."))
    return Metric(id="_".join(parts), path=parts, label=label, kind="score", resolution=1.0)


def _raw(
    path: str, label: str, resolution: float, *, higher: bool, maximum: float | None
) -> Metric:
    parts = tuple(path.split("."))
    return Metric(
        id="_".join(parts),
        path=parts,
        label=label,
        kind="raw",
        resolution=resolution,
        higher_is_better=higher,
        maximum=maximum,
    )


READINESS = _score("overall.interviewReadiness", "Interview readiness")

METRICS: tuple[Metric, ...] = (
    READINESS,
    _score("overall.hireability", "Hireability"),
    _score("verbal.score", "Verbal communication"),
    _score("nonVerbal.score", "Non-verbal presence"),
    _score("content.score", "Answer content"),
    _score("verbal.speakingPace.score", "Speaking pace"),
    _score("verbal.clarity.score", "Clarity"),
    _score("verbal.fillerWords.score", "Filler words"),
    _score("verbal.pauses.score", "Pauses"),
    _score("verbal.tonality.score", "Tonality"),
    _score("nonVerbal.eyeContact.score", "Eye contact"),
    _score("nonVerbal.facialExpressions.score", "Facial expressions"),
    _score("nonVerbal.posture.score", "Posture"),
    _score("nonVerbal.gestures.score", "Gestures"),
    _score("nonVerbal.overallPresence.score", "Overall presence"),
    _score("content.structureClarity.score", "Answer structure"),
    _score("content.relevance.score", "Relevance"),
    _score("content.storytelling.score", "Storytelling"),
    _score("content.technicalAccuracy.score", "Technical accuracy"),
    _score("nonVerbal.eyeContact.percentage", "Eye contact (% of time)"),
    # Raw measures: resolution in their unit; direction only for the "better than" wording.
    _raw("verbal.speakingPace.averageWPM", "Words per minute", 1.0, higher=True, maximum=None),
    _raw("verbal.speakingPace.variability", "Pace variability", 0.01, higher=False, maximum=None),
    _raw("verbal.fillerWords.frequency", "Fillers per minute", 0.1, higher=False, maximum=None),
    _raw("verbal.pauses.averagePauseLength", "Average pause (s)", 0.1, higher=False, maximum=None),
    _raw("nonVerbal.gestures.frequency", "Gestures per minute", 0.1, higher=True, maximum=None),
)
"""Documented resolutions: scores 1 point; WPM 1 word/min; variability 0.01 (coefficient of
variation); filler frequency 0.1/min; pause length 0.1 s; gesture frequency 0.1/min."""

BY_ID: dict[str, Metric] = {m.id: m for m in METRICS}
SKILL_METRICS: tuple[Metric, ...] = tuple(
    m for m in METRICS if m.kind == "score" and m.path[0] != "overall" and len(m.path) == 3
)
"""Group scores: what insights, skills and weaknesses are phrased in."""


@dataclass(frozen=True)
class PublishedNorm:
    low: float
    high: float
    source: str


PUBLISHED_NORMS: dict[str, PublishedNorm] = {
    "verbal_speakingPace_averageWPM": PublishedNorm(
        120.0, 160.0, "spec §2.1 speakingPace.optimalRange (120-160 WPM)"
    ),
}
"""Norms that may stand in (as a band) when no cohort reaches k."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return float(value)


def extract(metrics: Mapping[str, Any] | None) -> dict[str, float]:
    """The benchmarked numbers present in a stored `metrics` map, by metric id.

    Values outside a metric's valid range are dropped as corrupt rather than clamped.
    """
    out: dict[str, float] = {}
    if not isinstance(metrics, Mapping):
        return out
    for metric in METRICS:
        node: Any = metrics
        for part in metric.path:
            node = node.get(part) if isinstance(node, Mapping) else None
        value = _number(node)
        if value is None or value < metric.minimum:
            continue
        if metric.maximum is not None and value > metric.maximum:
            continue
        out[metric.id] = value
    return out


def nest(values: Mapping[str, float]) -> dict[str, Any]:
    """Metric id -> value, as the spec's nested PerformanceMetrics shape."""
    out: dict[str, Any] = {}
    for metric_id, value in values.items():
        metric = BY_ID[metric_id]
        node = out
        for part in metric.path[:-1]:
            node = node.setdefault(part, {})
        node[metric.path[-1]] = round(value, 2)
    return out

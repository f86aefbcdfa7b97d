"""Comparing one person's metrics with their cohorts: mid-rank percentiles and named fallbacks.

Percentile = 100 × (count below + ½ × count equal) / n, at the metric's resolution, against the
*other* members: the person's own counted contribution is taken out first.

Each comparison walks a chain of cohorts, most specific first, and uses the first one where at
least k other people have the metric; `cohorts.*.level` names the one used:

    industry:   industry → global
    role:       industry × role × level → industry × role → role → industry → global
    experience: industry × role × level → industry × level → level → global

When no cohort reaches k, a published norm (`PUBLISHED_NORMS`) gives a band, never a
percentile; otherwise the comparison is absent with a reason.

All seven cohort summaries are read in one `get_all`, whatever the population size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from google.cloud import firestore

from salamin.benchmarks.aggregates import CohortState, Counts
from salamin.benchmarks.cohorts import Cohort
from salamin.benchmarks.metrics import BY_ID, PUBLISHED_NORMS, READINESS, SKILL_METRICS, nest
from salamin.benchmarks.publish import K_MIN, summary_ref
from salamin.models.benchmarks import (
    CohortLevel,
    CohortsUsed,
    CohortUsed,
    Comparisons,
    MetricComparison,
    NormBand,
)

Slot = Literal["industry", "role", "experience"]
CHAINS: dict[Slot, tuple[CohortLevel, ...]] = {
    "industry": ("industry", "global"),
    "role": ("industry_role_level", "industry_role", "role", "industry", "global"),
    "experience": ("industry_role_level", "industry_level", "level", "global"),
}
PERCENTILE_FIELD: dict[Slot, str] = {
    "industry": "industryPercentile",
    "role": "rolePercentile",
    "experience": "experiencePercentile",
}


@dataclass(frozen=True)
class Population:
    """The seven cohort states of one person, and what they themselves contribute to each."""

    cohort: Cohort
    states: dict[CohortLevel, CohortState]
    own: dict[CohortLevel, dict[str, float]]

    def others(self, level: CohortLevel, metric_id: str) -> Counts:
        counts = self.states[level].counts(metric_id)
        return counts.without(self.own.get(level, {}).get(metric_id))

    def people_besides(self, level: CohortLevel) -> int:
        return self.states[level].people - (1 if level in self.own else 0)


def load_population(
    db: firestore.Client,
    cohort: Cohort,
    *,
    own_values: Mapping[str, float] | None,
    own_keys: Mapping[str, str] | None,
) -> Population:
    keys = cohort.keys()
    refs = {level: summary_ref(db, key) for level, key in keys.items()}
    by_path = {s.reference.path: s for s in db.get_all(list(refs.values()))}
    states: dict[CohortLevel, CohortState] = {}
    for level, ref in refs.items():
        snap = by_path.get(ref.path)
        states[level] = CohortState(snap.to_dict() if snap is not None and snap.exists else None)
    own: dict[CohortLevel, dict[str, float]] = {}
    if own_values and own_keys:
        for level, key in keys.items():
            if own_keys.get(level) == key:
                own[level] = dict(own_values)
    return Population(cohort=cohort, states=states, own=own)


def _used(pop: Population, level: CohortLevel, n: int) -> CohortUsed:
    return CohortUsed(key=pop.cohort.keys()[level], level=level, sampleSize=n)


def choose(pop: Population, slot: Slot, metric_id: str) -> tuple[CohortLevel, Counts] | None:
    for level in CHAINS[slot]:
        counts = pop.others(level, metric_id)
        if counts.n >= K_MIN:
            return level, counts
    return None


def _norm(metric_id: str, value: float) -> NormBand | None:
    norm = PUBLISHED_NORMS.get(metric_id)
    if norm is None:
        return None
    position: Literal["below", "within", "above"] = (
        "below" if value < norm.low else "above" if value > norm.high else "within"
    )
    return NormBand(
        metric=metric_id, range=(norm.low, norm.high), position=position, source=norm.source
    )


@dataclass(frozen=True)
class Compared:
    comparisons: Comparisons
    cohorts: CohortsUsed
    metric_percentiles: dict[str, dict[str, MetricComparison]]
    slot_levels: dict[Slot, CohortLevel | None]


def compare(pop: Population, values: Mapping[str, float]) -> Compared:
    per_metric: dict[str, dict[str, MetricComparison]] = {}
    percentiles: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    used: dict[str, CohortUsed | None] = {}
    slot_levels: dict[Slot, CohortLevel | None] = {}
    for slot, chain in CHAINS.items():
        slot_levels[slot] = None
        for metric_id, value in values.items():
            chosen = choose(pop, slot, metric_id)
            if chosen is not None:
                found, counts = chosen
                comparison = MetricComparison(
                    percentile=counts.midrank_percentile(value),
                    cohort=_used(pop, found, counts.n),
                    value=value,
                )
            else:
                norm = _norm(metric_id, value)
                comparison = MetricComparison(
                    value=value,
                    norm=norm,
                    unavailableReason=None
                    if norm
                    else f"no cohort on the {slot} chain has {K_MIN} other people with this metric",
                )
            per_metric.setdefault(metric_id, {})[slot] = comparison
        readiness = per_metric.get(READINESS.id, {}).get(slot)
        field = PERCENTILE_FIELD[slot]
        if readiness is not None and readiness.percentile is not None and readiness.cohort:
            percentiles[field] = readiness.percentile
            used[slot] = readiness.cohort
            slot_levels[slot] = readiness.cohort.level
        else:
            reasons[field] = (
                "overall.interviewReadiness was not measured"
                if READINESS.id not in values
                else f"no cohort on the {slot} chain ({' → '.join(chain)}) has {K_MIN} other people"
            )
            fallback: CohortLevel | None = next(
                (lv for lv in chain if pop.people_besides(lv) >= K_MIN), None
            )
            used[slot] = _used(pop, fallback, pop.people_besides(fallback)) if fallback else None
            slot_levels[slot] = fallback
    return Compared(
        comparisons=Comparisons(**percentiles, unavailableReasons=reasons),
        cohorts=CohortsUsed(**used),
        metric_percentiles=per_metric,
        slot_levels=slot_levels,
    )


def averages(pop: Population, level: CohortLevel | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return nest(pop.states[level].means(minimum=K_MIN)) or None


def top_decile_means(pop: Population, level: CohortLevel | None) -> dict[str, float]:
    if level is None:
        return {}
    state = pop.states[level]
    readiness = state.counts(READINESS.id)
    if readiness.n < K_MIN:
        return {}
    p90 = READINESS.bucket(readiness.quantile(0.9))
    means, _ = state.readiness_band_means(low=p90, minimum=1)
    return means


def improvement_areas(values: Mapping[str, float], top: Mapping[str, float]) -> list[str]:
    """The person's group scores furthest below the top decile's means, largest gap first."""
    gaps = sorted(
        ((m.id, top[m.id] - values[m.id]) for m in SKILL_METRICS if m.id in values and m.id in top),
        key=lambda t: -t[1],
    )
    return [
        f"{BY_ID[m].label}: {values[m]:.0f} vs {top[m]:.0f} for top performers"
        for m, gap in gaps[:3]
        if gap > 0
    ]

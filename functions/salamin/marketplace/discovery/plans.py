"""Query plans: the one server-side filter a search uses (the most selective one the request
allows, by estimated selectivity), and the sort orders with their range filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import total_ordering
from typing import Any

from google.cloud import firestore

from salamin.marketplace.discovery import search_index as idx
from salamin.marketplace.discovery.filters import Criteria, S

# --- choosing the one server-side filter ------------------------------------------------------

_PRIOR = {
    "specialty": 0.35,
    "sessionType": 0.6,
    "industry": 0.12,
    "companyType": 0.3,
    "language": 0.15,
}
_COMMON_LANGUAGES = {"en", "english"}
MAX_DISJUNCTS = 30


@dataclass(frozen=True)
class Plan:
    """The array filter the main query uses: (field, operator, values), or none."""

    field: str | None = None
    op: str = "array_contains_any"
    values: tuple[str, ...] = ()
    description: str = "active experts"


def _group_selectivity(group: str, values: list[str]) -> float:
    if group == "language":
        return min(1.0, sum(0.85 if v in _COMMON_LANGUAGES else _PRIOR[group] for v in values))
    return min(1.0, _PRIOR[group] * len(values))


def avail_blocks(criteria: Criteria) -> list[int]:
    blocks: set[int] = set()
    for a, b in criteria.avail_intervals:
        start = idx.week_minute(a)
        blocks |= idx.blocks_of_interval(start, start + int((b - a).total_seconds() // 60))
    return sorted(blocks)


def _text_plan(word: str) -> Plan:
    return Plan(f"{S}tokens", "array_contains", (idx.query_token(word),), f"text '{word}'")


def choose_plan(criteria: Criteria, *, count: Callable[[Plan], int] | None = None) -> Plan:
    """The most selective single array filter, by rough priors (no statistics are kept).

    For a multi-word search term, where priors say nothing about which word is rare, `count`
    (a count() aggregation: one read per 1,000 matches) picks the rarest of up to three words.
    """
    options: list[tuple[float, Plan]] = []
    if criteria.words:
        longest = sorted(criteria.words, key=len, reverse=True)[:3]
        word = longest[0]
        if count is not None and len(longest) > 1:
            word = min(longest, key=lambda w: (count(_text_plan(w)), -len(w)))
        options.append((0.02 if len(word) >= 3 else 0.1, _text_plan(word)))
    groups = criteria.facet_groups()
    for g, values in groups.items():
        options.append(
            (
                _group_selectivity(g, values),
                Plan(f"{S}facets", "array_contains_any", tuple(f"{g}:{v}" for v in values), g),
            )
        )
    names = [g for g in idx.PAIR_GROUPS if g in groups]
    for i, g in enumerate(names):
        for h in names[i + 1 :]:
            tokens = [idx.pair_token(g, a, h, b) for a in groups[g] for b in groups[h]]
            if len(tokens) + 1 > MAX_DISJUNCTS:
                continue
            tokens.append(idx.overflow_token(g, h))
            sel = _group_selectivity(g, groups[g]) * _group_selectivity(h, groups[h])
            options.append(
                (sel, Plan(f"{S}pairs", "array_contains_any", tuple(tokens), f"{g}+{h}"))
            )
    if criteria.has_availability:
        blocks = avail_blocks(criteria)
        if blocks and len(blocks) < idx.AVAIL_BLOCKS and len(blocks) <= MAX_DISJUNCTS:
            options.append(
                (
                    min(1.0, 0.05 * len(blocks) + 0.1),
                    Plan(
                        f"{S}facets",
                        "array_contains_any",
                        tuple(f"avail:{b}" for b in blocks),
                        "availability",
                    ),
                )
            )
    if criteria.currency:
        options.append(
            (
                0.9,
                Plan(
                    f"{S}facets", "array_contains", (f"currency:{criteria.currency}",), "currency"
                ),
            )
        )
    if not options:
        return Plan()
    options.sort(key=lambda o: (o[0], len(o[1].values)))
    return options[0][1]


def company_plan(criteria: Criteria, main: Plan, targets: Iterable[str]) -> Plan:
    """The filter of the target-company stream: the main plan's text token when there is one,
    else company x filter-group pairs when they fit one query, else the companies themselves.
    Whatever serves it, the stream keeps only experts at a target company (checked in memory)."""
    companies = sorted(targets)
    if main.field == f"{S}tokens":
        return main
    groups = criteria.facet_groups()
    best: tuple[float, Plan] | None = None
    for g, values in groups.items():
        if g not in idx.COMPANY_PAIR_GROUPS:
            continue
        tokens = [idx.pair_token(g, v, "company", c) for v in values for c in companies]
        if len(tokens) + 1 > MAX_DISJUNCTS:
            continue
        tokens.append(idx.overflow_token(g, "company"))
        sel = _group_selectivity(g, values)
        if best is None or sel < best[0]:
            best = (sel, Plan(f"{S}pairs", "array_contains_any", tuple(tokens), f"company+{g}"))
    if best is not None:
        return best[1]
    return Plan(f"{S}companies", "array_contains_any", tuple(companies), "target companies")


def with_plan(query: firestore.Query, plan: Plan) -> firestore.Query:
    if not plan.field:
        return query
    value: Any = list(plan.values) if plan.op == "array_contains_any" else plan.values[0]
    return query.where(filter=firestore.FieldFilter(plan.field, plan.op, value))


# --- sort orders ------------------------------------------------------------------------------


@total_ordering
@dataclass(frozen=True)
class Desc:
    """A string that sorts backwards (document ids under a descending sort)."""

    value: str

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Desc):
            return NotImplemented
        return self.value > other.value


@dataclass(frozen=True)
class SortSpec:
    field: str
    descending: bool

    @property
    def direction(self) -> str:
        return firestore.Query.DESCENDING if self.descending else firestore.Query.ASCENDING

    def pos(self, value: float, doc_id: str) -> tuple[Any, ...]:
        """Position in Firestore's order for this sort: (value, id), both in sort direction."""
        return (-value, Desc(doc_id)) if self.descending else (value, doc_id)


SORTS: dict[str, SortSpec] = {
    "relevance": SortSpec("relevanceKey", True),
    "price": SortSpec("minHourlyPrice", False),
    "rating": SortSpec("averageRating", True),
    "experience": SortSpec("yearsOfExperience", True),
}


def range_filters(sort_by: str, criteria: Criteria) -> list[tuple[str, str, Any]]:
    """Bounds on the sort field itself (Firestore wants a range field to be the first order)."""
    if sort_by == "price" and criteria.price_max is not None:
        return [(f"{S}minHourlyPrice", "<=", criteria.price_max)]
    if sort_by == "rating" and criteria.rating_min is not None:
        return [(f"{S}averageRating", ">=", float(criteria.rating_min))]
    if sort_by == "experience":
        bounds: list[tuple[str, str, Any]] = []
        if criteria.years_min is not None:
            bounds.append((f"{S}yearsOfExperience", ">=", criteria.years_min))
        if criteria.years_max is not None:
            bounds.append((f"{S}yearsOfExperience", "<=", criteria.years_max))
        return bounds
    return []

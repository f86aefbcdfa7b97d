"""Mastery per competency from evidence: a Beta model with partial credit and forgetting.

Each competency holds (alpha, beta), prior (1, 1). A piece of evidence with score s in 0..100
and weight w first decays the old evidence (alpha, beta *= `DECAY`, so recent practice counts
more), then adds partial credit: alpha += w·s/100, beta += w·(1 − s/100). Mastery is the mean
alpha / (alpha + beta) × 100. O(1) per evidence. Weights: a completed analysis 2, an
assessment 1.5, an activity score 1.

Analysis evidence for a competency is the mean of its metrics that were measured (see
`catalog.json`); an absent metric is no evidence.

`SkillAnalysis` also uses the person's benchmark percentiles (role cohort, read through
`benchmarks.service.own_percentiles`) where they exist: a competency at or below the 25th
percentile is a weakness and one at or above the 75th a strength even when mastery alone says
otherwise; a weakness by either measure is never listed as a strength. Neither is invented: a
competency with neither mastery nor a percentile is absent, and no evidence at all says so. State lives in `users/{uid}/learning/skills`,
updated in a transaction that also records the evidence id, so the same evidence counts once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from google.cloud import firestore

from salamin.core import collections as col
from salamin.learning.catalog import Catalog
from salamin.models.learning import SkillAnalysis

DECAY = 0.9
WEIGHTS: dict[str, float] = {"analysis": 2.0, "assessment": 1.5, "activity": 1.0}
EvidenceKind = Literal["analysis", "assessment", "activity"]
STRENGTH_AT = 70.0
WEAKNESS_BELOW = 60.0
PCT_STRONG_AT = 75.0
PCT_WEAK_AT = 25.0
MAX_REMEMBERED = 200


def update(
    state: Mapping[str, Any] | None, score: float, *, kind: EvidenceKind
) -> dict[str, float]:
    alpha = float((state or {}).get("alpha", 1.0)) * DECAY
    beta = float((state or {}).get("beta", 1.0)) * DECAY
    w = WEIGHTS[kind]
    s = min(100.0, max(0.0, score)) / 100
    return {
        "alpha": alpha + w * s,
        "beta": beta + w * (1 - s),
        "evidence": float((state or {}).get("evidence", 0)) + 1,
    }


def mastery(state: Mapping[str, Any]) -> float:
    alpha, beta = float(state["alpha"]), float(state["beta"])
    return round(100 * alpha / (alpha + beta), 1)


def evidence_from_metrics(catalog: Catalog, values: Mapping[str, float]) -> dict[str, float]:
    """Competency -> score from an analysis' measured metric values (benchmark metric ids)."""
    out = {}
    for key, comp in catalog.competencies.items():
        present = [values[m] for m in comp.metrics if m in values]
        if present:
            out[key] = sum(present) / len(present)
    return out


def skills_ref(db: firestore.Client, uid: str) -> firestore.DocumentReference:
    return db.collection(col.USERS).document(uid).collection(col.USER_LEARNING).document("skills")


def record_evidence(
    db: firestore.Client,
    *,
    uid: str,
    evidence_id: str,
    scores: Mapping[str, float],
    kind: EvidenceKind,
) -> bool:
    """Apply one piece of evidence once; False when it was already applied."""
    ref = skills_ref(db, uid)

    @firestore.transactional
    def apply(tx: firestore.Transaction) -> bool:
        snap = ref.get(transaction=tx)
        data = snap.to_dict() or {} if snap.exists else {}
        seen: list[str] = list(data.get("appliedEvidence") or [])
        if evidence_id in seen:
            return False
        competencies = dict(data.get("competencies") or {})
        for key, score in scores.items():
            competencies[key] = update(competencies.get(key), score, kind=kind)
        tx.set(
            ref,
            {
                "competencies": competencies,
                "appliedEvidence": [*seen, evidence_id][-MAX_REMEMBERED:],
            },
        )
        return True

    applied: bool = apply(db.transaction())
    return applied


def masteries(data: Mapping[str, Any] | None) -> dict[str, float]:
    return {k: mastery(v) for k, v in ((data or {}).get("competencies") or {}).items()}


def competency_percentiles(
    catalog: Catalog, metric_percentiles: Mapping[str, float]
) -> dict[str, float]:
    """Competency -> mean of the percentiles of its metrics that have one."""
    out = {}
    for key, comp in catalog.competencies.items():
        present = [metric_percentiles[m] for m in comp.metrics if m in metric_percentiles]
        if present:
            out[key] = round(sum(present) / len(present), 1)
    return out


def skill_analysis(
    catalog: Catalog,
    known: Mapping[str, float],
    *,
    evidence: int,
    percentiles: Mapping[str, float] | None = None,
    benchmark_reason: str | None = None,
) -> SkillAnalysis:
    pcts = dict(percentiles or {})
    if not known and not pcts:
        return SkillAnalysis(
            strengths=[],
            weaknesses=[],
            improvementAreas=[],
            evidenceCount=0,
            benchmarkUnavailableReason=benchmark_reason,
            unavailableReason="no analysis, assessment or activity score yet: the path starts with a diagnostic practice session",
        )
    label = {k: c.label for k, c in catalog.competencies.items()}
    keys = set(known) | set(pcts)

    def weak(k: str) -> bool:
        return (k in known and known[k] < WEAKNESS_BELOW) or (k in pcts and pcts[k] <= PCT_WEAK_AT)

    def strong(k: str) -> bool:
        if weak(k):
            return False
        return (k in known and known[k] >= STRENGTH_AT) or (k in pcts and pcts[k] >= PCT_STRONG_AT)

    def standing(k: str) -> float:
        """Sort key: mastery where measured, else the percentile."""
        return known[k] if k in known else pcts[k]

    ordered = sorted(keys, key=lambda k: (standing(k), k))
    level = round(sum(known.values()) / len(known), 1) if known else None
    return SkillAnalysis(
        currentLevel=level,
        strengths=[label[k] for k in reversed(ordered) if strong(k)][:3],
        weaknesses=[label[k] for k in ordered if weak(k)][:3],
        improvementAreas=[label[k] for k in ordered if not strong(k)][:5],
        readinessScore=level,
        evidenceCount=evidence,
        mastery=dict(known),
        benchmarkPercentiles=pcts,
        benchmarkUnavailableReason=benchmark_reason,
    )


def read_skill_analysis(db: firestore.Client, *, catalog: Catalog, uid: str) -> SkillAnalysis:
    """Mastery (one read) and benchmark percentiles (three reads) of one person, combined."""
    from salamin.benchmarks.service import own_percentiles

    snap = skills_ref(db, uid).get()
    data = snap.to_dict() if snap.exists else None
    metric_pcts, reason = own_percentiles(db, uid=uid)
    return skill_analysis(
        catalog,
        masteries(data),
        evidence=evidence_count(data),
        percentiles=competency_percentiles(catalog, metric_pcts),
        benchmark_reason=reason,
    )


def evidence_count(data: Mapping[str, Any] | None) -> int:
    return int(
        sum(float(v.get("evidence", 0)) for v in ((data or {}).get("competencies") or {}).values())
    )

"""Mastery from evidence: O(1) updates, recent evidence weighs more, evidence counts once."""

from __future__ import annotations

from salamin.learning import skills
from salamin.learning.catalog import load


def test_partial_credit_moves_mastery_toward_the_evidence() -> None:
    state = None
    for _ in range(10):
        state = skills.update(state, 90, kind="analysis")
    assert state is not None and 80 < skills.mastery(state) < 90
    for _ in range(10):
        state = skills.update(state, 30, kind="analysis")
    # Without forgetting the mean of the evidence would be 60; the recent low scores dominate.
    assert 30 < skills.mastery(state) < 50


def test_analysis_evidence_uses_only_measured_metrics() -> None:
    catalog = load()
    evidence = skills.evidence_from_metrics(
        catalog,
        {
            "verbal_fillerWords_score": 40.0,
            "content_relevance_score": 80.0,
            "content_storytelling_score": 60.0,
        },
    )
    assert evidence["filler_words"] == 40
    assert evidence["behavioural_stories"] == 70  # mean of relevance and storytelling
    assert "eye_contact" not in evidence and "system_design" not in evidence


def test_no_evidence_says_so() -> None:
    analysis = skills.skill_analysis(load(), {}, evidence=0)
    assert analysis.currentLevel is None and analysis.readinessScore is None
    assert analysis.unavailableReason and "diagnostic" in analysis.unavailableReason


def test_evidence_is_recorded_once(db) -> None:  # type: ignore[no-untyped-def]
    assert skills.record_evidence(
        db, uid="u1", evidence_id="a1@t", scores={"filler_words": 40}, kind="analysis"
    )
    assert not skills.record_evidence(
        db, uid="u1", evidence_id="a1@t", scores={"filler_words": 40}, kind="analysis"
    )
    data = skills.skills_ref(db, "u1").get().to_dict() or {}
    assert data["competencies"]["filler_words"]["evidence"] == 1

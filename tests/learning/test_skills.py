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


def test_percentiles_name_weaknesses_and_strengths_mastery_alone_would_miss() -> None:
    catalog = load()
    analysis = skills.skill_analysis(
        catalog,
        {"eye_contact": 72.0, "filler_words": 65.0},
        evidence=2,
        percentiles={"eye_contact": 10.0, "filler_words": 90.0},
    )
    label = {k: c.label for k, c in catalog.competencies.items()}
    # Mastery 72 would be a strength; the 10th percentile of the cohort makes it a weakness.
    assert label["eye_contact"] in analysis.weaknesses
    assert label["eye_contact"] not in analysis.strengths
    # Mastery 65 is neither; the 90th percentile makes it a strength.
    assert label["filler_words"] in analysis.strengths
    assert label["filler_words"] not in analysis.improvementAreas
    assert analysis.benchmarkPercentiles == {"eye_contact": 10.0, "filler_words": 90.0}
    assert analysis.currentLevel == 68.5  # mastery only: percentiles are not scores


def test_competency_percentile_is_the_mean_over_its_measured_metrics() -> None:
    pcts = skills.competency_percentiles(
        load(), {"content_relevance_score": 40.0, "content_storytelling_score": 80.0}
    )
    assert pcts["behavioural_stories"] == 60.0
    assert pcts["relevance"] == 40.0 and pcts["star_storytelling"] == 80.0
    assert "eye_contact" not in pcts


def _cohort(db, n: int) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from salamin.core.clock import FixedClock
    from tests.benchmarks.support import T0, Lab, metrics_doc, put_profile

    lab = Lab(db, clock=FixedClock(T0))
    for i in range(n):
        put_profile(db, f"o{i}")
        lab.add(
            f"o-a{i}", f"o{i}", metrics_doc(60, eye_contact=40 + i), at=T0 + timedelta(minutes=i)
        )
    put_profile(db, "me")
    lab.add("me-a", "me", metrics_doc(60, eye_contact=95), at=T0 + timedelta(hours=2))
    lab.fold_all()


def test_read_skill_analysis_uses_the_persons_benchmark_percentiles(db) -> None:  # type: ignore[no-untyped-def]
    from salamin.benchmarks.publish import K_MIN

    _cohort(db, K_MIN)
    analysis = skills.read_skill_analysis(db, catalog=load(), uid="me")
    # 95 is above all K_MIN others (40..59): mid-rank percentile 100.
    assert analysis.benchmarkPercentiles == {"eye_contact": 100.0}
    assert analysis.benchmarkUnavailableReason is None
    assert analysis.strengths == ["Eye contact"] and analysis.weaknesses == []
    assert analysis.unavailableReason is None and analysis.mastery == {}


def test_below_k_there_is_no_percentile_and_it_says_why(db) -> None:  # type: ignore[no-untyped-def]
    from salamin.benchmarks.publish import K_MIN

    _cohort(db, K_MIN - 2)
    analysis = skills.read_skill_analysis(db, catalog=load(), uid="me")
    assert analysis.benchmarkPercentiles == {}
    assert analysis.benchmarkUnavailableReason and str(K_MIN) in analysis.benchmarkUnavailableReason
    nobody = skills.read_skill_analysis(db, catalog=load(), uid="stranger")
    assert nobody.benchmarkPercentiles == {} and nobody.benchmarkUnavailableReason
    assert nobody.unavailableReason and "diagnostic" in nobody.unavailableReason

"""Overall scores and confidence over whatever was measured."""

from __future__ import annotations

import math

import pytest

from salamin.analysis.overall import (
    category_score,
    confidence_scores,
    overall_metrics,
    with_category_scores,
)
from salamin.models.analysis import (
    ContentMetrics,
    EyeContact,
    FillerWords,
    NonVerbalMetrics,
    PerformanceMetrics,
    Posture,
    SpeakingPace,
    Storytelling,
    Tonality,
    VerbalMetrics,
)


def verbal(pace: float | None = 80, fillers: float | None = 40) -> VerbalMetrics:
    return VerbalMetrics(
        speakingPace=SpeakingPace(source="measured", score=pace),
        fillerWords=FillerWords(source="measured", score=fillers, count=14),
        tonality=Tonality(source="model", unavailableReason="no tonality model"),
    )


def test_category_score_is_mean_of_available_group_scores() -> None:
    assert category_score(verbal()) == 60.0  # (80 + 40) / 2, tonality skipped
    assert category_score(verbal(pace=None)) == 40.0
    assert category_score(verbal(pace=None, fillers=None)) is None
    assert category_score(None) is None


def test_overall_with_all_three_categories_uses_spec_weights() -> None:
    metrics = with_category_scores(
        PerformanceMetrics(
            verbal=verbal(),  # 60
            nonVerbal=NonVerbalMetrics(
                eyeContact=EyeContact(source="measured", score=90),
                posture=Posture(source="measured", score=70),
            ),  # 80
            content=ContentMetrics(storytelling=Storytelling(source="fallback", score=50)),
        )
    )
    o = metrics.overall
    assert metrics.verbal and metrics.verbal.score == 60.0
    assert o.categoryBreakdown == {"verbal": 60.0, "nonVerbal": 80.0, "content": 50.0}
    assert o.interviewReadiness == pytest.approx((60 + 80 + 50) / 3, abs=0.05)
    assert o.hireability == pytest.approx(0.4 * 60 + 0.3 * 80 + 0.3 * 50)
    assert o.improvementPotential == 50.0
    assert o.unavailableReason is None


def test_missing_category_renormalises_weights_and_is_left_out() -> None:
    metrics = with_category_scores(
        PerformanceMetrics(
            verbal=verbal(),  # 60
            content=ContentMetrics(storytelling=Storytelling(source="model", score=90)),
        )
    )
    o = metrics.overall
    assert "nonVerbal" not in o.categoryBreakdown
    assert o.interviewReadiness == 75.0
    assert o.hireability == pytest.approx((0.4 * 60 + 0.3 * 90) / 0.7, abs=0.05)
    assert o.improvementPotential == 40.0
    assert o.unavailableReason == "computed without nonVerbal: not measured"


def test_category_present_but_unscored_counts_as_missing() -> None:
    metrics = PerformanceMetrics(
        verbal=verbal(pace=None, fillers=None),
        nonVerbal=NonVerbalMetrics(unavailableReason="no face found"),
        content=ContentMetrics(storytelling=Storytelling(source="fallback", score=30)),
    )
    o = overall_metrics(metrics)
    assert o.categoryBreakdown == {"content": 30.0}
    assert o.interviewReadiness == o.hireability == 30.0


def test_nothing_measured_is_absent_with_reason() -> None:
    o = overall_metrics(PerformanceMetrics())
    assert o.interviewReadiness is None and o.hireability is None
    assert o.improvementPotential is None and o.categoryBreakdown == {}
    assert o.unavailableReason and "no category" in o.unavailableReason


def test_confidence_combines_the_measured_modality_confidences() -> None:
    c = confidence_scores(
        audio_confidence=35.0,
        video_confidence=80.0,
        content_confidence=50,
        content_source="model",
    )
    assert (c.audioAnalysis, c.videoAnalysis, c.contentAnalysis) == (35.0, 80.0, 50.0)
    assert c.overallReliability == pytest.approx(0.4 * 35 + 0.3 * 80 + 0.3 * 50, abs=0.05)
    assert c.unavailableReasons == {}


def test_missing_modality_is_absent_with_reason_and_lowers_reliability() -> None:
    c = confidence_scores(
        audio_confidence=100.0,
        video_confidence=None,
        content_confidence=80,
        content_source="fallback",
        video_reason="no video was provided",
    )
    assert c.videoAnalysis is None
    assert c.unavailableReasons["videoAnalysis"] == "no video was provided"
    assert c.contentAnalysis == 60.0  # fallback capped
    # (0.4*100 + 0.3*60) / 0.7 scaled by sqrt(0.7)
    assert c.overallReliability == pytest.approx((40 + 18) / 0.7 * math.sqrt(0.7), abs=0.1)


def test_nothing_analysed_has_no_reliability() -> None:
    none = confidence_scores(audio_confidence=None, video_confidence=None)
    assert none.overallReliability is None
    assert set(none.unavailableReasons) == {
        "audioAnalysis",
        "videoAnalysis",
        "contentAnalysis",
        "overallReliability",
    }

"""The analysis service over synthetic measurements: mapping, absences, confidence, sources."""

from __future__ import annotations

import pytest

from salamin.analysis import service
from salamin.analysis.media.models import Absence
from salamin.analysis.overall import category_score
from salamin.gateways.gemini import GeminiGateway
from salamin.models.analysis import MultiModalAnalysis
from scripts.doubles.gemini_double import GeminiDouble
from tests.analysis.synthetic import (
    ANSWER,
    ARTICULATION_REASON,
    TONALITY_REASON,
    VIDEO_ABSENT,
    face_seconds,
    measurement,
    verbal,
)

# ---- mapping ------------------------------------------------------------------------------------


def test_combined_measurement_maps_onto_spec_groups() -> None:
    result = service.build_analysis(measurement(), questions=["Tell me about a project."])

    assert result.analysisType == "combined"
    v = result.metrics.verbal
    assert v is not None and v.speakingPace is not None
    assert v.speakingPace.source == "measured"
    assert v.speakingPace.averageWPM == 142.0
    assert v.speakingPace.variability == 0.085  # the coefficient of variation
    assert v.speakingPace.optimalRange == (120.0, 160.0)
    assert v.fillerWords is not None and v.fillerWords.count == 2
    assert [(t.word, t.count) for t in v.fillerWords.types] == [("um", 1), ("you know", 1)]
    assert v.pauses is not None and v.pauses.averagePauseLength == 1.2
    assert (v.pauses.strategicPauses, v.pauses.awkwardSilences) == (1, 0)
    assert v.clarity is not None
    assert (v.clarity.pronunciation, v.clarity.volume, v.clarity.score) == (95.0, 100.0, 90.3)
    n = result.metrics.nonVerbal
    assert n is not None and n.eyeContact is not None and n.posture is not None
    assert (n.eyeContact.percentage, n.eyeContact.consistency) == (72.0, 80.0)
    assert n.posture.stability == 88.9
    assert n.gestures is not None and n.gestures.frequency == 3.0
    # categories and overall follow the shared formulas over the mapped groups
    assert v.score == category_score(v)
    assert result.metrics.overall.categoryBreakdown.keys() == {"verbal", "nonVerbal", "content"}
    MultiModalAnalysis.model_validate(
        result.analysis(session_id="s1", user_id="u1", created_at=_now()).model_dump()
    )


def test_unmeasurable_metrics_stay_absent_with_the_pipeline_reason() -> None:
    result = service.build_analysis(measurement())
    v, n = result.metrics.verbal, result.metrics.nonVerbal
    assert v is not None and n is not None
    assert v.clarity is not None and v.clarity.articulation is None
    assert v.clarity.unavailableReason == f"articulation: {ARTICULATION_REASON}"
    assert v.tonality is not None
    assert v.tonality.confidence is None and v.tonality.enthusiasm is None
    assert f"enthusiasm: {TONALITY_REASON}" in (v.tonality.unavailableReason or "")
    assert v.tonality.score == 70.0  # pitch variability was measured, and is labelled so
    assert "pitch variability" in (v.tonality.unavailableReason or "")
    assert n.facialExpressions is not None
    assert n.facialExpressions.score is None and n.facialExpressions.positivity is None
    assert n.facialExpressions.unavailableReason == "needs an expression model"
    assert n.posture is not None and n.posture.uprightness is None
    assert n.posture.unavailableReason == "uprightness: needs body-pose landmarks"
    assert n.overallPresence is not None and n.overallPresence.score is None


def test_a_group_that_could_not_be_measured_has_no_score_only_its_reason() -> None:
    reason = "under 2 s of voiced speech"
    m = measurement(
        verbal_m=verbal(tonality=None),
        absent=[Absence(metric="verbal.tonality", reason=reason), *VIDEO_ABSENT],
    )
    result = service.build_analysis(m)
    assert result.metrics.verbal is not None
    tonality = result.metrics.verbal.tonality
    assert tonality is not None
    assert tonality.score is None and tonality.unavailableReason == reason
    dumped = tonality.model_dump(exclude_none=True)
    assert set(dumped) == {"source", "unavailableReason"}


def test_audio_only_has_no_nonverbal_and_says_why_video_confidence_is_missing() -> None:
    result = service.build_analysis(measurement(video=False))
    assert result.analysisType == "audio"
    assert result.metrics.nonVerbal is None
    assert "nonVerbal" not in result.metrics.overall.categoryBreakdown
    assert result.confidenceScores.videoAnalysis is None
    assert result.confidenceScores.unavailableReasons["videoAnalysis"] == "no video was provided"
    assert result.sources.nonVerbal is None


def test_video_without_audio_track_keeps_verbal_and_content_absent() -> None:
    reason = "the video has no audio track"
    m = measurement(audio_source="none", absent=[Absence(metric="verbal", reason=reason)])
    result = service.build_analysis(m)
    assert result.analysisType == "video"
    assert result.metrics.verbal is not None
    assert result.metrics.verbal.unavailableReason == reason
    assert result.metrics.verbal.speakingPace is None
    assert result.metrics.content is not None and result.metrics.content.score is None
    assert reason in (result.metrics.content.unavailableReason or "")
    assert result.confidenceScores.audioAnalysis is None
    assert result.confidenceScores.contentAnalysis is None
    assert result.metrics.overall.categoryBreakdown.keys() == {"nonVerbal"}


# ---- confidence ---------------------------------------------------------------------------------


def test_confidence_follows_signal_quality_not_constants() -> None:
    clean = service.build_analysis(measurement(snr_db=28.0, face_share=0.95, speech_s=120.0))
    noisy = service.build_analysis(measurement(snr_db=8.0, face_share=0.4, speech_s=15.0))
    c, n = clean.confidenceScores, noisy.confidenceScores
    assert c.audioAnalysis is not None and n.audioAnalysis is not None
    assert c.videoAnalysis is not None and n.videoAnalysis is not None
    assert c.audioAnalysis > n.audioAnalysis
    assert c.videoAnalysis >= n.videoAnalysis  # both limited by 24 s of video here
    assert c.overallReliability is not None and n.overallReliability is not None
    assert c.overallReliability > n.overallReliability
    # the pipeline's own figures are used as they are: one formula, in media.scoring
    noisy_m = measurement(snr_db=8.0, face_share=0.4, speech_s=15.0)
    assert n.audioAnalysis == pytest.approx(noisy_m.signalQuality.audioConfidence, abs=0.05)
    assert n.videoAnalysis == pytest.approx(noisy_m.signalQuality.videoConfidence, abs=0.05)


def test_missing_video_confidence_carries_the_pipelines_reason() -> None:
    m = measurement()
    m.signalQuality.videoConfidence = None
    m.absent.append(Absence(metric="nonVerbal", reason="too dark to find a face"))
    scores = service.build_analysis(m).confidenceScores
    assert scores.videoAnalysis is None
    assert scores.unavailableReasons["videoAnalysis"] == "too dark to find a face"


# ---- model vs fallback --------------------------------------------------------------------------


def test_without_gemini_content_and_insights_are_labelled_fallback() -> None:
    result = service.build_analysis(measurement())
    content = result.metrics.content
    assert content is not None and content.structureClarity is not None
    assert content.structureClarity.source == "fallback"
    assert result.insights.source == "fallback"
    assert result.sources.content == "fallback" and result.sources.insights == "fallback"
    assert result.sources.fallbackReasons == {
        "content": "not_configured",
        "insights": "not_configured",
    }
    assert result.confidenceScores.contentAnalysis is not None
    assert result.confidenceScores.contentAnalysis <= 60
    assert 5 <= len(result.recommendations) <= 7


def test_with_gemini_content_and_insights_come_from_the_model(gemini: GeminiGateway) -> None:
    result = service.build_analysis(
        measurement(), questions=["Tell me about a project."], target_role="Engineer", gemini=gemini
    )
    assert result.sources.content == "model" and result.sources.insights == "model"
    assert result.sources.fallbackReasons == {}
    content = result.metrics.content
    assert content is not None and content.storytelling is not None
    assert content.storytelling.source == "model"
    assert result.insights.source == "model"
    # measured groups stay measured whatever the model says
    assert result.metrics.verbal is not None and result.metrics.verbal.speakingPace is not None
    assert result.metrics.verbal.speakingPace.source == "measured"


def test_gemini_failures_fall_back_and_say_why(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    gemini_double.queue_server_error()  # content: first try
    gemini_double.queue_server_error()  # content: the one retry
    gemini_double.queue_malformed()  # insights
    result = service.build_analysis(measurement(), gemini=gemini)
    assert result.sources.fallbackReasons == {"content": "server_error", "insights": "malformed"}
    assert result.insights.source == "fallback"
    assert result.metrics.content is not None
    assert result.metrics.content.relevance is not None
    assert result.metrics.content.relevance.source == "fallback"


# ---- evidence -----------------------------------------------------------------------------------


def test_look_aways_are_runs_of_seconds_without_a_centred_face() -> None:
    spans = service.look_aways(face_seconds("CCOONCCDDOC"))
    assert [(s.start, s.end) for s in spans] == [(2, 5), (9, 10)]


def test_insights_quote_measured_events() -> None:
    result = service.build_analysis(measurement())
    patterns = {p.pattern.split(" (")[0]: p.timestamps for p in result.insights.patterns}
    assert patterns["Filler words"] == [5.3, 17.7]
    # seconds 4-7 hold no centred face ("OONN"): one look-away run starting at 4 s
    assert patterns["Looking away from the camera"] == [4.0]
    filler_weakness = next(w for w in result.insights.weaknesses if w.category == "verbal")
    assert "at 5.3s, 17.7s" in filler_weakness.evidence


def test_report_carries_metrics_insights_confidence_and_evidence() -> None:
    report = service.build_analysis(measurement()).report()
    assert {
        "metrics",
        "insights",
        "recommendations",
        "confidenceScores",
        "sources",
        "measurement",
        "transcript",
        "evidence",
    } <= report.keys()
    ev = report["evidence"]
    assert len(ev["words"]) == len(ANSWER.split())
    assert ev["words"][0].keys() >= {"word", "start", "end"}
    assert [f["start"] for f in ev["fillers"]] == [5.3, 17.7]
    assert [(p["start"], p["end"]) for p in ev["pauses"]] == [(8.0, 8.8), (12.0, 13.6)]
    assert [s["present"] for s in ev["facePresence"]][:7] == [True] * 6 + [False]
    assert "evidence" not in report["measurement"]
    assert report["measurement"]["nonVerbal"]["facePresence"]["percentage"] == 90.0


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

"""Insights and recommendations: grounded fallback rules and the Gemini path."""

from __future__ import annotations

import pytest

from salamin.analysis.content import analyze_content
from salamin.analysis.insight_rules import AnalysisEvidence, FillerEvent, TimeSpan
from salamin.analysis.insights import InsightsAnswer, generate_insights
from salamin.analysis.overall import with_category_scores
from salamin.gateways.gemini import GeminiGateway
from salamin.models.analysis import (
    Clarity,
    ContentMetrics,
    EyeContact,
    FacialExpressions,
    FillerWordCount,
    FillerWords,
    Gestures,
    NonVerbalMetrics,
    OverallPresence,
    Pauses,
    PerformanceMetrics,
    Posture,
    Relevance,
    SpeakingPace,
    Storytelling,
    StructureClarity,
    Tonality,
    VerbalMetrics,
)
from scripts.doubles.gemini_double import GeminiDouble

FILLER_TIMES = [12.4, 40.2, 41.0, 45.5, 52.3, 60.1, 88.0, 120.7, 150.2, 180.0, 200.4, 230.9]
FILLER_TIMES += [250.0, 262.5]  # 14 fillers


def verbal_metrics() -> VerbalMetrics:
    return VerbalMetrics(
        speakingPace=SpeakingPace(
            source="measured",
            averageWPM=148,
            variability=0.18,
            optimalRange=(130, 160),
            score=88,
        ),
        fillerWords=FillerWords(
            source="measured",
            count=14,
            frequency=3.1,
            types=[FillerWordCount(word="um", count=9), FillerWordCount(word="like", count=5)],
            score=35,
        ),
        pauses=Pauses(
            source="measured",
            averagePauseLength=1.2,
            strategicPauses=4,
            awkwardSilences=2,
            score=55,
        ),
    )


def evidence(**kw: object) -> AnalysisEvidence:
    base: dict[str, object] = {
        "speechDurationS": 271.0,
        "recordingDurationS": 300.0,
        "fillers": [FillerEvent(word="um", start=t) for t in FILLER_TIMES],
        "pauses": [TimeSpan(start=70.0, end=74.5), TimeSpan(start=95.0, end=96.0)],
    }
    base.update(kw)
    return AnalysisEvidence.model_validate(base)


def test_filler_weakness_quotes_measured_numbers_and_times() -> None:
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    result = generate_insights(metrics=metrics, evidence=evidence(), gemini=None)
    assert result.source == "fallback" and result.fallbackReason == "not_configured"
    ins = result.insights
    assert ins.source == "fallback"
    fillers = next(w for w in ins.weaknesses if w.description.startswith("Filler words"))
    assert "14 fillers, 3.1/min" in fillers.evidence
    assert "at 12.4s, 40.2s, 41.0s, 45.5s, 52.3s, 60.1s and 8 more" in fillers.evidence
    assert "most frequent: 'um' x9, 'like' x5" in fillers.evidence
    assert fillers.impact == "high" and fillers.actionable
    pauses = next(w for w in ins.weaknesses if w.description.startswith("Pauses"))
    assert "longest silence 4.5s at 70.0s" in pauses.evidence
    pace = next(s for s in ins.strengths if s.description.startswith("Speaking pace"))
    assert "148 WPM average (target 130-160)" in pace.evidence
    assert not pace.actionable


def test_recommendations_are_5_to_7_ranked_by_gap_and_grounded() -> None:
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    result = generate_insights(metrics=metrics, evidence=evidence(), gemini=None)
    recs = result.recommendations
    assert 5 <= len(recs) <= 7
    assert [r.title for r in recs[:3]] == [
        "Replace filler words with pauses",  # gap 65
        "Use pauses on purpose",  # gap 45
        "Steady your speaking pace",  # gap 12
    ]
    assert [r.priority for r in recs[:3]] == ["high", "high", "low"]
    assert recs[0].estimatedImprovement == pytest.approx(0.3 * 65)
    assert "14 fillers, 3.1/min" in recs[0].description
    # Padding is labelled: camera not used, then general practice with no promised gain.
    assert recs[3].title == "Record with your camera on next time"
    assert all(r.estimatedImprovement == 0 for r in recs[3:])
    assert result.insights.recommendations == [r.title for r in recs]


def test_many_measured_groups_are_capped_at_seven_highest_gaps() -> None:
    nonverbal = NonVerbalMetrics(
        eyeContact=EyeContact(source="measured", percentage=62, score=62),
        facialExpressions=FacialExpressions(source="model", score=70),
        posture=Posture(source="measured", score=90),
        gestures=Gestures(source="measured", score=85),
        overallPresence=OverallPresence(source="model", score=75),
    )
    v = verbal_metrics()
    v.clarity = Clarity(source="measured", volume=50, score=50)
    v.tonality = Tonality(source="model", score=66)
    content = ContentMetrics(
        structureClarity=StructureClarity(source="fallback", score=20),
        relevance=Relevance(source="fallback", score=95),
        storytelling=Storytelling(source="fallback", score=45),
    )
    metrics = with_category_scores(
        PerformanceMetrics(verbal=v, nonVerbal=nonverbal, content=content)
    )
    recs = generate_insights(metrics=metrics, evidence=evidence(), gemini=None).recommendations
    assert len(recs) == 7
    gains = [r.estimatedImprovement for r in recs]
    assert gains == sorted(gains, reverse=True)
    assert recs[0].title == "Structure every answer"  # score 20: largest gap
    assert all(r.estimatedImprovement > 0 for r in recs)


def test_nothing_measured_still_gives_five_honest_recommendations() -> None:
    result = generate_insights(
        metrics=PerformanceMetrics(), evidence=AnalysisEvidence(), gemini=None
    )
    recs = result.recommendations
    assert len(recs) == 5
    assert all(r.estimatedImprovement == 0 and r.priority == "low" for r in recs)
    assert result.insights.strengths == [] and result.insights.weaknesses == []
    assert result.insights.patterns == [] and result.insights.keyMoments == []


def test_patterns_and_key_moments_carry_measured_timestamps() -> None:
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    ins = generate_insights(metrics=metrics, evidence=evidence(), gemini=None).insights
    fill = next(p for p in ins.patterns if p.pattern.startswith("Filler words"))
    assert fill.frequency == pytest.approx(14 / (271 / 60), abs=0.01)  # 3.1/min
    assert fill.impact == "negative" and fill.timestamps == FILLER_TIMES
    silences = next(p for p in ins.patterns if p.pattern.startswith("Silences"))
    assert silences.timestamps == [70.0] and silences.impact == "neutral"
    kinds = {(m.type, m.timestamp) for m in ins.keyMoments}
    assert ("weakness", 40.2) in kinds  # 40.2, 41.0, 45.5, 52.3, 60.1 within 30 s
    assert ("weakness", 70.0) in kinds  # longest silence
    burst = next(m for m in ins.keyMoments if m.timestamp == 40.2)
    assert burst.description == "5 fillers within 30s from 40.2s"
    assert [m.timestamp for m in ins.keyMoments] == sorted(m.timestamp for m in ins.keyMoments)


def test_fluent_stretch_and_turning_point() -> None:
    early = [5.0, 9.0, 14.0, 20.0, 26.0, 31.0]  # all in the first half of 300 s
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    ev = evidence(fillers=[FillerEvent(word="uh", start=t) for t in early], pauses=[])
    ins = generate_insights(metrics=metrics, evidence=ev, gemini=None).insights
    strength = next(m for m in ins.keyMoments if m.type == "strength")
    assert strength.timestamp == 31.0 and strength.description.startswith("269s of fluent")
    turn = next(m for m in ins.keyMoments if m.type == "turning_point")
    assert turn.timestamp == 150.0 and turn.impact > 0
    assert "2.4/min in the first half to 0.0/min" in turn.description


def test_content_signals_become_evidence() -> None:
    content = analyze_content(transcript="um I mean it went fine " * 20, words=None, questions=None)
    metrics = with_category_scores(PerformanceMetrics(content=content.metrics))
    ins = generate_insights(
        metrics=metrics, evidence=AnalysisEvidence(content=content.signals), gemini=None
    ).insights
    story = next(w for w in ins.weaknesses if w.description.startswith("Storytelling"))
    assert "STAR parts mentioned: none (0 of 4)" in story.evidence


def test_gemini_path_through_the_double(gemini: GeminiGateway, gemini_double: GeminiDouble) -> None:
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    result = generate_insights(metrics=metrics, evidence=evidence(), gemini=gemini)
    assert result.source == "model" and result.insights.source == "model"
    assert 5 <= len(result.recommendations) <= 7
    assert result.insights.recommendations == [r.title for r in result.recommendations]
    (req,) = gemini_double.requests
    assert '"count": 14' in req.prompt_text and '"start": 12.4' in req.prompt_text
    props = req.body["generationConfig"]["responseSchema"]["properties"]
    assert props["recommendations"]["min_items"] == 5  # google-genai 3.3 sends snake_case here


def test_model_timestamps_outside_the_recording_are_dropped(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    rec = {
        "category": "verbal",
        "priority": "low",
        "title": "t",
        "description": "d",
        "actionSteps": ["a"],
        "practiceExercises": ["p"],
        "estimatedImprovement": 5,
        "timeframe": "1 week",
    }
    answer = {
        "strengths": [],
        "weaknesses": [],
        "patterns": [
            {
                "pattern": "fillers",
                "frequency": 3.1,
                "timestamps": [12.4, 999.0],
                "impact": "negative",
                "suggestion": "s",
            }
        ],
        "keyMoments": [
            {
                "timestamp": t,
                "type": "weakness",
                "description": "d",
                "impact": -10,
                "learningOpportunity": "l",
            }
            for t in (40.2, 1200.0)
        ],
        "recommendations": [
            {**rec, "priority": p, "title": p + str(i)}
            for i, p in enumerate(["low", "high", "medium", "low", "high"])
        ],
    }
    InsightsAnswer.model_validate(answer)
    gemini_double.queue_json(answer)
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    ins = generate_insights(metrics=metrics, evidence=evidence(), gemini=gemini)
    assert ins.insights.patterns[0].timestamps == [12.4]
    assert [m.timestamp for m in ins.insights.keyMoments] == [40.2]
    assert [r.priority for r in ins.recommendations] == ["high", "high", "medium", "low", "low"]


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (lambda d: d.queue_malformed(), "malformed"),
        (lambda d: [d.queue_rate_limit(), d.queue_rate_limit()], "rate_limited"),
        (lambda d: [d.queue_server_error(), d.queue_server_error()], "server_error"),
        (lambda d: d.queue_hang(3), "timeout"),
        (lambda d: d.queue_json({"strengths": [], "recommendations": []}), "schema_invalid"),
    ],
)
def test_model_failures_fall_back_to_grounded_rules(
    gemini: GeminiGateway, gemini_double: GeminiDouble, script: object, kind: str
) -> None:
    script(gemini_double)  # type: ignore[operator]
    metrics = with_category_scores(PerformanceMetrics(verbal=verbal_metrics()))
    result = generate_insights(metrics=metrics, evidence=evidence(), gemini=gemini)
    assert result.source == "fallback" and result.fallbackReason == kind
    assert 5 <= len(result.recommendations) <= 7
    assert "14 fillers, 3.1/min" in result.recommendations[0].description

"""AdvancedAnalysisService (spec §2.1): one recording in, one honest `MultiModalAnalysis` out.

Flow: `pipeline.measure` (verbal + non-verbal measurements with evidence) -> `analyze_content`
(Gemini or labelled fallback, over the word-timed transcript) -> spec metric groups ->
category and overall scores (`overall.with_category_scores`) -> `generate_insights` (Gemini or
rule-based fallback over the measured groups) -> `overall.confidence_scores` from signal quality.

Mapping of measurements onto the spec's groups (every group is `source="measured"`):

| spec field | measured from |
| --- | --- |
| speakingPace.averageWPM / optimalRange / score | pace measurement |
| speakingPace.variability | coefficient of variation of per-window WPM (`variabilityCV`) |
| clarity.pronunciation / volume / score | recogniser-confidence, loudness scores; SNR in score |
| fillerWords.count / frequency / types / score | detected fillers |
| pauses.averagePauseLength / strategicPauses / awkwardSilences / score | detected pauses |
| tonality.score | pitch variability (monotone vs expressive) |
| eyeContact.percentage / consistency / score | facing-the-camera proxy |
| posture.stability / score | head-movement measurement |
| gestures.frequency / score | motion bursts outside the face |

Anything the pipeline could not measure (articulation, the listener judgements in tonality,
facial expressions, uprightness, openness, presence, ...) stays None, and the group's
`unavailableReason` carries the pipeline's reason, prefixed with the field name. No constant is
ever substituted. Face presence and every raw figure (SNR, dBFS, pitch in semitones, ...) are
kept next to the scores in `measurement`; the word-level evidence goes with the result too.

Imports of the media pipeline (numpy, PyAV, faster-whisper, OpenCV) happen inside
`analyze_media_files`, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from salamin.analysis.content import ContentAnalysisResult, analyze_content
from salamin.analysis.insight_rules import AnalysisEvidence, FillerEvent, TimeSpan
from salamin.analysis.insights import generate_insights
from salamin.analysis.media.models import (
    Absence,
    FaceSecond,
    MediaMeasurement,
    NonVerbalMeasurement,
    VerbalMeasurement,
)
from salamin.analysis.overall import confidence_scores, with_category_scores
from salamin.gateways.gemini import GeminiGateway
from salamin.models.analysis import (
    AnalysisInsights,
    Clarity,
    ConfidenceScores,
    ContentMetrics,
    EyeContact,
    FacialExpressions,
    FillerWordCount,
    FillerWords,
    Gestures,
    MultiModalAnalysis,
    NonVerbalMetrics,
    OverallPresence,
    Pauses,
    PerformanceMetrics,
    Posture,
    Recommendation,
    SpeakingPace,
    Tonality,
    VerbalMetrics,
)

Progress = Callable[[float, str], None]
AnalysisType = Literal["video", "audio", "combined"]

MEASURE_SHARE = 0.85
"""Share of the progress bar given to the media measurements; the model calls get the rest."""


class AnalysisSources(BaseModel):
    """Where each part came from: `measured`, `model` (Gemini) or `fallback` (heuristic)."""

    verbal: Literal["measured"] | None = None
    nonVerbal: Literal["measured"] | None = None
    content: Literal["model", "fallback"] | None = None
    insights: Literal["model", "fallback"]
    fallbackReasons: dict[str, str] = Field(default_factory=dict)
    """Per part that fell back: `not_configured` or the Gemini failure kind."""


class AnalysisResult(BaseModel):
    """Everything one analysis produced; `document()` is what is stored for the client."""

    analysisType: AnalysisType
    metrics: PerformanceMetrics
    insights: AnalysisInsights
    recommendations: list[Recommendation]
    confidenceScores: ConfidenceScores
    sources: AnalysisSources
    measurement: MediaMeasurement

    def analysis(
        self, *, session_id: str, user_id: str, created_at: datetime
    ) -> MultiModalAnalysis:
        """The spec's MultiModalAnalysis (validated: an unknown key here is a bug)."""
        return MultiModalAnalysis(
            sessionId=session_id,
            userId=user_id,
            analysisType=self.analysisType,
            metrics=self.metrics,
            insights=self.insights,
            recommendations=self.recommendations,
            confidenceScores=self.confidenceScores,
            createdAt=created_at,
        )

    def measurement_summary(self) -> dict[str, Any]:
        """The raw measured figures without the bulky per-word/per-second evidence."""
        return self.measurement.model_dump(mode="json", exclude={"evidence", "transcript"})

    def evidence_summary(self) -> dict[str, int]:
        ev = self.measurement.evidence
        return {
            "words": len(ev.words),
            "fillers": len(ev.fillers),
            "pauses": len(ev.pauses),
            "speechSegments": len(ev.speechSegments),
            "paceWindows": len(ev.paceWindows),
            "faceSeconds": len(ev.facePresence),
        }

    def report(self) -> dict[str, Any]:
        """The full JSON for the local command: analysis, sources, measurements and evidence."""
        m = self.measurement
        return {
            "analysisType": self.analysisType,
            "metrics": self.metrics.model_dump(mode="json", exclude_none=True),
            "insights": self.insights.model_dump(mode="json", exclude_none=True),
            "recommendations": [r.model_dump(mode="json") for r in self.recommendations],
            "confidenceScores": self.confidenceScores.model_dump(mode="json", exclude_none=True),
            "sources": self.sources.model_dump(mode="json", exclude_none=True),
            "measurement": self.measurement_summary(),
            "transcript": m.transcript.model_dump(mode="json") if m.transcript else None,
            "evidence": m.evidence.model_dump(mode="json"),
        }


# ---- entry points ---------------------------------------------------------------------------


def analyze_media_files(
    *,
    audio_path: str | Path | None,
    video_path: str | Path | None,
    questions: Sequence[str] | None = None,
    target_role: str | None = None,
    gemini: GeminiGateway | None = None,
    progress: Progress | None = None,
    language: str | None = "en",
) -> AnalysisResult:
    """Measure local media files and build the analysis. Raises the typed media errors.

    `language` is the spoken language for the recogniser (None detects it)."""
    from salamin.analysis.media import pipeline

    def measure_progress(fraction: float, stage: str) -> None:
        if progress:
            progress(MEASURE_SHARE * fraction, stage)

    measurement = pipeline.measure(
        audio_path, video_path, progress=measure_progress, language=language
    )
    return build_analysis(
        measurement,
        questions=questions,
        target_role=target_role,
        gemini=gemini,
        progress=progress,
    )


def analyze_local_files(
    *,
    audio_path: str | Path | None,
    video_path: str | Path | None,
    questions: Sequence[str] | None = None,
    target_role: str | None = None,
    gemini: GeminiGateway | None = None,
    progress: Progress | None = None,
    language: str | None = "en",
) -> dict[str, Any]:
    """For scripts/analyze_media.py: the full analysis JSON (metrics, insights,
    recommendations, confidence, sources, raw measurements, transcript and evidence)."""
    result = analyze_media_files(
        audio_path=audio_path,
        video_path=video_path,
        questions=questions,
        target_role=target_role,
        gemini=gemini,
        progress=progress,
        language=language,
    )
    return result.report()


def build_analysis(
    measurement: MediaMeasurement,
    *,
    questions: Sequence[str] | None = None,
    target_role: str | None = None,
    gemini: GeminiGateway | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Turn one measurement into the analysis: content, scores, insights, confidence."""
    questions = [q for q in (questions or []) if q.strip()]
    report = progress or (lambda _f, _s: None)
    absent = measurement.absent

    report(MEASURE_SHARE, "analysing answer content")
    content_result = _content(
        measurement, questions=questions, target_role=target_role, gemini=gemini
    )
    verbal = verbal_metrics(measurement.verbal, absent)
    nonverbal = nonverbal_metrics(measurement.nonVerbal, absent) if measurement.hasVideo else None
    metrics = with_category_scores(
        PerformanceMetrics(verbal=verbal, nonVerbal=nonverbal, content=content_result.metrics)
    )

    report(MEASURE_SHARE + (1 - MEASURE_SHARE) * 0.4, "writing insights and recommendations")
    insights = generate_insights(
        metrics=metrics,
        evidence=insight_evidence(
            measurement, content_result, questions=questions, target_role=target_role
        ),
        gemini=gemini,
    )
    confidence = analysis_confidence(measurement, content_result)
    reasons: dict[str, str] = {}
    if content_result.fallbackReason:
        reasons["content"] = content_result.fallbackReason
    if insights.fallbackReason:
        reasons["insights"] = insights.fallbackReason
    sources = AnalysisSources(
        verbal="measured" if measurement.verbal is not None else None,
        nonVerbal="measured" if measurement.nonVerbal is not None else None,
        content=content_result.source,
        insights=insights.source,
        fallbackReasons=reasons,
    )
    report(1.0, "analysis built")
    return AnalysisResult(
        analysisType=analysis_type(measurement),
        metrics=metrics,
        insights=insights.insights,
        recommendations=insights.recommendations,
        confidenceScores=confidence,
        sources=sources,
        measurement=measurement,
    )


# ---- pieces (public for tests and reuse) ----------------------------------------------------


def analysis_type(measurement: MediaMeasurement) -> AnalysisType:
    """combined = speech and video measured; audio = no video given; video = no audio track."""
    has_audio = measurement.audioSource != "none"
    if measurement.hasVideo and has_audio:
        return "combined"
    return "video" if measurement.hasVideo else "audio"


def reason_for(absent: Sequence[Absence], path: str) -> str | None:
    """The reasons recorded for `path` and anything under it, as `field: reason; ...`.

    A reason for an enclosing path (e.g. `verbal` when the video had no audio track) applies too.
    """
    parts: list[str] = []
    for a in absent:
        if a.metric == path or path.startswith(a.metric + "."):
            parts.append(a.reason)
        elif a.metric.startswith(path + "."):
            parts.append(f"{a.metric[len(path) + 1 :]}: {a.reason}")
    return "; ".join(dict.fromkeys(parts)) or None


def _missing(absent: Sequence[Absence], path: str) -> str:
    return reason_for(absent, path) or "not measured"


def verbal_metrics(v: VerbalMeasurement | None, absent: Sequence[Absence]) -> VerbalMetrics:
    """Spec VerbalMetrics from the audio measurements; unmeasured parts absent with reasons."""
    if v is None:
        return VerbalMetrics(unavailableReason=_missing(absent, "verbal"))
    pace = (
        SpeakingPace(
            source="measured",
            averageWPM=v.speakingPace.averageWPM,
            variability=v.speakingPace.variabilityCV,
            optimalRange=v.speakingPace.optimalRange,
            score=v.speakingPace.score,
            unavailableReason=reason_for(absent, "verbal.speakingPace"),
        )
        if v.speakingPace is not None
        else SpeakingPace(
            source="measured", unavailableReason=_missing(absent, "verbal.speakingPace")
        )
    )
    clarity = (
        Clarity(
            source="measured",
            pronunciation=v.clarity.pronunciationScore,
            volume=v.clarity.volumeScore,
            score=v.clarity.score,
            unavailableReason=reason_for(absent, "verbal.clarity"),
        )
        if v.clarity is not None
        else Clarity(source="measured", unavailableReason=_missing(absent, "verbal.clarity"))
    )
    fillers = (
        FillerWords(
            source="measured",
            count=v.fillerWords.count,
            frequency=v.fillerWords.frequency,
            types=[FillerWordCount(word=t.word, count=t.count) for t in v.fillerWords.types],
            score=v.fillerWords.score,
            unavailableReason=reason_for(absent, "verbal.fillerWords"),
        )
        if v.fillerWords is not None
        else FillerWords(
            source="measured", unavailableReason=_missing(absent, "verbal.fillerWords")
        )
    )
    pauses = (
        Pauses(
            source="measured",
            averagePauseLength=v.pauses.averagePauseLength,
            strategicPauses=v.pauses.strategicPauses,
            awkwardSilences=v.pauses.awkwardSilences,
            score=v.pauses.score,
            unavailableReason=reason_for(absent, "verbal.pauses")
            or (None if v.pauses.averagePauseLength is not None else "no pause was detected"),
        )
        if v.pauses is not None
        else Pauses(source="measured", unavailableReason=_missing(absent, "verbal.pauses"))
    )
    tonality = Tonality(
        source="measured",
        score=v.tonality.score if v.tonality is not None else None,
        unavailableReason=(
            _pitch_note(v) + "; " + _missing(absent, "verbal.tonality")
            if v.tonality is not None
            else _missing(absent, "verbal.tonality")
        ),
    )
    return VerbalMetrics(
        speakingPace=pace, clarity=clarity, fillerWords=fillers, pauses=pauses, tonality=tonality
    )


def _pitch_note(v: VerbalMeasurement) -> str:
    t = v.tonality
    assert t is not None
    return (
        f"score measures pitch variability only ({t.label}, "
        f"{t.pitchStdSemitones:.1f} semitones std)"
    )


def nonverbal_metrics(
    n: NonVerbalMeasurement | None, absent: Sequence[Absence]
) -> NonVerbalMetrics:
    """Spec NonVerbalMetrics from the video measurements; unmeasured parts absent with reasons."""
    if n is None:
        return NonVerbalMetrics(unavailableReason=_missing(absent, "nonVerbal"))
    eye = (
        EyeContact(
            source="measured",
            percentage=n.eyeContact.percentage,
            consistency=n.eyeContact.consistency,
            score=n.eyeContact.score,
            unavailableReason=reason_for(absent, "nonVerbal.eyeContact"),
        )
        if n.eyeContact is not None
        else EyeContact(
            source="measured", unavailableReason=_missing(absent, "nonVerbal.eyeContact")
        )
    )
    posture = (
        Posture(
            source="measured",
            stability=n.posture.stability,
            score=n.posture.score,
            unavailableReason=reason_for(absent, "nonVerbal.posture"),
        )
        if n.posture is not None
        else Posture(source="measured", unavailableReason=_missing(absent, "nonVerbal.posture"))
    )
    gestures = (
        Gestures(
            source="measured",
            frequency=n.gestures.frequency,
            score=n.gestures.score,
            unavailableReason=reason_for(absent, "nonVerbal.gestures"),
        )
        if n.gestures is not None
        else Gestures(source="measured", unavailableReason=_missing(absent, "nonVerbal.gestures"))
    )
    return NonVerbalMetrics(
        eyeContact=eye,
        facialExpressions=FacialExpressions(
            source="measured", unavailableReason=_missing(absent, "nonVerbal.facialExpressions")
        ),
        posture=posture,
        gestures=gestures,
        overallPresence=OverallPresence(
            source="measured", unavailableReason=_missing(absent, "nonVerbal.overallPresence")
        ),
    )


def _content(
    measurement: MediaMeasurement,
    *,
    questions: list[str],
    target_role: str | None,
    gemini: GeminiGateway | None,
) -> ContentAnalysisResult:
    if measurement.transcript is None:
        reason = reason_for(measurement.absent, "verbal") or "no speech was transcribed"
        return ContentAnalysisResult(
            metrics=ContentMetrics(unavailableReason=f"no transcript: {reason}"),
            confidence=None,
            source=None,
        )
    return analyze_content(
        transcript=measurement.transcript.text,
        words=measurement.evidence.words,
        questions=questions,
        target_role=target_role,
        gemini=gemini,
    )


def look_aways(seconds: Sequence[FaceSecond]) -> list[TimeSpan]:
    """Runs of seconds not facing the camera: usable frames, under half with a centred face.

    Seconds where every frame was dark are unknown, not look-aways.
    """
    spans: list[TimeSpan] = []
    start: int | None = None
    last = -1
    for s in sorted(seconds, key=lambda s: s.second):
        usable = s.sampledFrames - s.darkFrames
        away = s.present is not None and usable > 0 and 2 * s.centredFaceFrames < usable
        if away and start is not None and s.second == last + 1:
            last = s.second
            continue
        if start is not None:
            spans.append(TimeSpan(start=start, end=last + 1))
            start = None
        if away:
            start = last = s.second
    if start is not None:
        spans.append(TimeSpan(start=start, end=last + 1))
    return spans


def insight_evidence(
    measurement: MediaMeasurement,
    content: ContentAnalysisResult,
    *,
    questions: list[str],
    target_role: str | None,
) -> AnalysisEvidence:
    """The measured events the insights may quote."""
    ev = measurement.evidence
    sq = measurement.signalQuality
    return AnalysisEvidence(
        speechDurationS=sq.speechDuration,
        recordingDurationS=sq.mediaDuration or None,
        fillers=[FillerEvent(word=f.word, start=f.start) for f in ev.fillers],
        pauses=[TimeSpan(start=p.start, end=p.end) for p in ev.pauses],
        lookAways=look_aways(ev.facePresence),
        content=content.signals,
        transcript=measurement.transcript.text if measurement.transcript else "",
        questions=questions,
        targetRole=target_role,
    )


def analysis_confidence(
    measurement: MediaMeasurement, content: ContentAnalysisResult
) -> ConfidenceScores:
    """Confidence from the pipeline's signal-quality figures; never a constant."""
    sq = measurement.signalQuality
    absent = {a.metric: a.reason for a in measurement.absent}
    return confidence_scores(
        audio_confidence=sq.audioConfidence,
        video_confidence=sq.videoConfidence,
        content_confidence=content.confidence,
        content_source=content.source,
        audio_reason=absent.get("verbal", "no speech was detected in the audio"),
        video_reason=(
            absent.get("nonVerbal", "the video could not be analysed")
            if measurement.hasVideo
            else "no video was provided"
        ),
    )

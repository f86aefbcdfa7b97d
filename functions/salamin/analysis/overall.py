"""Overall scores and confidence, computed only over what was actually measured.

Spec formulas (§2.1 combineAnalyses), made honest about missing categories:

* category score = mean of the available group scores (speakingPace.score, eyeContact.score...).
* interviewReadiness = mean of the available category scores (verbal, nonVerbal, content).
* hireability = 0.4 verbal + 0.3 nonVerbal + 0.3 content, weights renormalised over the
  categories that have a score (audio-only: 0.4/0.7 verbal + 0.3/0.7 content).
* improvementPotential = 100 - the lowest available category score.
* categoryBreakdown lists only categories with a score.
If no category has a score, all three are None and `unavailableReason` says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from salamin.models.analysis import (
    ConfidenceScores,
    ContentMetrics,
    MetricGroup,
    NonVerbalMetrics,
    OverallMetrics,
    PerformanceMetrics,
    VerbalMetrics,
)

HIREABILITY_WEIGHTS: dict[str, float] = {"verbal": 0.4, "nonVerbal": 0.3, "content": 0.3}
"""Also used to weigh modality confidences: audio ~ verbal, video ~ nonVerbal."""

FULL_SPEECH_S = 120.0
"""Two minutes of speech give stable pace, filler-rate and pause statistics."""
SNR_UNUSABLE_DB = 5.0
SNR_CLEAN_DB = 25.0
FULL_FACE_FRAMES = 150
"""About 5 s of video at 30 fps or 2.5 min sampled at 1 fps: enough frames for gaze share."""
FALLBACK_CONTENT_CAP = 60.0


def mean_or_none(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def category_score(
    category: VerbalMetrics | NonVerbalMetrics | ContentMetrics | None,
) -> float | None:
    """Mean of the category's available group scores (None if it has none)."""
    if category is None:
        return None
    groups = [getattr(category, name) for name in type(category).model_fields]
    scores = [g.score for g in groups if isinstance(g, MetricGroup)]
    value = mean_or_none(scores)
    return None if value is None else round(value, 1)


def with_category_scores(metrics: PerformanceMetrics) -> PerformanceMetrics:
    """A copy with each category's `score` set from its groups and `overall` recomputed."""
    updated: dict[str, BaseModel | None] = {}
    for name in HIREABILITY_WEIGHTS:
        category = getattr(metrics, name)
        if category is not None:
            category = category.model_copy(update={"score": category_score(category)})
        updated[name] = category
    result = metrics.model_copy(update=updated)
    return result.model_copy(update={"overall": overall_metrics(result)})


def overall_metrics(metrics: PerformanceMetrics) -> OverallMetrics:
    """OverallMetrics from the categories' scores (use `with_category_scores` to fill them)."""
    scores: dict[str, float] = {}
    for name in HIREABILITY_WEIGHTS:
        category = getattr(metrics, name)
        score = None if category is None else category.score
        if score is None:
            score = category_score(category)
        if score is not None:
            scores[name] = score
    if not scores:
        return OverallMetrics(
            unavailableReason="no category (verbal, nonVerbal, content) was measured"
        )
    weight_sum = sum(HIREABILITY_WEIGHTS[k] for k in scores)
    hireability = sum(HIREABILITY_WEIGHTS[k] * v for k, v in scores.items()) / weight_sum
    missing = [k for k in HIREABILITY_WEIGHTS if k not in scores]
    return OverallMetrics(
        interviewReadiness=round(sum(scores.values()) / len(scores), 1),
        hireability=round(hireability, 1),
        improvementPotential=round(100 - min(scores.values()), 1),
        categoryBreakdown={k: round(v, 1) for k, v in scores.items()},
        unavailableReason=(
            f"computed without {', '.join(missing)}: not measured" if missing else None
        ),
    )


class _Part(BaseModel):
    value: float | None
    reason: str | None = None


def confidence_scores(
    *,
    speech_duration_s: float | None,
    snr_db: float | None = None,
    asr_mean_confidence: float | None = None,
    face_frame_share: float | None = None,
    face_frames_analysed: int | None = None,
    content_confidence: float | None = None,
    content_source: Literal["model", "fallback"] | None = None,
) -> ConfidenceScores:
    """How much each modality's numbers can be trusted, from signal quality.

    audioAnalysis = 100 * sqrt(min(1, speech_s / 120)) * mean(available quality factors), with
        snr factor = clamp((snr_db - 5) / 20, 0, 1) (5 dB unusable, 25 dB clean) and the
        recogniser's mean word confidence (0-1). None without speech or without any factor.
    videoAnalysis = 100 * face_frame_share * sqrt(min(1, frames / 150)) (the frame term is
        1 when the count is not given). None without a face-frame share.
    contentAnalysis = the content analyser's own confidence (see salamin.analysis.content),
        capped at 60 for the fallback heuristic. None without content analysis.
    overallReliability = weighted mean of the available parts (audio 0.4, video 0.3,
        content 0.3, renormalised) * sqrt(share of the weight available), so a one-modality
        analysis never looks as reliable as a full one.
    """
    audio = _audio_part(speech_duration_s, snr_db, asr_mean_confidence)
    video = _video_part(face_frame_share, face_frames_analysed)
    content = _content_part(content_confidence, content_source)
    parts = {"audioAnalysis": audio, "videoAnalysis": video, "contentAnalysis": content}
    weights = {"audioAnalysis": 0.4, "videoAnalysis": 0.3, "contentAnalysis": 0.3}
    reasons = {k: p.reason for k, p in parts.items() if p.value is None and p.reason}
    available = {k: p.value for k, p in parts.items() if p.value is not None}
    overall: float | None = None
    if available:
        weight = sum(weights[k] for k in available)
        mean = sum(weights[k] * v for k, v in available.items()) / weight
        overall = round(mean * math.sqrt(weight), 1)
    else:
        reasons["overallReliability"] = "no modality was analysed"
    return ConfidenceScores(
        audioAnalysis=audio.value,
        videoAnalysis=video.value,
        contentAnalysis=content.value,
        overallReliability=overall,
        unavailableReasons=reasons,
    )


def _audio_part(speech_s: float | None, snr_db: float | None, asr: float | None) -> _Part:
    if speech_s is None or speech_s <= 0:
        return _Part(value=None, reason="no speech was detected in the audio")
    factors = []
    if snr_db is not None:
        factors.append(
            min(1.0, max(0.0, (snr_db - SNR_UNUSABLE_DB) / (SNR_CLEAN_DB - SNR_UNUSABLE_DB)))
        )
    if asr is not None:
        factors.append(min(1.0, max(0.0, asr)))
    if not factors:
        return _Part(value=None, reason="no audio quality signal (SNR, recogniser confidence)")
    duration = math.sqrt(min(1.0, speech_s / FULL_SPEECH_S))
    return _Part(value=round(100 * duration * sum(factors) / len(factors), 1))


def _video_part(share: float | None, frames: int | None) -> _Part:
    if share is None:
        return _Part(value=None, reason="no video was analysed")
    coverage = 1.0 if frames is None else math.sqrt(min(1.0, max(0, frames) / FULL_FACE_FRAMES))
    return _Part(value=round(100 * min(1.0, max(0.0, share)) * coverage, 1))


def _content_part(value: float | None, source: str | None) -> _Part:
    if value is None or source is None:
        return _Part(value=None, reason="no transcript content was analysed")
    if source == "fallback":
        value = min(value, FALLBACK_CONTENT_CAP)
    return _Part(value=round(min(100.0, max(0.0, value)), 1))

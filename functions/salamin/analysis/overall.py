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
    audio_confidence: float | None,
    video_confidence: float | None,
    content_confidence: float | None = None,
    content_source: Literal["model", "fallback"] | None = None,
    audio_reason: str = "no speech was analysed",
    video_reason: str = "no video was analysed",
) -> ConfidenceScores:
    """How much each modality's numbers can be trusted.

    audioAnalysis and videoAnalysis are the media pipeline's signal-quality confidences
    (`salamin.analysis.media.scoring.audio_confidence` / `video_confidence`: the weakest of
    speech length, SNR and recogniser confidence; of usable video length, face-frame share and
    luminance), the one place those formulas live.
    contentAnalysis = the content analyser's own confidence (see salamin.analysis.content),
        capped at 60 for the fallback heuristic. None without content analysis.
    overallReliability = weighted mean of the available parts (audio 0.4, video 0.3,
        content 0.3, renormalised) * sqrt(share of the weight available), so a one-modality
        analysis never looks as reliable as a full one.
    """
    audio = _Part(
        value=audio_confidence, reason=None if audio_confidence is not None else audio_reason
    )
    video = _Part(
        value=video_confidence, reason=None if video_confidence is not None else video_reason
    )
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
        audioAnalysis=None if audio.value is None else round(audio.value, 1),
        videoAnalysis=None if video.value is None else round(video.value, 1),
        contentAnalysis=content.value,
        overallReliability=overall,
        unavailableReasons=reasons,
    )


def _content_part(value: float | None, source: str | None) -> _Part:
    if value is None or source is None:
        return _Part(value=None, reason="no transcript content was analysed")
    if source == "fallback":
        value = min(value, FALLBACK_CONTENT_CAP)
    return _Part(value=round(min(100.0, max(0.0, value)), 1))

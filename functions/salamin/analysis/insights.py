"""Insights and 5-7 prioritised recommendations, grounded in what was measured.

Input protocol: the `PerformanceMetrics` built by the measuring analysers (any field may be
None = not measured) plus an `AnalysisEvidence` with the raw events behind the numbers
(filler words with times, silences, look-aways, content signals, transcript).

Gemini path: one structured call (`InsightsAnswer`) returns strengths, weaknesses, patterns,
key moments and 5-7 recommendations; timestamps outside the recording are dropped.

The rule-based fallback, used with no gateway or on any GeminiUnavailable, is
`salamin.analysis.insight_rules`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import BaseModel, Field

from salamin.analysis.insight_rules import (
    MAX_RECOMMENDATIONS,
    MIN_RECOMMENDATIONS,
    AnalysisEvidence,
    InsightsResult,
    fallback_insights,
)
from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from salamin.models.analysis import (
    AnalysisInsights,
    BehaviorPattern,
    DetailedInsight,
    KeyMoment,
    PerformanceMetrics,
    Recommendation,
)

log = logging.getLogger(__name__)

MAX_TRANSCRIPT_CHARS = 12_000


class InsightsAnswer(BaseModel):
    """The response schema Gemini fills."""

    strengths: list[DetailedInsight] = Field(max_length=3)
    weaknesses: list[DetailedInsight] = Field(max_length=3)
    patterns: list[BehaviorPattern] = Field(max_length=6)
    keyMoments: list[KeyMoment] = Field(max_length=6)
    recommendations: list[Recommendation] = Field(
        min_length=MIN_RECOMMENDATIONS, max_length=MAX_RECOMMENDATIONS
    )


SYSTEM_PROMPT = (
    "You are an interview coach writing feedback on a recorded practice interview. You get "
    "MEASURED METRICS (0-100 scores and raw numbers; absent ones were not measured), EVIDENCE "
    "(timestamped events in seconds) and the transcript. Rules: every evidence string quotes a "
    "number or timestamp from the metrics or evidence; never invent a measurement; do not "
    "comment on anything that was not measured; timestamps must come from the evidence. Give "
    "at most 3 strengths and 3 weaknesses, and 5-7 recommendations ordered by expected impact, "
    "each with concrete action steps, practice exercises, an estimated improvement in score "
    "points and a timeframe. BehaviorPattern.frequency is occurrences per minute."
)


# ---- entry point ----------------------------------------------------------------------------


def generate_insights(
    *,
    metrics: PerformanceMetrics,
    evidence: AnalysisEvidence,
    gemini: GeminiGateway | None,
) -> InsightsResult:
    """Insights and recommendations from Gemini, or from the grounded rules if unavailable."""
    if gemini is None:
        return fallback_insights(metrics, evidence, reason="not_configured")
    try:
        answer = gemini.generate_structured(
            prompt=build_prompt(metrics, evidence), system=SYSTEM_PROMPT, schema=InsightsAnswer
        )
    except GeminiUnavailable as exc:
        log.warning("insights falling back: gemini %s", exc.kind)
        return fallback_insights(metrics, evidence, reason=exc.kind)
    return _from_answer(answer, evidence)


def build_prompt(metrics: PerformanceMetrics, evidence: AnalysisEvidence) -> str:
    measured = metrics.model_dump(mode="json", exclude_none=True)
    facts: dict[str, Any] = {
        "speechDurationS": evidence.speechDurationS,
        "recordingDurationS": evidence.recordingDurationS,
        "fillers": [f.model_dump() for f in evidence.fillers[:60]],
        "silences": [p.model_dump() for p in evidence.pauses if p.duration >= 1.0][:40],
        "lookAways": [s.model_dump() for s in evidence.lookAways[:40]],
        "content": evidence.content.model_dump() if evidence.content else None,
    }
    transcript = evidence.transcript.strip()[:MAX_TRANSCRIPT_CHARS]
    questions = "\n".join(f"- {q}" for q in evidence.questions) or "(not recorded)"
    return (
        f"Target role: {evidence.targetRole or 'not specified'}\n"
        f"Questions:\n{questions}\n\n"
        f"MEASURED METRICS:\n{json.dumps(measured)}\n\n"
        f"EVIDENCE:\n{json.dumps({k: v for k, v in facts.items() if v not in (None, [])})}\n\n"
        f'Transcript:\n"""\n{transcript}\n"""'
    )


def _from_answer(answer: InsightsAnswer, evidence: AnalysisEvidence) -> InsightsResult:
    end = evidence.recordingDurationS or evidence.speechDurationS

    def inside(t: float) -> bool:
        return t >= 0 and (end is None or t <= end)

    patterns = [
        p.model_copy(update={"timestamps": [t for t in p.timestamps if inside(t)]})
        for p in answer.patterns
    ]
    moments = [m for m in answer.keyMoments if inside(m.timestamp)]
    order = {"high": 0, "medium": 1, "low": 2}
    recs = sorted(answer.recommendations, key=lambda r: order[r.priority])
    insights = AnalysisInsights(
        strengths=answer.strengths,
        weaknesses=answer.weaknesses,
        patterns=patterns,
        keyMoments=sorted(moments, key=lambda m: m.timestamp),
        recommendations=[r.title for r in recs],
        source="model",
    )
    return InsightsResult(insights=insights, recommendations=recs, source="model")

"""Rule-based insights: the fallback of `salamin.analysis.insights`, and its input protocol.

Input: the `PerformanceMetrics` built by the measuring analysers (any field may be None = not
measured) plus an `AnalysisEvidence` with the raw events behind the numbers (filler words
with times, silences, look-aways, content signals, transcript).

Fallback (no gateway, or any GeminiUnavailable), rule-based and only over measured groups:
* strength: group score >= 75; weakness: group score < 60 (top 3 each). Evidence strings
  quote the measured numbers and event times ("14 fillers, 3.1/min", "at 12.4s, 40.2s").
* patterns: filler words (negative at >= 3/min), silences >= 3 s (negative when >= 2),
  look-aways (negative when they cover >= 30 % of the recording).
* key moments: the 30 s window with most fillers (>= 3), the longest silence (>= 3 s), the
  longest fluent stretch (>= 60 s without fillers or long silences), and a turning point
  when the filler rate in one half is at least double the other.
* recommendations: one per scored group, ranked by gap = 100 - score; priority high for a
  gap >= 40, medium >= 20, else low; estimatedImprovement = 0.3 * gap (assumption: focused
  practice over the timeframe closes about a third of the gap). Fewer than 5 measured gaps
  are topped up with clearly labelled general practice (estimatedImprovement 0); at most 7.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from salamin.analysis.content import ContentSignals
from salamin.models.analysis import (
    AnalysisInsights,
    BehaviorPattern,
    DetailedInsight,
    KeyMoment,
    MetricGroup,
    PerformanceMetrics,
    Recommendation,
)

STRENGTH_MIN_SCORE = 75.0
WEAKNESS_MAX_SCORE = 60.0
FILLER_RATE_NEGATIVE = 3.0  # per minute
LONG_SILENCE_S = 3.0
LOOK_AWAY_SHARE_NEGATIVE = 0.3
FILLER_WINDOW_S = 30.0
FLUENT_STRETCH_S = 60.0
GAP_CLOSE_SHARE = 0.3
MIN_RECOMMENDATIONS, MAX_RECOMMENDATIONS = 5, 7


MAX_LISTED_TIMES = 6


# ---- input protocol -------------------------------------------------------------------------


class FillerEvent(BaseModel):
    word: str
    start: float = Field(ge=0)


class TimeSpan(BaseModel):
    start: float = Field(ge=0)
    end: float = Field(ge=0)

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


class AnalysisEvidence(BaseModel):
    """The measured events behind the metrics. Empty lists mean none observed or not measured;
    whether a thing was measured is read from the metrics (e.g. verbal.fillerWords.count)."""

    speechDurationS: float | None = Field(default=None, ge=0)
    recordingDurationS: float | None = Field(default=None, ge=0)
    fillers: list[FillerEvent] = Field(default_factory=list)
    pauses: list[TimeSpan] = Field(default_factory=list)
    lookAways: list[TimeSpan] = Field(default_factory=list)
    content: ContentSignals | None = None
    transcript: str = ""
    questions: list[str] = Field(default_factory=list)
    targetRole: str | None = None


class InsightsResult(BaseModel):
    insights: AnalysisInsights
    recommendations: list[Recommendation]
    source: Literal["model", "fallback"]
    fallbackReason: str | None = None


# ---- fallback -------------------------------------------------------------------------------


_LABELS = {
    "speakingPace": "Speaking pace",
    "clarity": "Vocal clarity",
    "fillerWords": "Filler words",
    "pauses": "Pauses",
    "tonality": "Tone",
    "eyeContact": "Eye contact",
    "facialExpressions": "Facial expressions",
    "posture": "Posture",
    "gestures": "Gestures",
    "overallPresence": "Presence",
    "structureClarity": "Answer structure",
    "relevance": "Relevance",
    "storytelling": "Storytelling",
    "technicalAccuracy": "Technical accuracy",
}

# group -> (title, advice, action steps, practice exercises, timeframe)
_PLAYBOOK: dict[str, tuple[str, str, list[str], list[str], str]] = {
    "speakingPace": (
        "Steady your speaking pace",
        "Aim for about 130-160 words per minute and keep it even across answers.",
        ["Time a 2-minute answer and count the words", "Mark breath points in your notes"],
        ["Read a paragraph aloud to a metronome at 140 WPM, 5 minutes a day"],
        "2 weeks",
    ),
    "clarity": (
        "Speak more clearly",
        "Finish word endings and project to the back of the room.",
        ["Record one answer a day and listen for swallowed words", "Raise volume slightly"],
        ["Tongue twisters for 3 minutes before practice", "Read aloud with a pen in your teeth"],
        "2-3 weeks",
    ),
    "fillerWords": (
        "Replace filler words with pauses",
        "Swap 'um', 'uh' and 'you know' for a short silent pause.",
        ["Notice your most frequent filler in recordings", "Pause and breathe instead of filling"],
        ["60-second impromptu topics; restart on every filler", "Ask a friend to tap on fillers"],
        "2-4 weeks",
    ),
    "pauses": (
        "Use pauses on purpose",
        "Pause briefly before key points; avoid long searching silences.",
        ["Prepare a bridging phrase ('Let me think about the best example')", "Outline first"],
        ["Practise answers with a deliberate 1-second pause before each result"],
        "2 weeks",
    ),
    "tonality": (
        "Sound more confident and engaged",
        "Vary pitch on key words and end statements with a downward tone.",
        ["Stand while practising", "Stress the numbers and outcomes in your stories"],
        ["Record the same answer three ways (flat, eager, confident) and compare"],
        "3 weeks",
    ),
    "eyeContact": (
        "Hold eye contact with the camera",
        "Look at the lens, not your own video, especially when making a point.",
        ["Put a sticker next to the lens", "Move notes to the top of the screen"],
        ["Answer 3 questions looking only at the lens; review the recording"],
        "1-2 weeks",
    ),
    "facialExpressions": (
        "Let your face show engagement",
        "A natural smile when greeting and when describing wins reads as enthusiasm.",
        ["Smile at the start and end of each answer", "Relax your jaw between answers"],
        ["Watch a recording muted and note where you look tense"],
        "2 weeks",
    ),
    "posture": (
        "Sit upright and open",
        "Sit tall, shoulders back, with the camera at eye level.",
        ["Raise the camera to eye level", "Keep both feet on the floor"],
        ["Do a 2-minute posture check before each mock interview"],
        "1 week",
    ),
    "gestures": (
        "Use natural hand gestures",
        "Keep hands visible and gesture to emphasise structure (first, second...).",
        ["Frame the camera to include your hands", "Rest hands on the desk between points"],
        ["Practise one story using a gesture for each step"],
        "2 weeks",
    ),
    "overallPresence": (
        "Build on-camera presence",
        "Combine steady eye contact, open posture and a clear voice.",
        ["Warm up with a 1-minute introduction before calls"],
        ["Record a 1-minute 'tell me about yourself' daily for a week"],
        "3-4 weeks",
    ),
    "structureClarity": (
        "Structure every answer",
        "Open with a one-line summary, give the body in steps, close with the result.",
        ["Write a one-sentence headline for each prepared story", "Signpost with 'first/then'"],
        ["Answer 5 common questions using headline - 3 points - result"],
        "2 weeks",
    ),
    "relevance": (
        "Answer the question that was asked",
        "Repeat the key words of the question and pick an example that matches them.",
        ["Map each prepared story to the questions it answers", "Cut tangents"],
        ["Have a partner ask follow-ups: 'how does that answer the question?'"],
        "2 weeks",
    ),
    "storytelling": (
        "Tell STAR stories with measurable results",
        "Cover situation, task, action and result, and quantify the result.",
        ["Prepare 5 STAR stories with one number each", "Say 'I' for your own actions"],
        ["Tell one story in 90 seconds, then in 60 seconds, keeping all four parts"],
        "2-3 weeks",
    ),
    "technicalAccuracy": (
        "Deepen technical answers",
        "Explain trade-offs and why, not just what; check facts you cite.",
        ["List the core concepts for the role and explain each in 2 minutes"],
        ["Mock technical interview with a peer, focusing on one topic per session"],
        "4 weeks",
    ),
}

_GENERAL: list[tuple[str, str, str, list[str], list[str], str]] = [
    (
        "overall",
        "Do a full timed mock interview weekly",
        "General practice; not based on a measured gap in this session.",
        ["Schedule a 30-minute mock with a friend or expert", "Review the recording the next day"],
        ["One full mock interview per week"],
        "4 weeks",
    ),
    (
        "content",
        "Build a bank of five STAR stories",
        "General practice; not based on a measured gap in this session.",
        ["Pick stories on leadership, conflict, failure, impact and learning"],
        ["Tell each story aloud twice, once under 2 minutes"],
        "2 weeks",
    ),
    (
        "content",
        "Research the company and role",
        "General practice; not based on a measured gap in this session.",
        ["Read the job description and list the top 5 skills", "Link a story to each skill"],
        ["Explain in 60 seconds why you want this role"],
        "1 week",
    ),
    (
        "verbal",
        "Review your own recordings",
        "General practice; not based on a measured gap in this session.",
        ["Watch one recording a week and note one thing to change"],
        ["Re-record the weakest answer after reviewing it"],
        "ongoing",
    ),
]

_CATEGORY_OF = {
    **dict.fromkeys(("speakingPace", "clarity", "fillerWords", "pauses", "tonality"), "verbal"),
    **dict.fromkeys(
        ("eyeContact", "facialExpressions", "posture", "gestures", "overallPresence"),
        "nonVerbal",
    ),
    **dict.fromkeys(
        ("structureClarity", "relevance", "storytelling", "technicalAccuracy"), "content"
    ),
}


def _scored_groups(metrics: PerformanceMetrics) -> list[tuple[str, MetricGroup]]:
    found = []
    for category in ("verbal", "nonVerbal", "content"):
        block = getattr(metrics, category)
        if block is None:
            continue
        for name in type(block).model_fields:
            group = getattr(block, name)
            if isinstance(group, MetricGroup) and group.score is not None:
                found.append((name, group))
    return found


def fallback_insights(
    metrics: PerformanceMetrics, evidence: AnalysisEvidence, *, reason: str
) -> InsightsResult:
    """Rule-based insights over the measured groups; see the module docstring."""
    groups = _scored_groups(metrics)
    by_score = sorted(groups, key=lambda g: g[1].score or 0.0)
    weaknesses = [
        _insight(name, g, evidence, weakness=True)
        for name, g in by_score
        if (g.score or 0.0) < WEAKNESS_MAX_SCORE
    ][:3]
    strengths = [
        _insight(name, g, evidence, weakness=False)
        for name, g in reversed(by_score)
        if (g.score or 0.0) >= STRENGTH_MIN_SCORE
    ][:3]
    recs = _recommendations(groups, metrics, evidence)
    insights = AnalysisInsights(
        strengths=strengths,
        weaknesses=weaknesses,
        patterns=_patterns(metrics, evidence),
        keyMoments=_key_moments(metrics, evidence),
        recommendations=[r.title for r in recs],
        source="fallback",
    )
    return InsightsResult(
        insights=insights, recommendations=recs, source="fallback", fallbackReason=reason
    )


def _insight(
    name: str, group: MetricGroup, evidence: AnalysisEvidence, *, weakness: bool
) -> DetailedInsight:
    score = group.score or 0.0
    label = _LABELS.get(name, name)
    if weakness:
        gap = 100 - score
        impact: Literal["high", "medium", "low"] = (
            "high" if gap >= 50 else "medium" if gap >= 30 else "low"
        )
        description = f"{label} held the interview back (score {score:.0f}/100)."
    else:
        impact = "high" if score >= 90 else "medium" if score >= 80 else "low"
        description = f"{label} was a strength (score {score:.0f}/100)."
    return DetailedInsight(
        category=_CATEGORY_OF.get(name, "other"),
        description=description,
        evidence=group_evidence(name, group, evidence),
        impact=impact,
        actionable=weakness,
    )


def group_evidence(name: str, group: MetricGroup, evidence: AnalysisEvidence) -> list[str]:
    """Evidence lines quoting the group's measured numbers and the events behind them."""
    values = group.model_dump(exclude={"source", "unavailableReason", "score"}, exclude_none=True)
    lines = [f"{_LABELS.get(name, name)} score {group.score:.0f}/100 ({group.source})"]
    if name == "fillerWords" and values.get("count") is not None:
        line = f"{values['count']} fillers"
        if values.get("frequency") is not None:
            line += f", {values['frequency']:.1f}/min"
        lines.append(line)
        kinds = sorted(values.get("types") or [], key=lambda t: -t["count"])[:3]
        if kinds:
            lines.append(
                "most frequent: " + ", ".join(f"'{t['word']}' x{t['count']}" for t in kinds)
            )
        if evidence.fillers:
            lines.append("at " + _times(f.start for f in evidence.fillers))
    elif name == "speakingPace" and values.get("averageWPM") is not None:
        line = f"{values['averageWPM']:.0f} WPM average"
        if values.get("optimalRange"):
            lo, hi = values["optimalRange"]
            line += f" (target {lo:.0f}-{hi:.0f})"
        lines.append(line)
        if values.get("variability") is not None:
            lines.append(f"pace variability {values['variability']:.2f}")
    elif name == "pauses":
        if values.get("averagePauseLength") is not None:
            lines.append(f"average pause {values['averagePauseLength']:.1f}s")
        long = [p for p in evidence.pauses if p.duration >= LONG_SILENCE_S]
        if values.get("awkwardSilences") is not None:
            lines.append(f"{values['awkwardSilences']} awkward silences")
        if long:
            worst = max(long, key=lambda p: p.duration)
            lines.append(f"longest silence {worst.duration:.1f}s at {worst.start:.1f}s")
    elif name == "eyeContact" and values.get("percentage") is not None:
        lines.append(f"eye contact in {values['percentage']:.0f}% of analysed frames")
        if evidence.lookAways:
            lines.append("looked away at " + _times(s.start for s in evidence.lookAways))
    elif name in ("structureClarity", "relevance", "storytelling") and evidence.content:
        lines.extend(_content_lines(name, evidence.content))
    subs = {k: v for k, v in values.items() if isinstance(v, int | float) and k not in _RAW_KEYS}
    if subs and name not in ("fillerWords", "speakingPace", "pauses"):
        lines.append(", ".join(f"{k} {v:.0f}" for k, v in subs.items()))
    return lines


_RAW_KEYS = frozenset({"count", "frequency", "averageWPM", "variability"})


def _content_lines(name: str, s: ContentSignals) -> list[str]:
    if name == "storytelling":
        parts = ", ".join(s.starPartsPresent) or "none"
        return [
            f"STAR parts mentioned: {parts} ({len(s.starPartsPresent)} of 4)",
            f"{s.quantities} quantities mentioned across {s.answerCount} answer(s)",
        ]
    if name == "relevance":
        lines = [f"{s.wordsPerAnswer:.0f} words per answer"]
        if s.questionKeywordShare is not None:
            lines.append(f"{100 * s.questionKeywordShare:.0f}% of question keywords used")
        return lines
    return [f"{s.transitions} transition phrases in {s.wordCount} words"]


def _times(times: Iterable[float]) -> str:
    ordered = sorted(times)
    shown = ", ".join(f"{t:.1f}s" for t in ordered[:MAX_LISTED_TIMES])
    more = len(ordered) - MAX_LISTED_TIMES
    return shown + (f" and {more} more" if more > 0 else "")


def _minutes(evidence: AnalysisEvidence) -> float | None:
    seconds = evidence.speechDurationS or evidence.recordingDurationS
    return seconds / 60 if seconds else None


def _patterns(metrics: PerformanceMetrics, evidence: AnalysisEvidence) -> list[BehaviorPattern]:
    patterns: list[BehaviorPattern] = []
    minutes = _minutes(evidence)
    if evidence.fillers and minutes:
        rate = len(evidence.fillers) / minutes
        negative = rate >= FILLER_RATE_NEGATIVE
        patterns.append(
            BehaviorPattern(
                pattern=f"Filler words ({rate:.1f} per minute)",
                frequency=round(rate, 2),
                timestamps=sorted(f.start for f in evidence.fillers),
                impact="negative" if negative else "neutral",
                suggestion=(
                    "Pause silently instead of filling; aim for under 3 per minute."
                    if negative
                    else "Filler use is within a normal range; keep monitoring it."
                ),
            )
        )
    long = [p for p in evidence.pauses if p.duration >= LONG_SILENCE_S]
    if long and minutes:
        patterns.append(
            BehaviorPattern(
                pattern=f"Silences of {LONG_SILENCE_S:.0f}s or more ({len(long)})",
                frequency=round(len(long) / minutes, 2),
                timestamps=[p.start for p in long],
                impact="negative" if len(long) >= 2 else "neutral",
                suggestion="Use a bridging phrase while you think, then answer in steps.",
            )
        )
    total = evidence.recordingDurationS
    if evidence.lookAways and total and minutes:
        share = sum(s.duration for s in evidence.lookAways) / total
        patterns.append(
            BehaviorPattern(
                pattern=f"Looking away from the camera ({100 * share:.0f}% of the time)",
                frequency=round(len(evidence.lookAways) / minutes, 2),
                timestamps=[s.start for s in evidence.lookAways],
                impact="negative" if share >= LOOK_AWAY_SHARE_NEGATIVE else "neutral",
                suggestion="Keep your notes near the lens so glancing at them stays brief.",
            )
        )
    return patterns


def _key_moments(metrics: PerformanceMetrics, evidence: AnalysisEvidence) -> list[KeyMoment]:
    moments: list[KeyMoment] = []
    times = sorted(f.start for f in evidence.fillers)
    if times:
        best_start, best_n = times[0], 0
        for i, t in enumerate(times):
            n = sum(1 for u in times[i:] if u < t + FILLER_WINDOW_S)
            if n > best_n:
                best_start, best_n = t, n
        if best_n >= 3:
            moments.append(
                KeyMoment(
                    timestamp=best_start,
                    type="weakness",
                    description=(
                        f"{best_n} fillers within {FILLER_WINDOW_S:.0f}s from {best_start:.1f}s"
                    ),
                    impact=-min(100.0, 10.0 * best_n),
                    learningOpportunity="Rehearse this answer until it comes without fillers.",
                )
            )
    long = [p for p in evidence.pauses if p.duration >= LONG_SILENCE_S]
    if long:
        worst = max(long, key=lambda p: p.duration)
        moments.append(
            KeyMoment(
                timestamp=worst.start,
                type="weakness",
                description=f"{worst.duration:.1f}s silence at {worst.start:.1f}s",
                impact=-min(100.0, 10.0 * worst.duration),
                learningOpportunity="Prepare a bridging phrase for questions that need thought.",
            )
        )
    end = evidence.recordingDurationS or evidence.speechDurationS
    fillers_measured = bool(
        metrics.verbal
        and metrics.verbal.fillerWords
        and metrics.verbal.fillerWords.count is not None
    )
    if end and fillers_measured:
        marks = sorted({0.0, *times, *(p.start for p in long), *(p.end for p in long), end})
        silences = {(p.start, p.end) for p in long}
        gap, start = max(
            ((b - a, a) for a, b in itertools.pairwise(marks) if (a, b) not in silences),
            default=(0.0, 0.0),
        )
        if gap >= FLUENT_STRETCH_S:
            moments.append(
                KeyMoment(
                    timestamp=start,
                    type="strength",
                    description=f"{gap:.0f}s of fluent speech from {start:.1f}s without fillers "
                    "or long silences",
                    impact=min(100.0, gap / 2),
                    learningOpportunity="Note what made this stretch fluent and reuse it.",
                )
            )
        half = end / 2
        first = sum(1 for t in times if t < half)
        second = len(times) - first
        if max(first, second) >= 4 and max(first, second) >= 2 * max(1, min(first, second)):
            settled = first > second
            rate1, rate2 = first / (half / 60), second / (half / 60)
            moments.append(
                KeyMoment(
                    timestamp=round(half, 1),
                    type="turning_point",
                    description=(
                        f"filler rate went from {rate1:.1f}/min in the first half to "
                        f"{rate2:.1f}/min in the second"
                    ),
                    impact=20.0 if settled else -20.0,
                    learningOpportunity=(
                        "You settled in; a warm-up before the interview can get you there sooner."
                        if settled
                        else "Fluency dropped later on; practise full-length sessions for stamina."
                    ),
                )
            )
    return sorted(moments, key=lambda m: m.timestamp)


def _priority(gap: float) -> Literal["high", "medium", "low"]:
    return "high" if gap >= 40 else "medium" if gap >= 20 else "low"


def _recommendations(
    groups: list[tuple[str, MetricGroup]],
    metrics: PerformanceMetrics,
    evidence: AnalysisEvidence,
) -> list[Recommendation]:
    ranked = sorted(groups, key=lambda g: -(100 - (g[1].score or 0.0)))
    recs: list[Recommendation] = []
    for name, group in ranked[:MAX_RECOMMENDATIONS]:
        if name not in _PLAYBOOK:
            continue
        title, advice, steps, exercises, timeframe = _PLAYBOOK[name]
        gap = 100 - (group.score or 0.0)
        measured = "; ".join(group_evidence(name, group, evidence)[:3])
        recs.append(
            Recommendation(
                category=_CATEGORY_OF.get(name, "other"),
                priority=_priority(gap),
                title=title,
                description=f"{advice} Measured: {measured}.",
                actionSteps=steps,
                practiceExercises=exercises,
                estimatedImprovement=round(GAP_CLOSE_SHARE * gap, 1),
                timeframe=timeframe,
            )
        )
    for rec in _unmeasured(metrics) + _general():
        if len(recs) >= MIN_RECOMMENDATIONS:
            break
        if all(r.title != rec.title for r in recs):
            recs.append(rec)
    return recs[:MAX_RECOMMENDATIONS]


def _unmeasured(metrics: PerformanceMetrics) -> list[Recommendation]:
    recs = []
    if metrics.nonVerbal is None or metrics.nonVerbal.score is None:
        recs.append(
            Recommendation(
                category="nonVerbal",
                priority="low",
                title="Record with your camera on next time",
                description="Eye contact, posture and gestures were not measured in this session.",
                actionSteps=["Enable the camera and frame head and hands"],
                practiceExercises=["Run one mock interview on video"],
                estimatedImprovement=0,
                timeframe="next session",
            )
        )
    if metrics.verbal is None or metrics.verbal.score is None:
        recs.append(
            Recommendation(
                category="verbal",
                priority="low",
                title="Record clear audio next time",
                description="Pace, fillers and pauses were not measured in this session.",
                actionSteps=["Use a headset or sit close to the microphone in a quiet room"],
                practiceExercises=["Check a 30-second test recording before starting"],
                estimatedImprovement=0,
                timeframe="next session",
            )
        )
    return recs


def _general() -> list[Recommendation]:
    return [
        Recommendation(
            category=category,
            priority="low",
            title=title,
            description=description,
            actionSteps=steps,
            practiceExercises=exercises,
            estimatedImprovement=0,
            timeframe=timeframe,
        )
        for category, title, description, steps, exercises, timeframe in _GENERAL
    ]

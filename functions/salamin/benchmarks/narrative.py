"""Insights and the improvement plan: Gemini with a checked answer, or a labelled rule-based one.

The prompt carries the measured gaps (the person's value, the cohort median and the top-decile
mean per metric). Gemini answers a `BenchmarkNarrative` (pydantic response_schema), which is
then checked number by number (`check`); any failed check, or Gemini being unavailable, gives
the rule-based narrative built from the same gaps, labelled `fallback` with the reason.

Checks: every expected outcome names a measured metric and its `currentScore` equals the
measured value; targets are at most 100, not below the current score, and reachable: at most
`MAX_GAIN_PER_WEEK` points per week of their timeframe; phases are numbered 1-3 and their
durations add up to the plan's timeframe, each phase's expected improvement is reachable in
its duration; checkpoints fall inside the plan and their expected scores lie between the
metric's current and target scores; the weekly hours match the daily activities (±30 min);
every number written in an insight's text is a number of the data (±0.5) or a week count
within the plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from salamin.benchmarks.metrics import BY_ID, SKILL_METRICS
from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from salamin.models.benchmarks import (
    BenchmarkNarrative,
    BenchmarkNarrativeAnswer,
    Checkpoint,
    DailyActivity,
    ExpectedOutcome,
    ImprovementPhase,
    ImprovementPlan,
    PersonalizedInsight,
    PracticeActivity,
    PracticeSchedule,
)

MAX_GAIN_PER_WEEK = 3.0
"""Policy, not a measurement: the fastest score gain a plan may promise, in points per week."""
PLAN_WEEKS = 12
SYSTEM = (
    "You are an interview coach. Compare the candidate with their peers using ONLY the numbers "
    "given. Never invent a number: quote them exactly. Return exactly 5 insights and a 3-phase "
    "plan; currentScore must equal the measured value; targets must be reachable at "
    f"{MAX_GAIN_PER_WEEK:g} points per week at most."
)

EXERCISES: dict[str, tuple[str, str]] = {
    "verbal_speakingPace_score": (
        "pacing drill",
        "Answer one question against a 140 WPM metronome, then re-record",
    ),
    "verbal_clarity_score": (
        "articulation drill",
        "Read a technical paragraph aloud, slowly, recording yourself",
    ),
    "verbal_fillerWords_score": (
        "filler awareness",
        "Two-minute answers with a deliberate pause instead of each filler",
    ),
    "verbal_pauses_score": (
        "pause practice",
        "Mark one strategic pause per answer and hold it for a full second",
    ),
    "verbal_tonality_score": (
        "vocal variety",
        "Record a story twice, stressing different key words",
    ),
    "nonVerbal_eyeContact_score": (
        "camera focus",
        "Mock answers looking at the lens, with a sticker beside it",
    ),
    "nonVerbal_facialExpressions_score": (
        "expression review",
        "Watch a recording muted and note tense moments",
    ),
    "nonVerbal_posture_score": (
        "posture set-up",
        "Set chair and camera height before each practice session",
    ),
    "nonVerbal_gestures_score": (
        "gesture practice",
        "Use open-hand gestures on the key point of each answer",
    ),
    "nonVerbal_overallPresence_score": (
        "presence practice",
        "Open each answer with a one-sentence headline",
    ),
    "content_structureClarity_score": (
        "STAR structuring",
        "Outline three stories as Situation, Task, Action, Result",
    ),
    "content_relevance_score": (
        "question alignment",
        "Restate the question in your first sentence, then answer it",
    ),
    "content_storytelling_score": (
        "story bank",
        "Write and rehearse five stories with a measurable result",
    ),
    "content_technicalAccuracy_score": (
        "technical review",
        "Explain one core concept of your field in three minutes",
    ),
    "nonVerbal_eyeContact_percentage": (
        "camera focus",
        "Mock answers looking at the lens, with a sticker beside it",
    ),
}


@dataclass(frozen=True)
class Gap:
    metric: str
    value: float
    median: float | None
    top: float | None
    percentile: float | None

    @property
    def behind_median(self) -> float:
        return 0.0 if self.median is None else self.median - self.value

    @property
    def to_top(self) -> float:
        return 0.0 if self.top is None else self.top - self.value


def skill_gaps(
    values: Mapping[str, float],
    medians: Mapping[str, float],
    tops: Mapping[str, float],
    percentiles: Mapping[str, float],
) -> list[Gap]:
    return [
        Gap(m.id, values[m.id], medians.get(m.id), tops.get(m.id), percentiles.get(m.id))
        for m in SKILL_METRICS
        if m.id in values
    ]


def _target(gap: Gap, weeks: int) -> float:
    reach = MAX_GAIN_PER_WEEK * weeks
    wanted = max(gap.to_top, 5.0)
    return round(min(100.0, gap.value + min(wanted, reach)), 1)


def _describe(gap: Gap) -> str:
    parts = [f"you scored {gap.value:.0f}"]
    if gap.median is not None:
        parts.append(f"peers' median {gap.median:.0f}")
    if gap.top is not None:
        parts.append(f"top performers {gap.top:.0f}")
    if gap.percentile is not None:
        parts.append(f"percentile {gap.percentile:.0f}")
    return ", ".join(parts)


def fallback_narrative(gaps: list[Gap], *, weeks: int = PLAN_WEEKS) -> BenchmarkNarrative:
    """Rule-based: strengths where the person beats the median most, weaknesses where they
    trail it most, opportunities where the top decile is furthest ahead."""
    by_median = sorted(gaps, key=lambda g: g.behind_median)
    strengths = [g for g in by_median if g.behind_median < 0][:2]
    weaknesses = [g for g in reversed(by_median) if g.behind_median > 0][:2]
    used = {g.metric for g in strengths + weaknesses}
    rest = sorted((g for g in gaps if g.metric not in used), key=lambda g: -g.to_top)
    insights: list[PersonalizedInsight] = []
    for g in strengths:
        label = BY_ID[g.metric].label
        insights.append(
            PersonalizedInsight(
                category=label,
                type="strength",
                title=f"{label} is a strength",
                description=f"{label} is above most peers: lean on it in your answers.",
                benchmarkComparison=_describe(g),
                actionability="medium",
                priority="low",
            )
        )
    for g in weaknesses:
        label = BY_ID[g.metric].label
        insights.append(
            PersonalizedInsight(
                category=label,
                type="weakness",
                title=f"{label} trails your peers",
                description=f"Closing the gap in {label.lower()} is the quickest gain.",
                benchmarkComparison=_describe(g),
                actionability="high",
                priority="high",
            )
        )
    for g in rest:
        if len(insights) >= 5:
            break
        label = BY_ID[g.metric].label
        insights.append(
            PersonalizedInsight(
                category=label,
                type="opportunity",
                title=f"Room to grow in {label.lower()}",
                description=f"Practising {label.lower()} moves you toward the top performers.",
                benchmarkComparison=_describe(g),
                actionability="medium",
                priority="medium",
            )
        )
    measured = {g.metric for g in gaps}
    for m in SKILL_METRICS:
        if len(insights) >= 5:
            break
        if m.id not in measured:
            insights.append(
                PersonalizedInsight(
                    category=m.label,
                    type="opportunity",
                    title=f"{m.label} was not measured",
                    description=f"This analysis has no {m.label.lower()} score; include it next time to be compared on it.",
                    benchmarkComparison="no measurement in this analysis",
                    actionability="low",
                    priority="low",
                )
            )
    focus = sorted(gaps, key=lambda g: -(g.to_top or g.behind_median or (100 - g.value)))[:3] or []
    plan = fallback_plan(focus, weeks=weeks)
    return BenchmarkNarrative(insights=insights[:5], improvementPlan=plan)


def fallback_plan(focus: list[Gap], *, weeks: int = PLAN_WEEKS) -> ImprovementPlan:
    durations = [weeks // 3 + (1 if i < weeks % 3 else 0) for i in range(3)]
    labels = [BY_ID[g.metric].label for g in focus] or ["Interview practice"]
    outcomes = [
        ExpectedOutcome(
            metric=BY_ID[g.metric].label,
            currentScore=g.value,
            targetScore=_target(g, weeks),
            timeframe=weeks,
            confidence=50,
        )
        for g in focus
    ]
    phases = []
    elapsed = 0
    for i, duration in enumerate(durations):
        gap = focus[i % len(focus)] if focus else None
        kind, text = (
            EXERCISES.get(gap.metric, ("mock interview", "Record a full mock answer and review it"))
            if gap
            else ("mock interview", "Record a full mock answer and review it")
        )
        target = _target(gap, weeks) if gap else 0.0
        gain = 0.0 if gap is None else round((target - gap.value) * duration / weeks, 1)
        phases.append(
            ImprovementPhase(
                phase=i + 1,
                duration=duration,
                focus=[labels[i % len(labels)]],
                activities=[
                    PracticeActivity(
                        type=kind,
                        description=text,
                        frequency="3 times a week",
                        duration=45,
                        difficulty=("beginner", "intermediate", "advanced")[i],
                    )
                ],
                goals=[f"Raise {labels[i % len(labels)].lower()} by {gain:g} points"],
                expectedImprovement=gain,
            )
        )
        elapsed += duration
    checkpoints = []
    elapsed = 0
    for duration in durations:
        elapsed += duration
        checkpoints.append(
            Checkpoint(
                week=elapsed,
                assessments=["Record and analyse a full mock interview"],
                expectedScores={
                    BY_ID[g.metric].label: round(
                        g.value + (_target(g, weeks) - g.value) * elapsed / weeks, 1
                    )
                    for g in focus
                },
                adjustmentCriteria=["If a score has not moved, repeat the phase before moving on"],
            )
        )
    schedule = PracticeSchedule(
        weeklyHours=2.25,
        dailyActivities=[
            DailyActivity(day=d, activities=[phases[0].activities[0].description], duration=45)
            for d in ("Monday", "Wednesday", "Saturday")
        ],
        flexibilityOptions=["Swap days freely; keep three sessions a week"],
    )
    return ImprovementPlan(
        timeframe=weeks,
        phases=phases,
        expectedOutcomes=outcomes,
        practiceSchedule=schedule,
        checkpoints=checkpoints,
    )


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)")


def check(narrative: BenchmarkNarrative, gaps: list[Gap], *, data_numbers: set[float]) -> list[str]:
    """Every problem found; empty when the answer may be shown."""
    problems: list[str] = []
    current = {BY_ID[g.metric].label.lower(): g.value for g in gaps} | {
        g.metric.lower(): g.value for g in gaps
    }
    plan = narrative.improvementPlan
    targets: dict[str, tuple[float, float]] = {}
    for o in plan.expectedOutcomes:
        key = o.metric.lower()
        if key not in current:
            problems.append(f"expectedOutcomes: {o.metric!r} was not measured")
            continue
        if abs(o.currentScore - current[key]) > 0.05:
            problems.append(
                f"expectedOutcomes: {o.metric} currentScore {o.currentScore} != measured {current[key]}"
            )
        if o.targetScore < o.currentScore:
            problems.append(f"expectedOutcomes: {o.metric} target below current")
        if o.targetScore - o.currentScore > MAX_GAIN_PER_WEEK * o.timeframe + 1e-9:
            problems.append(
                f"expectedOutcomes: {o.metric} +{o.targetScore - o.currentScore:g} in {o.timeframe} weeks is not reachable"
            )
        if o.timeframe > plan.timeframe:
            problems.append(f"expectedOutcomes: {o.metric} timeframe beyond the plan")
        targets[key] = (o.currentScore, o.targetScore)
    if [p.phase for p in plan.phases] != [1, 2, 3]:
        problems.append("phases: must be numbered 1, 2, 3")
    if sum(p.duration for p in plan.phases) != plan.timeframe:
        problems.append("phases: durations do not add up to the timeframe")
    for p in plan.phases:
        if p.expectedImprovement > MAX_GAIN_PER_WEEK * p.duration + 1e-9:
            problems.append(
                f"phases: phase {p.phase} expects +{p.expectedImprovement:g} in {p.duration} weeks"
            )
    for c in plan.checkpoints:
        if c.week > plan.timeframe:
            problems.append(f"checkpoints: week {c.week} beyond the plan")
        for name, score in c.expectedScores.items():
            bounds = targets.get(name.lower())
            if not 0 <= score <= 100:
                problems.append(f"checkpoints: {name} {score} out of 0-100")
            elif bounds and not bounds[0] - 0.05 <= score <= bounds[1] + 0.05:
                problems.append(f"checkpoints: {name} {score} outside {bounds[0]}..{bounds[1]}")
            elif bounds is None and name.lower() not in current:
                problems.append(f"checkpoints: {name!r} was not measured")
    minutes = sum(d.duration for d in plan.practiceSchedule.dailyActivities)
    if abs(plan.practiceSchedule.weeklyHours * 60 - minutes) > 30:
        problems.append("practiceSchedule: weeklyHours does not match the daily activities")
    for insight in narrative.insights:
        text = " ".join((insight.title, insight.description, insight.benchmarkComparison))
        for raw in _NUMBER.findall(text):
            n = float(raw)
            if not any(abs(n - d) <= 0.5 for d in data_numbers) and not (
                n.is_integer() and 1 <= n <= plan.timeframe
            ):
                problems.append(f"insights: {raw} in {insight.title!r} is not in the data")
    return problems


def prompt_for(gaps: list[Gap], *, context: Mapping[str, object]) -> str:
    rows = [
        {
            "metric": BY_ID[g.metric].label,
            "measured": g.value,
            "peerMedian": g.median,
            "topPerformers": g.top,
            "percentile": g.percentile,
        }
        for g in gaps
    ]
    return (
        "Measured gaps (0-100 scores unless named otherwise):\n"
        + json.dumps(rows, indent=1)
        + "\nContext: "
        + json.dumps(context, default=str)
        + f"\nPlan over {PLAN_WEEKS} weeks. Use each metric's label exactly as given."
    )


def data_numbers_of(gaps: list[Gap], extra: Mapping[str, float | None]) -> set[float]:
    out: set[float] = {0.0, 100.0, 3.0, 5.0}
    for g in gaps:
        for v in (g.value, g.median, g.top, g.percentile):
            if v is not None:
                out.add(float(v))
        if g.median is not None:
            out.add(abs(g.value - g.median))
        if g.top is not None:
            out.add(abs(g.top - g.value))
    out |= {float(v) for v in extra.values() if v is not None}
    return out


@dataclass(frozen=True)
class Narrative:
    value: BenchmarkNarrative
    source: str
    reason: str | None


def narrate(
    gemini: GeminiGateway | None,
    gaps: list[Gap],
    *,
    context: Mapping[str, object],
    extra_numbers: Mapping[str, float | None],
) -> Narrative:
    if gemini is None:
        return Narrative(fallback_narrative(gaps), "fallback", "Gemini is not configured")
    try:
        answer = gemini.generate_structured(
            prompt=prompt_for(gaps, context=context), system=SYSTEM, schema=BenchmarkNarrativeAnswer
        ).to_narrative()
    except GeminiUnavailable as exc:
        return Narrative(fallback_narrative(gaps), "fallback", f"Gemini unavailable ({exc.kind})")
    problems = check(answer, gaps, data_numbers=data_numbers_of(gaps, extra_numbers))
    if problems:
        return Narrative(
            fallback_narrative(gaps),
            "fallback",
            "model answer failed checks: " + "; ".join(problems[:3]),
        )
    return Narrative(answer, "model", None)

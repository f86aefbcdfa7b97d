"""Insights and plan: a Gemini answer is shown only when every number checks out."""

from __future__ import annotations

from typing import Any

from salamin.benchmarks.narrative import (
    MAX_GAIN_PER_WEEK,
    Gap,
    check,
    data_numbers_of,
    fallback_narrative,
    narrate,
)
from salamin.models.benchmarks import BenchmarkNarrative

GAPS = [
    Gap("verbal_fillerWords_score", 48.0, 66.0, 85.0, 21.5),
    Gap("content_storytelling_score", 81.0, 70.0, 88.0, 74.0),
    Gap("nonVerbal_eyeContact_score", 62.0, 64.0, 80.0, 45.0),
]
CONTEXT = {"industry": "technology", "role": "software_engineering", "level": "mid"}


def model_answer(**overrides: Any) -> dict[str, Any]:
    """A plausible, fully consistent answer; overrides break one thing at a time."""
    insight = {
        "category": "Filler words",
        "type": "weakness",
        "title": "Filler words trail your peers",
        "description": "You scored 48 against a peer median of 66.",
        "benchmarkComparison": "percentile 21.5",
        "actionability": "high",
        "priority": "high",
    }
    phase = {
        "phase": 1,
        "duration": 4,
        "focus": ["Filler words"],
        "activities": [
            {
                "type": "drill",
                "description": "Pause instead of um",
                "frequency": "daily",
                "duration": 20,
                "difficulty": "beginner",
            }
        ],
        "goals": ["Fewer fillers"],
        "expectedImprovement": 8,
    }
    answer = {
        "insights": [insight] * 5,
        "improvementPlan": {
            "timeframe": 12,
            "phases": [phase, {**phase, "phase": 2}, {**phase, "phase": 3}],
            "expectedOutcomes": [
                {
                    "metric": "Filler words",
                    "currentScore": 48,
                    "targetScore": 70,
                    "timeframe": 12,
                    "confidence": 60,
                }
            ],
            "practiceSchedule": {
                "weeklyHours": 1,
                "dailyActivities": [{"day": "Monday", "activities": ["drill"], "duration": 60}],
                "flexibilityOptions": [],
            },
            "checkpoints": [
                {
                    "week": 6,
                    "assessments": ["mock"],
                    "expectedScores": [{"metric": "Filler words", "score": 59}],
                    "adjustmentCriteria": [],
                }
            ],
        },
    }
    for path, value in overrides.items():
        node: Any = answer
        *parents, last = path.split(".")
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        node[last] = value
    return answer


def numbers() -> set[float]:
    return data_numbers_of(GAPS, {"industryPercentile": 30.0})


def test_the_rule_based_narrative_passes_its_own_checks() -> None:
    narrative = fallback_narrative(GAPS)
    assert len(narrative.insights) == 5
    assert len(narrative.improvementPlan.phases) == 3
    assert check(narrative, GAPS, data_numbers=numbers()) == []
    outcome = narrative.improvementPlan.expectedOutcomes[0]
    assert outcome.metric == "Filler words" and outcome.currentScore == 48
    assert outcome.targetScore <= min(100, 48 + MAX_GAIN_PER_WEEK * 12)
    assert {i.type for i in narrative.insights} >= {"strength", "weakness"}


def test_with_nothing_measured_the_fallback_still_has_five_insights_and_no_made_up_scores() -> None:
    narrative = fallback_narrative([])
    assert len(narrative.insights) == 5
    assert narrative.improvementPlan.expectedOutcomes == []
    assert check(narrative, [], data_numbers=data_numbers_of([], {})) == []


def test_a_consistent_model_answer_is_used(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    gemini_double.queue_json(model_answer())
    result = narrate(gemini, GAPS, context=CONTEXT, extra_numbers={})
    assert (result.source, result.reason) == ("model", None)
    prompt = gemini_double.requests[-1].prompt_text
    assert '"measured": 48.0' in prompt and '"peerMedian": 66.0' in prompt
    schema = gemini_double.requests[-1].body["generationConfig"]
    assert "responseSchema" in schema or "responseJsonSchema" in schema


def rejected(gemini, gemini_double, answer: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    gemini_double.queue_json(answer)
    result = narrate(gemini, GAPS, context=CONTEXT, extra_numbers={})
    assert result.source == "fallback"
    BenchmarkNarrative.model_validate(result.value.model_dump())
    assert result.reason is not None
    return result.reason


def test_a_wrong_current_score_is_rejected(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    reason = rejected(
        gemini,
        gemini_double,
        model_answer(**{"improvementPlan.expectedOutcomes.0.currentScore": 55}),
    )
    assert "currentScore 55" in reason


def test_an_unreachable_target_is_rejected(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    reason = rejected(
        gemini,
        gemini_double,
        model_answer(
            **{
                "improvementPlan.expectedOutcomes.0.targetScore": 98,
                "improvementPlan.expectedOutcomes.0.timeframe": 4,
            }
        ),
    )
    assert "not reachable" in reason


def test_an_invented_number_in_an_insight_is_rejected(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    answer = model_answer()
    answer["insights"][2] = {
        **answer["insights"][2],
        "description": "Top candidates say um 73% less.",
    }
    assert "73" in rejected(gemini, gemini_double, answer)


def test_an_unmeasured_metric_and_a_checkpoint_outside_the_range_are_rejected(
    gemini, gemini_double
) -> None:  # type: ignore[no-untyped-def]
    reason = rejected(
        gemini,
        gemini_double,
        model_answer(**{"improvementPlan.expectedOutcomes.0.metric": "Charisma"}),
    )
    assert "was not measured" in reason
    reason = rejected(
        gemini,
        gemini_double,
        model_answer(
            **{
                "improvementPlan.checkpoints.0.expectedScores": [
                    {"metric": "Filler words", "score": 90}
                ]
            }
        ),
    )
    assert "outside" in reason


def test_phases_must_add_up_to_the_timeframe(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    assert "add up" in rejected(
        gemini, gemini_double, model_answer(**{"improvementPlan.timeframe": 10})
    )


def test_gemini_failures_fall_back_with_the_cause(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    gemini_double.queue_server_error()
    gemini_double.queue_server_error()
    result = narrate(gemini, GAPS, context=CONTEXT, extra_numbers={})
    assert (result.source, result.reason) == ("fallback", "Gemini unavailable (server_error)")
    gemini_double.queue_malformed()
    assert (
        narrate(gemini, GAPS, context=CONTEXT, extra_numbers={}).reason
        == "Gemini unavailable (malformed)"
    )
    none = narrate(None, GAPS, context=CONTEXT, extra_numbers={})
    assert (none.source, none.reason) == ("fallback", "Gemini is not configured")

"""recommendNextActivity's text: Gemini's answer only when every claim checks out."""

from __future__ import annotations

from typing import Any

from salamin.gateways.gemini import GeminiGateway
from salamin.learning import coach
from salamin.learning.catalog import load
from salamin.models.learning import ActivityRecommendation
from scripts.doubles.gemini_double import GeminiDouble
from tests.learning.support import make_path

PATH = make_path({"system_design": 40.0})


def template(minutes: int = 30) -> ActivityRecommendation:
    module = PATH.modules[0]
    activity = module.learningActivities[0].model_copy(update={"duration": minutes})
    return ActivityRecommendation(
        activity=activity,
        module=module,
        reasoning="Next in module 1.",
        reasoningSource="template",
        estimatedTime=minutes,
        prerequisites=[],
        preparationTips=["template tip"],
    )


def answer(rec: ActivityRecommendation, **over: Any) -> dict[str, Any]:
    assert rec.activity is not None
    return {
        "activityId": rec.activity.catalogId,
        "estimatedMinutes": rec.estimatedTime,
        "reasoning": f"Plan {rec.estimatedTime} minutes on this: it is your largest gap.",
        "preparationTips": ["Warm up with one easy question", "Keep notes short"],
        **over,
    }


def test_a_checked_answer_is_used_and_labelled_model(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    rec = template()
    gemini_double.queue_json(answer(rec))
    out = coach.explain(gemini, rec, PATH, load())
    assert out.reasoningSource == "model" and out.fallbackReason is None
    assert out.reasoning.startswith("Plan 30 minutes")
    assert out.preparationTips == ["Warm up with one easy question", "Keep notes short"]
    sent = gemini_double.requests[-1]
    assert rec.activity is not None and rec.activity.catalogId in sent.prompt_text
    config = sent.body["generationConfig"]
    assert "responseSchema" in config or "responseJsonSchema" in config


def test_claims_that_fail_a_check_fall_back_to_the_labelled_template(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    rec = template(minutes=39)
    other = next(a.catalogId for a in load().activities if a.catalogId != rec.activity.catalogId)  # type: ignore[union-attr]
    bad = [
        answer(rec, activityId=other),
        answer(rec, reasoning="Then do made_up-99 as well."),
        answer(rec, estimatedMinutes=30),
        answer(rec, reasoning="This takes 30 minutes."),
        answer(rec, preparationTips=[]),
    ]
    for payload in bad:
        gemini_double.queue_json(payload)
        out = coach.explain(gemini, rec, PATH, load())
        assert out.reasoningSource == "template", payload
        assert out.reasoning == "Next in module 1." and out.preparationTips == ["template tip"]
        assert out.fallbackReason and out.fallbackReason.startswith("model answer failed checks")
    # A known catalog id in the text is allowed.
    gemini_double.queue_json(answer(rec, reasoning=f"After this, {other} builds on it."))
    assert coach.explain(gemini, rec, PATH, load()).reasoningSource == "model"


def test_gemini_unavailable_or_absent_is_said(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    rec = template()
    for _ in range(5):
        gemini_double.queue_server_error()
    out = coach.explain(gemini, rec, PATH, load())
    assert out.reasoningSource == "template" and "unavailable" in (out.fallbackReason or "")
    none = coach.explain(None, rec, PATH, load())
    assert none.reasoningSource == "template" and none.fallbackReason == "Gemini is not configured"

"""recommendNextActivity's reasoning and preparation tips: Gemini, checked, or the template.

The next activity and its personalised duration are chosen deterministically; Gemini
(`RecommendationAnswer` response_schema) only explains them. Its answer is checked: the
activity id it returns is the recommended one; every catalog-shaped id it writes
(`competency-NN`) is a catalog id; its `estimatedMinutes`, and every "N min(utes)" in its text,
equal the personalised duration. Any failed check, or Gemini being unavailable, keeps the
template text, labelled `template` with the reason.
"""

from __future__ import annotations

import json
import re

from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from salamin.learning.catalog import Catalog
from salamin.models.learning import ActivityRecommendation, LearningPath, RecommendationAnswer

SYSTEM = (
    "You are an interview coach. Explain why the given activity is the candidate's next step "
    "and give 2-4 short preparation tips. Use ONLY the given facts; quote the activity id and "
    "duration exactly; mention no other activity."
)
ID_SHAPE = re.compile(r"\b[a-z][a-z_]+-\d{2}\b")
MINUTES = re.compile(r"(\d+)\s*(?:-\s*)?min", re.IGNORECASE)


def prompt_for(rec: ActivityRecommendation, path: LearningPath) -> str:
    assert rec.activity is not None and rec.module is not None
    objective = next((o for o in path.objectives if o.category == rec.module.competency), None)
    facts = {
        "activityId": rec.activity.catalogId,
        "title": rec.activity.title,
        "type": rec.activity.type,
        "durationMinutes": rec.estimatedTime,
        "module": rec.module.title,
        "currentScore": objective.currentScore if objective else None,
        "targetScore": objective.targetScore if objective else None,
        "unmetPrerequisites": rec.prerequisites,
        "learningStyle": path.personalization.learningStyle,
    }
    return "Facts:\n" + json.dumps(facts, indent=1)


def check(answer: RecommendationAnswer, rec: ActivityRecommendation, catalog: Catalog) -> list[str]:
    assert rec.activity is not None
    problems = []
    if answer.activityId != rec.activity.catalogId:
        problems.append(f"answer names activity {answer.activityId!r}, not the recommended one")
    text = " ".join([answer.reasoning, *answer.preparationTips])
    known = {a.catalogId for a in catalog.activities}
    unknown = sorted({m for m in ID_SHAPE.findall(text) if m not in known})
    if unknown:
        problems.append(f"unknown activity ids {unknown}")
    if answer.estimatedMinutes != rec.estimatedTime:
        problems.append(f"estimatedMinutes {answer.estimatedMinutes} != {rec.estimatedTime}")
    wrong = sorted({int(n) for n in MINUTES.findall(text) if int(n) != rec.estimatedTime})
    if wrong:
        problems.append(f"durations {wrong} in the text differ from {rec.estimatedTime} min")
    if not answer.preparationTips:
        problems.append("no preparation tip")
    return problems


def explain(
    gemini: GeminiGateway | None,
    rec: ActivityRecommendation,
    path: LearningPath,
    catalog: Catalog,
) -> ActivityRecommendation:
    """The recommendation with Gemini's checked text, or the template's with the reason."""
    if rec.activity is None:
        return rec
    if gemini is None:
        return rec.model_copy(update={"fallbackReason": "Gemini is not configured"})
    try:
        answer = gemini.generate_structured(
            prompt=prompt_for(rec, path), system=SYSTEM, schema=RecommendationAnswer
        )
    except GeminiUnavailable as exc:
        return rec.model_copy(update={"fallbackReason": f"Gemini unavailable ({exc.kind})"})
    problems = check(answer, rec, catalog)
    if problems:
        return rec.model_copy(
            update={"fallbackReason": "model answer failed checks: " + "; ".join(problems[:3])}
        )
    return rec.model_copy(
        update={
            "reasoning": answer.reasoning,
            "preparationTips": list(answer.preparationTips),
            "reasoningSource": "model",
            "fallbackReason": None,
        }
    )

"""Gemini's module choice: used when valid, repaired when partly wrong, replaced when unusable."""

from __future__ import annotations

from salamin.learning.catalog import load
from salamin.learning.planner import plan_with_gemini
from tests.learning.support import SPEC_REQUEST, make_path

COMPETENCIES = [
    "system_design",
    "technical_depth",
    "structure",
    "star_storytelling",
    "behavioural_stories",
    "clarity",
]


def plan(ids_for) -> dict:  # type: ignore[no-untyped-def]
    return {
        "modules": [
            {"competency": c, "title": f"Module on {c}", "activityIds": ids_for(c)}
            for c in COMPETENCIES
        ]
    }


def test_a_valid_answer_is_used(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    gemini_double.queue_json(plan(lambda c: [f"{c}-03", f"{c}-04"]))
    path = plan_with_gemini(gemini, make_path(), SPEC_REQUEST, load())
    assert path.source == "model" and path.sourceNote is None
    assert [m.competency for m in path.modules] == COMPETENCIES
    assert [a.catalogId for a in path.modules[0].learningActivities] == [
        "system_design-03",
        "system_design-04",
    ]
    assert (
        len(path.objectives) == 4
        and len(path.adaptiveElements) == 5
        and path.estimatedDuration == 8
    )
    assert path.modules[1].prerequisites == ["m1"] and path.progress.currentModule == "m1"
    prompt = gemini_double.requests[-1].prompt_text
    assert '"modulesWanted": 6' in prompt and "system_design-07" in prompt


def test_unknown_and_off_topic_activities_are_repaired(gemini, gemini_double) -> None:  # type: ignore[no-untyped-def]
    answer = plan(
        lambda c: [
            f"{c}-05",
            f"{c}-02",
            "made-up-99",
            "clarity-01" if c != "clarity" else "pauses-01",
        ]
    )
    answer["modules"][5] = {"competency": "juggling", "title": "x", "activityIds": ["juggling-01"]}
    gemini_double.queue_json(answer)
    path = plan_with_gemini(gemini, make_path(), SPEC_REQUEST, load())
    assert path.source == "model_repaired" and path.sourceNote
    assert "unknown or off-topic" in path.sourceNote and "juggling" in path.sourceNote
    first = [a.catalogId for a in path.modules[0].learningActivities]
    assert first == ["system_design-02", "system_design-05"]  # rising difficulty, strays dropped
    assert len(path.modules) == 6  # the dropped module was filled from the deterministic order
    ids = {a.catalogId for a in load().activities}
    assert all(a.catalogId in ids for m in path.modules for a in m.learningActivities)


def test_an_unusable_answer_or_no_gemini_gives_the_deterministic_path(
    gemini, gemini_double
) -> None:  # type: ignore[no-untyped-def]
    base = make_path()
    path = plan_with_gemini(gemini, base, SPEC_REQUEST, load())  # the double's synthetic ids
    assert path.source == "deterministic" and "unusable" in (path.sourceNote or "")
    assert path.modules == base.modules
    gemini_double.queue_server_error()
    gemini_double.queue_server_error()
    failed = plan_with_gemini(gemini, base, SPEC_REQUEST, load())
    assert failed.source == "deterministic" and "server_error" in (failed.sourceNote or "")
    assert plan_with_gemini(None, base, SPEC_REQUEST, load()) is base

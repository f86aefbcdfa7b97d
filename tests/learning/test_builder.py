"""The deterministic builder, including the spec's test as written."""

from __future__ import annotations

from salamin.learning.catalog import load
from salamin.models.learning import PathGenerationRequest, PersonalizationData
from tests.learning.support import SPEC_REQUEST, make_path


def test_the_specs_path_test() -> None:
    path = make_path()
    assert len(path.modules) == 6
    assert len(path.objectives) == 4
    assert len(path.adaptiveElements) == 5
    assert path.estimatedDuration == 8
    assert path.source == "deterministic"


def test_the_weakest_important_competency_comes_first_with_measured_scores() -> None:
    mastery = {
        "filler_words": 35.0,
        "technical_depth": 62.0,
        "structure": 80.0,
        "eye_contact": 90.0,
    }
    path = make_path(mastery, request=SPEC_REQUEST.model_copy(update={"focusAreas": []}))
    first = path.modules[0]
    # gap × importance: filler 65 × 0.6 = 39; technical depth 38 × 1.0 = 38; unknown system design 50 × 1.0 = 50
    assert first.competency == "system_design"
    assert [m.competency for m in path.modules[:3]] == [
        "system_design",
        "filler_words",
        "technical_depth",
    ]
    objectives = {o.category: o for o in path.objectives}
    assert objectives["filler_words"].currentScore == 35.0
    assert objectives["filler_words"].targetScore == 70.0  # max(ready 70, 35 + 2.5 × 8)
    assert objectives["system_design"].currentScore is None
    assert all(o.measurable and 0 < o.targetScore <= 100 for o in path.objectives)
    assert not first.learningActivities[0].title.startswith("Diagnostic")  # there is evidence


def test_no_evidence_starts_with_a_diagnostic_session() -> None:
    path = make_path()
    opening = path.modules[0].learningActivities[0]
    assert opening.type == "practice_session" and opening.title.startswith("Diagnostic")
    assert path.skillAnalysis.unavailableReason


def test_difficulty_progresses_prerequisites_chain_and_time_fits() -> None:
    catalog = load()
    path = make_path()
    firsts = [m.learningActivities[-1].adaptiveParameters.difficultyLevel for m in path.modules]
    assert firsts == sorted(firsts)
    for prev, module in zip(path.modules, path.modules[1:], strict=False):
        assert module.prerequisites == [prev.moduleId]
    budget = 8 * 5 * 60
    assert sum(m.estimatedTime for m in path.modules) <= budget
    ids = {a.catalogId for a in catalog.activities}
    assert all(a.catalogId in ids for m in path.modules for a in m.learningActivities)
    assert len({a.activityId for m in path.modules for a in m.learningActivities}) == sum(
        len(m.learningActivities) for m in path.modules
    )


def test_avoidance_areas_are_left_out_and_short_timeframes_get_three_modules() -> None:
    request = PathGenerationRequest(
        goalType="skill_improvement", timeframe=2, currentLevel="beginner"
    )
    path = make_path(
        request=request, personalization=PersonalizationData(avoidanceAreas=["system_design"])
    )
    assert len(path.modules) == 3
    assert "system_design" not in [m.competency for m in path.modules]
    assert path.pathType == "skill_development"

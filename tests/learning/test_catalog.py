"""The activity catalog loads, validates and covers what the builder needs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from salamin.learning.catalog import CATALOG_PATH, Catalog, load


def test_catalog_covers_competencies_types_and_levels() -> None:
    catalog = load()
    assert len(catalog.activities) >= 80
    assert len(catalog.competencies) >= 12
    assert {a.type for a in catalog.activities} == {
        "practice_session", "video_lesson", "reading", "exercise", "peer_practice", "expert_session"
    }  # fmt: skip
    assert {a.level for a in catalog.activities} == {"beginner", "intermediate", "advanced"}
    for key in catalog.competencies:
        pool = catalog.for_competency(key)
        assert len(pool) >= 5, key
        assert [a.difficulty for a in pool] == sorted(a.difficulty for a in pool)
    with_checks = [a for a in catalog.activities if a.assessment]
    assert with_checks and all(a.completionCriteria.minScore for a in with_checks)


def broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = json.loads(CATALOG_PATH.read_text())
    mutate(raw)
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(raw))
    return path


@pytest.mark.parametrize(
    "mutate",
    [
        lambda raw: raw["activities"].append(dict(raw["activities"][0])),  # duplicate id
        lambda raw: raw["activities"][0].update(competencies=["juggling"]),
        lambda raw: raw["activities"][0].update(difficulty=11),
        lambda raw: raw["activities"][0].update(type="podcast"),
        lambda raw: raw["competencies"]["clarity"].update(metrics=["verbal_charm_score"]),
        lambda raw: raw["activities"][0]["assessment"]["questions"][0].update(answer=9),
    ],
)
def test_a_broken_catalog_does_not_load(tmp_path, mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        Catalog.model_validate(json.loads(broken(tmp_path, mutate).read_text()))

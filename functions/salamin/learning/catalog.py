"""The versioned activity catalog (`catalog.json`, original content), validated at load.

Each activity names its competencies (keys of `competencies`, each mapped to the benchmark
metric ids that measure it), a difficulty 1-10, a duration in minutes, completion criteria and,
for readings, a knowledge check with a passing score. A path copies activities from here; it
never contains an activity the catalog does not have.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from salamin.benchmarks.metrics import BY_ID
from salamin.models.learning import ActivityType, CompletionCriteria, InteractivityLevel

CATALOG_PATH = Path(__file__).with_name("catalog.json")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Competency(_Strict):
    label: str
    metrics: list[str]


class CatalogQuestion(_Strict):
    prompt: str
    options: list[str] = Field(min_length=2)
    answer: int = Field(ge=0)


class CatalogAssessment(_Strict):
    type: str
    passingScore: float = Field(ge=0, le=100)
    questions: list[CatalogQuestion] = Field(min_length=1)


class CatalogActivity(_Strict):
    catalogId: Annotated[str, Field(pattern=r"^[a-z_]+-\d{2}$")]
    type: ActivityType
    title: str = Field(min_length=3)
    description: str = Field(min_length=10)
    instructions: str = Field(min_length=10)
    duration: int = Field(ge=5, le=180)
    difficulty: int = Field(ge=1, le=10)
    competencies: list[str] = Field(min_length=1)
    interactivity: InteractivityLevel
    completionCriteria: CompletionCriteria
    assessment: CatalogAssessment | None = None

    @property
    def level(self) -> str:
        return (
            "beginner"
            if self.difficulty <= 3
            else "intermediate"
            if self.difficulty <= 6
            else "advanced"
        )


class Catalog(_Strict):
    version: str
    competencies: dict[str, Competency]
    activities: list[CatalogActivity]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        ids = [a.catalogId for a in self.activities]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate catalogId")
        for a in self.activities:
            unknown = set(a.competencies) - set(self.competencies)
            if unknown:
                raise ValueError(f"{a.catalogId}: unknown competencies {sorted(unknown)}")
            if a.assessment:
                for q in a.assessment.questions:
                    if q.answer >= len(q.options):
                        raise ValueError(f"{a.catalogId}: answer index out of range")
        for key, comp in self.competencies.items():
            bad = [m for m in comp.metrics if m not in BY_ID]
            if bad:
                raise ValueError(f"competency {key}: unknown metrics {bad}")
        return self

    def by_id(self) -> dict[str, CatalogActivity]:
        return {a.catalogId: a for a in self.activities}

    def for_competency(self, competency: str) -> list[CatalogActivity]:
        """Easiest first."""
        return sorted(
            (a for a in self.activities if competency in a.competencies),
            key=lambda a: (a.difficulty, a.catalogId),
        )


@cache
def load(path: Path = CATALOG_PATH) -> Catalog:
    return Catalog.model_validate(json.loads(path.read_text()))

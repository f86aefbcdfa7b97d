"""A path built the way generatePersonalizedPath builds it, for tests."""

from __future__ import annotations

from datetime import UTC, datetime

from salamin.learning.builder import build_path
from salamin.learning.catalog import load
from salamin.learning.skills import skill_analysis
from salamin.models.learning import LearningPath, PathGenerationRequest, PersonalizationData

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SPEC_REQUEST = PathGenerationRequest(
    goalType="job_interview",
    targetRole="Software Engineer",
    timeframe=8,
    currentLevel="intermediate",
    focusAreas=["technical_skills", "system_design"],
)


def make_path(
    mastery: dict[str, float] | None = None,
    *,
    request: PathGenerationRequest = SPEC_REQUEST,
    personalization: PersonalizationData | None = None,
    user_id: str = "user-1",
    path_id: str = "path-1",
) -> LearningPath:
    catalog = load()
    known = mastery or {}
    return build_path(
        path_id=path_id,
        user_id=user_id,
        request=request,
        skills=skill_analysis(catalog, known, evidence=len(known)),
        personalization=personalization or PersonalizationData(),
        catalog=catalog,
        now=NOW,
    )

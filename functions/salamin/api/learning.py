"""Callable entry points of spec §3.1 (LearningPathService)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.gateways.gemini import GeminiGateway
from salamin.learning import progress, service
from salamin.models.base import DocId, FieldMap, SalaminModel
from salamin.models.learning import (
    ActivityProgress,
    ActivityRecommendation,
    AdaptiveTrigger,
    LearningPath,
    PathGenerationRequest,
    PersonalizationData,
)

PathId = DocId


class GeneratePersonalizedPathRequest(SalaminModel):
    pathRequest: PathGenerationRequest
    personalization: PersonalizationData | None = None


class TrackProgressRequest(SalaminModel):
    pathId: PathId
    activityId: DocId
    progressData: ActivityProgress


class AdaptPathRequest(SalaminModel):
    pathId: PathId
    trigger: AdaptiveTrigger
    context: FieldMap = Field(default_factory=dict)
    eventId: DocId | None = None

    @field_validator("context")
    @classmethod
    def _metrics_are_numbers(cls, value: dict[str, Any]) -> dict[str, Any]:
        """A stored event with `score: "x"` would fail every later event of the path."""
        for key in sorted(progress.METRIC_KEYS & set(value)):
            if value[key] is not None and not progress.is_metric_value(value[key]):
                raise ValueError(f"{key} must be a number")
        return value


class PathRequest(SalaminModel):
    pathId: PathId


def generate_personalized_path(
    caller: Caller, req: GeneratePersonalizedPathRequest, *, gemini_api_key: str | None
) -> LearningPath:
    return service.generate_personalized_path(
        firebase.db(),
        gemini=GeminiGateway.configured(api_key=gemini_api_key),
        caller=caller,
        request=req.pathRequest,
        personalization=req.personalization,
        clock=SystemClock(),
    )


def track_progress(caller: Caller, req: TrackProgressRequest) -> dict[str, Any]:
    return service.track_progress(
        firebase.db(),
        caller=caller,
        path_id=req.pathId,
        activity_id=req.activityId,
        progress=req.progressData,
        clock=SystemClock(),
    )


def adapt_path(caller: Caller, req: AdaptPathRequest) -> dict[str, Any]:
    return service.adapt_path(
        firebase.db(),
        caller=caller,
        path_id=req.pathId,
        trigger=req.trigger,
        context=req.context,
        event_id=req.eventId,
        clock=SystemClock(),
    )


def recommend_next_activity(
    caller: Caller, req: PathRequest, *, gemini_api_key: str | None
) -> ActivityRecommendation:
    return service.recommend_next_activity(
        firebase.db(),
        caller=caller,
        path_id=req.pathId,
        clock=SystemClock(),
        gemini=GeminiGateway.configured(api_key=gemini_api_key),
    )


def on_analysis_written(analysis_id: str) -> None:
    from salamin.learning import evidence

    evidence.on_analysis_written(firebase.db(), analysis_id=analysis_id, clock=SystemClock())


def on_expert_session_written(session_id: str) -> None:
    from salamin.learning import evidence

    evidence.on_expert_session_written(firebase.db(), session_id=session_id, clock=SystemClock())

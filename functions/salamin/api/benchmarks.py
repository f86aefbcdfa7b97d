"""Callable and trigger entry points of spec §2.2 (BenchmarkingService)."""

from __future__ import annotations

from salamin.benchmarks import service, trigger
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.gateways.gemini import GeminiGateway
from salamin.models.base import DocId, FieldMap, SalaminModel
from salamin.models.benchmarks import PersonalizedBenchmark


class GeneratePersonalizedBenchmarkRequest(SalaminModel):
    analysisId: DocId | None = None
    """A complete analysis of the caller's; or give `userMetrics`."""
    userMetrics: FieldMap | None = None
    """A partial spec PerformanceMetrics (`{"overall": {"interviewReadiness": 72}}`)."""
    userId: DocId | None = None
    """Must be the caller unless the caller is an admin."""
    save: bool = False
    """Also store the result at users/{uid}/benchmarks/{id}."""


def generate_personalized_benchmark(
    caller: Caller, req: GeneratePersonalizedBenchmarkRequest, *, gemini_api_key: str | None
) -> PersonalizedBenchmark:
    return service.generate_personalized_benchmark(
        firebase.db(),
        caller=caller,
        user_id=req.userId,
        analysis_id=req.analysisId,
        user_metrics=req.userMetrics,
        gemini=GeminiGateway.configured(api_key=gemini_api_key),
        clock=SystemClock(),
        save=req.save,
    )


def on_analysis_written(analysis_id: str) -> None:
    trigger.on_analysis_written(firebase.db(), analysis_id=analysis_id, clock=SystemClock())

"""Callable and task entry points of spec §2.1 (AdvancedAnalysisService).

`analyzeVideoSession` only validates and queues: the web client then listens to
`advancedAnalyses/{sessionId}` for status and progress. `runAdvancedAnalysis` (task queue) does
the heavy work; see `salamin.analysis.jobs` for the rules both follow.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.analysis import jobs, request, worker
from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.gateways.gemini import GeminiGateway
from salamin.gateways.tasks import FirebaseTasks
from salamin.models.base import DocId, SalaminModel

MAX_ATTEMPTS = jobs.MAX_ATTEMPTS
MIN_BACKOFF_S = jobs.MIN_BACKOFF_S
MAX_CONCURRENT_JOBS = jobs.MAX_CONCURRENT_JOBS
WORKER_TIMEOUT_S = jobs.WORKER_TIMEOUT_S

StoragePath = Annotated[str, Field(min_length=1, max_length=1024)]


class AnalyzeVideoSessionRequest(SalaminModel):
    sessionId: DocId
    """The interview session; also the id of the `advancedAnalyses` document."""
    videoPath: StoragePath | None = None
    """`recordings/{uid}/{file}`: a video with sound, or a silent video plus `audioPath`."""
    audioPath: StoragePath | None = None
    questions: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=50)] = (
        Field(default_factory=list)
    )
    targetRole: Annotated[str, Field(max_length=200)] | None = None
    force: bool = False
    """Run again although a complete or failed analysis exists."""


def analyze_video_session(caller: Caller, req: AnalyzeVideoSessionRequest) -> dict[str, Any]:
    ticket = request.request_analysis(
        firebase.db(),
        firebase.bucket(),
        FirebaseTasks(firebase.app()),
        caller=caller,
        session_id=req.sessionId,
        video_path=req.videoPath,
        audio_path=req.audioPath,
        questions=req.questions,
        target_role=req.targetRole,
        force=req.force,
        clock=SystemClock(),
    )
    return {"sessionId": ticket.sessionId, "status": ticket.status}


def run_advanced_analysis(data: Any, *, gemini_api_key: str | None) -> None:
    """One task delivery. Raising makes Cloud Tasks deliver it again (see worker.run_job)."""
    worker.run_job(
        firebase.db(),
        firebase.bucket(),
        payload=data,
        clock=SystemClock(),
        analyse=worker.pipeline_analyse(GeminiGateway.configured(api_key=gemini_api_key)),
    )

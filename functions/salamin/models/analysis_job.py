"""The analysis job document: `advancedAnalyses/{sessionId}` while it is a job.

Its `status` moves queued -> processing -> complete | failed, with `progress` (0-1) and `stage`
for the client's listener; once complete the same document holds the `MultiModalAnalysis`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

JobStatus = Literal["queued", "processing", "complete", "failed"]

FailureReason = Literal[
    "unsupported_media",
    "corrupt_media",
    "silent_media",
    "media_too_long",
    "invalid_media",
    "media_not_found",
    "speech_model_unavailable",
    "enqueue_failed",
    "internal",
]


class JobError(BaseModel):
    """Why a job failed, safe to show: no paths, no stack traces."""

    code: str
    """The callable error code a request would have got, e.g. `invalid-argument`."""
    reason: FailureReason
    message: str
    field: str | None = None
    """`audio` or `video` when one file is at fault."""


class JobInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    videoPath: str | None = None
    audioPath: str | None = None
    questions: list[str] = Field(default_factory=list)
    targetRole: str | None = None


class AnalysisJob(BaseModel):
    """The job fields of `advancedAnalyses/{sessionId}` (result fields are read elsewhere)."""

    model_config = ConfigDict(extra="ignore")

    sessionId: str
    userId: str
    status: JobStatus
    progress: float = Field(ge=0, le=1)
    stage: str
    attempt: int = Field(ge=1)
    runs: int = Field(default=0, ge=0)
    """Task deliveries that started this attempt."""
    taskId: str
    input: JobInput
    requestedAt: datetime
    updatedAt: datetime
    startedAt: datetime | None = None
    completedAt: datetime | None = None
    error: JobError | None = None

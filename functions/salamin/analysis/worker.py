"""The analysis worker (the task-queue side of spec §2.1; rules in `salamin.analysis.jobs`).

One task delivery claims the attempt, downloads the media, runs the pipeline (`Analyse`, built
by the api layer with its Gemini gateway), uploads the evidence and writes the result and the
user's statistics in one transaction. Typed media errors end the job `failed`; anything else is
retried by Cloud Tasks until the last delivery.
"""

from __future__ import annotations

import json
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from salamin.analysis.jobs import (
    ACTIVE,
    DOWNLOAD_SHARE,
    FINAL_SHARE,
    MAX_ATTEMPTS,
    PROGRESS_MIN_INTERVAL_S,
    analysis_ref,
    evidence_path,
    finish_failed,
)
from salamin.analysis.media.errors import (
    CorruptMedia,
    MediaTooLong,
    SilentMedia,
    SpeechModelUnavailable,
    UnsupportedMedia,
)
from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument, NotFound, SalaminError
from salamin.core.log import log
from salamin.models.analysis_job import AnalysisJob, FailureReason, JobError

if TYPE_CHECKING:
    from salamin.analysis.service import AnalysisResult, Progress
    from salamin.gateways.gemini import GeminiGateway


class TaskPayload(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sessionId: str = Field(min_length=1, max_length=128)
    attempt: int = Field(ge=1)


WorkerOutcome = Literal["complete", "failed", "skipped"]


class Analyse(Protocol):
    def __call__(
        self,
        *,
        audio_path: Path | None,
        video_path: Path | None,
        questions: Sequence[str],
        target_role: str | None,
        progress: Progress,
    ) -> AnalysisResult: ...


def pipeline_analyse(gemini: GeminiGateway | None) -> Analyse:
    """The real pipeline; content judgement from Gemini when a gateway is given."""

    def analyse(
        *,
        audio_path: Path | None,
        video_path: Path | None,
        questions: Sequence[str],
        target_role: str | None,
        progress: Progress,
    ) -> AnalysisResult:
        from salamin.analysis.service import analyze_media_files

        return analyze_media_files(
            audio_path=audio_path,
            video_path=video_path,
            questions=questions,
            target_role=target_role,
            gemini=gemini,
            progress=progress,
        )

    return analyse


class ProgressWriter:
    """Throttled, monotonic progress updates on the job; a failed write never fails the job."""

    def __init__(
        self,
        ref: firestore.DocumentReference,
        *,
        clock: Clock,
        min_interval_s: float = PROGRESS_MIN_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ref = ref
        self._clock = clock
        self._min_interval_s = min_interval_s
        self._monotonic = monotonic
        self._last_at: float | None = None
        self.written = 0.0
        self.writes = 0

    def __call__(self, fraction: float, stage: str, *, force: bool = False) -> None:
        fraction = round(min(FINAL_SHARE, max(0.0, fraction)), 3)
        now = self._monotonic()
        if fraction <= self.written and not force:
            return
        if not force and self._last_at is not None and now - self._last_at < self._min_interval_s:
            return
        try:
            self._ref.update(
                {
                    "progress": max(fraction, self.written),
                    "stage": stage,
                    "updatedAt": self._clock.now(),
                }
            )
        except Exception:  # progress is cosmetic; the result write is not
            log("analysis.progress.write_failed", severity="WARNING", trace=traceback.format_exc())
            return
        self._last_at = now
        self.written = max(fraction, self.written)
        self.writes += 1


def run_job(
    db: firestore.Client,
    bucket: Any,
    *,
    payload: Any,
    clock: Clock,
    analyse: Analyse,
) -> WorkerOutcome:
    """Handle one task delivery. Returns normally when the task is done (complete, failed or
    nothing to do); raises only when Cloud Tasks should deliver it again."""
    try:
        task = TaskPayload.model_validate(payload)
    except ValidationError:
        log("analysis.task.invalid", severity="ERROR", payload=str(payload)[:200])
        return "skipped"
    job = _claim(db, task=task, clock=clock)
    if job is None:
        return "skipped"
    ref = analysis_ref(db, task.sessionId)
    progress = ProgressWriter(ref, clock=clock)
    try:
        result = _analyse_job(bucket, job, analyse=analyse, progress=progress)
        progress(FINAL_SHARE, "saving the analysis", force=True)
        _upload_evidence(bucket, job, result)
        counted = _finish_complete(db, job=job, result=result, clock=clock)
        log(
            "analysis.complete",
            sessionId=job.sessionId,
            attempt=job.attempt,
            counted=counted,
            seconds=result.measurement.processingSeconds,
        )
        return "complete"
    except Exception as exc:
        error = job_error(exc) if isinstance(exc, SalaminError) else None
        if error is not None:
            finish_failed(
                db, session_id=job.sessionId, attempt=job.attempt, error=error, clock=clock
            )
            log(
                "analysis.failed",
                severity="WARNING",
                sessionId=job.sessionId,
                reason=error.reason,
                message=error.message,
            )
            return "failed"
        return _unexpected(db, exc, job=job, progress=progress, clock=clock)


def _unexpected(
    db: firestore.Client,
    exc: Exception,
    *,
    job: AnalysisJob,
    progress: ProgressWriter,
    clock: Clock,
) -> WorkerOutcome:
    """Log with an incident id; re-raise for a redelivery, or on the last one mark `failed`."""
    incident = uuid.uuid4().hex[:12]
    last = job.runs >= MAX_ATTEMPTS
    log(
        "analysis.error",
        severity="ERROR",
        sessionId=job.sessionId,
        attempt=job.attempt,
        run=job.runs,
        last=last,
        incident=incident,
        trace=traceback.format_exc(),
    )
    if not last:
        progress(progress.written, "retrying after an internal error", force=True)
        raise exc
    finish_failed(
        db,
        session_id=job.sessionId,
        attempt=job.attempt,
        error=JobError(
            code="internal",
            reason="internal",
            message=f"the analysis failed unexpectedly (incident {incident})",
        ),
        clock=clock,
    )
    return "failed"


_REASONS: tuple[tuple[type[SalaminError], FailureReason], ...] = (
    (UnsupportedMedia, "unsupported_media"),
    (CorruptMedia, "corrupt_media"),
    (SilentMedia, "silent_media"),
    (MediaTooLong, "media_too_long"),
    (SpeechModelUnavailable, "speech_model_unavailable"),
    (InvalidArgument, "invalid_media"),
    (NotFound, "media_not_found"),
)


def job_error(exc: SalaminError) -> JobError | None:
    """A typed error that retrying cannot fix, as a stored JobError; None for the others."""
    for cls, reason in _REASONS:
        if isinstance(exc, cls):
            fields = getattr(exc, "fields", None) or []
            return JobError(
                code=exc.code,
                reason=reason,
                message=exc.message,
                field=fields[0]["path"] if fields else None,
            )
    return None


def _claim(db: firestore.Client, *, task: TaskPayload, clock: Clock) -> AnalysisJob | None:
    """Mark the attempt `processing` and count the delivery; None when there is nothing to do."""
    ref = analysis_ref(db, task.sessionId)

    @firestore.transactional
    def claim(tx: firestore.Transaction) -> AnalysisJob | None:
        snap = ref.get(transaction=tx)
        if not snap.exists:
            log("analysis.task.orphan", severity="WARNING", sessionId=task.sessionId)
            return None
        job = AnalysisJob.model_validate(snap.to_dict())
        if job.attempt != task.attempt or job.status not in ACTIVE:
            log(
                "analysis.task.skip",
                sessionId=task.sessionId,
                taskAttempt=task.attempt,
                attempt=job.attempt,
                status=job.status,
            )
            return None
        now = clock.now()
        update: dict[str, Any] = {
            "status": "processing",
            "stage": "downloading media",
            "runs": job.runs + 1,
            "updatedAt": now,
        }
        if job.startedAt is None:
            update["startedAt"] = now
        tx.update(ref, update)
        return job.model_copy(update={**update, "startedAt": job.startedAt or now})

    result: AnalysisJob | None = claim(db.transaction())
    return result


def _analyse_job(
    bucket: Any, job: AnalysisJob, *, analyse: Analyse, progress: ProgressWriter
) -> AnalysisResult:
    with tempfile.TemporaryDirectory(prefix="salamin-analysis-") as tmp:
        audio = _download(bucket, job.input.audioPath, field="audio", into=Path(tmp))
        video = _download(bucket, job.input.videoPath, field="video", into=Path(tmp))
        progress(DOWNLOAD_SHARE, "media downloaded", force=True)

        def scaled(fraction: float, stage: str) -> None:
            progress(DOWNLOAD_SHARE + (FINAL_SHARE - DOWNLOAD_SHARE) * fraction, stage)

        return analyse(
            audio_path=audio,
            video_path=video,
            questions=job.input.questions,
            target_role=job.input.targetRole,
            progress=scaled,
        )


def _download(bucket: Any, path: str | None, *, field: str, into: Path) -> Path | None:
    if not path:
        return None
    blob = bucket.get_blob(path)
    if blob is None:
        raise NotFound(
            f"{field}: the uploaded file is no longer there", reason="recording_not_found"
        )
    local = into / f"{field}{PurePosixPath(path).suffix.lower()}"
    blob.download_to_filename(str(local))
    return local


def _upload_evidence(bucket: Any, job: AnalysisJob, result: AnalysisResult) -> None:
    """The full per-word / per-second evidence, too big for the document, next to it."""
    m = result.measurement
    body = {
        "sessionId": job.sessionId,
        "attempt": job.attempt,
        "pipelineVersion": m.pipelineVersion,
        "transcript": m.transcript.model_dump(mode="json") if m.transcript else None,
        "evidence": m.evidence.model_dump(mode="json"),
    }
    blob = bucket.blob(evidence_path(job.userId, job.sessionId))
    blob.upload_from_string(json.dumps(body), content_type="application/json")


def _finish_complete(
    db: firestore.Client, *, job: AnalysisJob, result: AnalysisResult, clock: Clock
) -> bool:
    """Write the result and count it in the user's statistics, once per attempt."""
    ref = analysis_ref(db, job.sessionId)
    stats_ref = db.document(col.user_statistics_path(job.userId))

    @firestore.transactional
    def finish(tx: firestore.Transaction) -> bool:
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return False
        current = AnalysisJob.model_validate(snap.to_dict())
        if current.attempt != job.attempt or current.status not in ACTIVE:
            return False
        now = clock.now()
        analysis = result.analysis(session_id=job.sessionId, user_id=job.userId, created_at=now)
        m = result.measurement
        tx.update(
            ref,
            {
                **analysis.model_dump(mode="python", exclude_none=True),
                "status": "complete",
                "progress": 1.0,
                "stage": "complete",
                "updatedAt": now,
                "completedAt": now,
                "sources": result.sources.model_dump(mode="python", exclude_none=True),
                "measurement": result.measurement_summary(),
                **({"transcript": m.transcript.model_dump(mode="python")} if m.transcript else {}),
                "evidencePath": evidence_path(job.userId, job.sessionId),
                "evidenceCounts": result.evidence_summary(),
            },
        )
        tx.set(
            stats_ref,
            {"lastAdvancedAnalysis": now, "totalAdvancedAnalyses": firestore.Increment(1)},
            merge=True,
        )
        return True

    counted: bool = finish(db.transaction())
    return counted

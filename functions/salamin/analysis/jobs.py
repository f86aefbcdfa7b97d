"""The analysis job: request (callable side) and worker (task-queue side) of spec §2.1.

`advancedAnalyses/{sessionId}` is both the job and, once complete, the result. Its `status`
moves queued -> processing -> complete | failed, with `progress` (0-1) and `stage` for the
client's listener. The analysis fields (`metrics`, `insights`, ...) are written only by the one
transaction that marks the job complete, so a failed or running job never shows half a result.

Rules, each enforced inside a Firestore transaction:

* Ownership. The analysis of a session belongs to the user who first requested it: a request
  for a `sessionId` whose analysis is owned by someone else is `permission-denied`, and so is
  one for an `expertSessions/{sessionId}` booking of another user. Media must lie directly in
  the caller's own folder, `recordings/{uid}/{file}` (the folder storage.rules lets them write).
* One job at a time. A request while the job is `queued` or `processing` returns that job and
  enqueues nothing. A `complete` or `failed` job is returned as it is unless `force` is true,
  which starts a new attempt (attempt + 1) and clears the old result. A job with no update for
  `STALE_AFTER` (its worker died past every retry) may be restarted without `force`.
* Exactly-once statistics. The transaction that marks an attempt complete also increments
  `users/{uid}/statistics/current.totalAdvancedAnalyses` and sets `lastAdvancedAnalysis`
  (creating the document if missing). A redelivered task finds the attempt complete and changes
  nothing, so each completed job counts once; a forced re-run is a new job and counts again.
* Tasks carry `{sessionId, attempt}` and have the deterministic id `<sessionId>-analysis-<n>`;
  a task for an older attempt is acknowledged and ignored.

Worker failures: bad media (typed `InvalidArgument` from the pipeline) ends the job `failed`
with a reason code and the pipeline's client-safe message; it is never retried. Anything else
is retried by Cloud Tasks (up to `MAX_ATTEMPTS` deliveries); the last delivery marks the job
`failed` with reason `internal` and an incident id instead of internals.

The media pipeline is imported only inside the worker, so importing this module is cheap.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from google.cloud import firestore
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from salamin.analysis.media.audio import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS
from salamin.analysis.media.errors import (
    CorruptMedia,
    MediaTooLong,
    SilentMedia,
    SpeechModelUnavailable,
    UnsupportedMedia,
)
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    InvalidArgument,
    NotFound,
    PermissionDenied,
    SalaminError,
    Unavailable,
)
from salamin.core.log import log

if TYPE_CHECKING:
    from salamin.analysis.service import AnalysisResult, Progress

TASK_FUNCTION = "runAdvancedAnalysis"
"""The task-queue function (main.py) whose queue the jobs go to."""
MAX_ATTEMPTS = 3
"""Task deliveries per job, including the first (the function's RetryConfig.max_attempts)."""
MIN_BACKOFF_S = 30
MAX_CONCURRENT_JOBS = 2
"""Jobs analysed at once: each takes about a core and 1-2 GB for the speech model."""
WORKER_TIMEOUT_S = 1800
"""Function timeout and task dispatch deadline: a 60-minute recording analyses in ~20 min."""
STALE_AFTER = timedelta(seconds=WORKER_TIMEOUT_S + 10 * 60)
"""A queued/processing job not updated for longer than this has lost its worker."""

RECORDINGS_PREFIX = col.RECORDINGS_PREFIX
EVIDENCE_PREFIX = col.ANALYSIS_EVIDENCE_PREFIX
"""Server-written evidence JSON: analyses/{uid}/{sessionId}/evidence.json."""
MAX_MEDIA_BYTES = 500 * 1024 * 1024
"""The upload cap of storage.rules."""

PROGRESS_MIN_INTERVAL_S = 2.0
"""At most one progress write per 2 s: a listener sees movement, Firestore sees few writes."""
DOWNLOAD_SHARE = 0.05
FINAL_SHARE = 0.98

JobStatus = Literal["queued", "processing", "complete", "failed"]
ACTIVE: frozenset[str] = frozenset({"queued", "processing"})

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


# ---- documents --------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class JobTicket:
    sessionId: str
    status: JobStatus
    attempt: int
    started: bool
    """True when this request created a new attempt (and enqueued its task)."""


class AnalysisQueue(Protocol):
    def enqueue(self, *, task_id: str, payload: dict[str, Any]) -> None: ...


class FirebaseAnalysisQueue:
    """Enqueues onto the `runAdvancedAnalysis` queue with a 30-minute dispatch deadline.

    (Cloud Tasks' default deadline is 10 minutes and the emulator's 60 s: a long recording
    would be redelivered while still being analysed.) An existing task id counts as done.
    """

    def __init__(self, app: Any = None, *, function_name: str = TASK_FUNCTION) -> None:
        self._app = app
        self._function = function_name

    def enqueue(self, *, task_id: str, payload: dict[str, Any]) -> None:
        from firebase_admin import exceptions as fb_exceptions
        from firebase_admin import functions as fb_functions

        if self._app is None:
            from salamin.core import firebase

            self._app = firebase.app()
        options = fb_functions.TaskOptions(
            task_id=task_id, dispatch_deadline_seconds=WORKER_TIMEOUT_S
        )
        try:
            fb_functions.task_queue(self._function, app=self._app).enqueue(
                {"data": payload}, options
            )
        except fb_exceptions.AlreadyExistsError:
            log("task.exists", queue=self._function, taskId=task_id)
        except ValueError as exc:
            # firebase-admin 7.7 strips a leading "/" from the emulator's answer, which the
            # emulator only adds to names it generates; with our task id the name then fails
            # to parse *after* the task was enqueued. Only that case is swallowed.
            if not os.environ.get("CLOUD_TASKS_EMULATOR_HOST") or "resource name" not in str(exc):
                raise
            log("task.enqueued.emulator_name_quirk", queue=self._function, taskId=task_id)


def task_id_for(session_id: str, attempt: int) -> str:
    """Deterministic; starts with the session id, as Cloud Tasks recommends for spread."""
    return f"{session_id}-analysis-{attempt}"


def analysis_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    return db.collection(col.ADVANCED_ANALYSES).document(session_id)


def evidence_path(uid: str, session_id: str) -> str:
    return f"{EVIDENCE_PREFIX}/{uid}/{session_id}/evidence.json"


# ---- request ----------------------------------------------------------------------------------


def check_media_path(path: str, *, field: str, uid: str, video: bool) -> str:
    """`recordings/{uid}/{file}` with a supported extension, or a typed error."""
    path = path.strip()
    parts = PurePosixPath(path).parts
    if not path or path.startswith("/") or "\\" in path or any(p in (".", "..") for p in parts):
        raise InvalidArgument.at(
            field, f"must be a Storage path like {RECORDINGS_PREFIX}/<uid>/<file>"
        )
    if len(parts) != 3 or parts[0] != RECORDINGS_PREFIX:
        raise PermissionDenied(f"{field}: must be a file directly in {RECORDINGS_PREFIX}/{uid}/")
    if parts[1] != uid:
        raise PermissionDenied(f"{field}: the file is in another user's folder")
    allowed = VIDEO_EXTENSIONS if video else AUDIO_EXTENSIONS | VIDEO_EXTENSIONS
    suffix = PurePosixPath(path).suffix.lower()
    if suffix not in allowed:
        raise UnsupportedMedia.at(
            field, f"unsupported file type {suffix or '(none)'}; use {', '.join(sorted(allowed))}"
        )
    return path


def check_stored_media(bucket: Any, path: str, *, field: str) -> None:
    """The object exists, is not empty, within the cap, and is typed as audio or video."""
    blob = bucket.get_blob(path)
    if blob is None:
        raise NotFound(f"{field}: no uploaded file at {path}", reason="recording_not_found")
    size = int(blob.size or 0)
    if size == 0:
        raise SilentMedia.at(field, "file is empty")
    if size > MAX_MEDIA_BYTES:
        raise InvalidArgument.at(field, f"file is larger than {MAX_MEDIA_BYTES // 2**20} MB")
    content_type = (blob.content_type or "").split(";")[0].strip().lower()
    if (
        content_type
        and not content_type.startswith(("audio/", "video/"))
        and (content_type != "application/octet-stream")
    ):
        raise UnsupportedMedia.at(field, f"content type {content_type} is not audio or video")


def request_analysis(
    db: firestore.Client,
    bucket: Any,
    queue: AnalysisQueue,
    *,
    caller: Caller,
    session_id: str,
    video_path: str | None = None,
    audio_path: str | None = None,
    questions: Sequence[str] | None = None,
    target_role: str | None = None,
    force: bool = False,
    clock: Clock,
) -> JobTicket:
    """Validate, create (or return) the job in one transaction, then enqueue its task."""
    if not video_path and not audio_path:
        raise InvalidArgument.at("videoPath", "give a videoPath, an audioPath or both")
    job_input = JobInput(
        videoPath=(
            check_media_path(video_path, field="videoPath", uid=caller.uid, video=True)
            if video_path
            else None
        ),
        audioPath=(
            check_media_path(audio_path, field="audioPath", uid=caller.uid, video=False)
            if audio_path
            else None
        ),
        questions=[q.strip() for q in questions or [] if q.strip()],
        targetRole=(target_role or "").strip() or None,
    )
    for field, path in (("videoPath", job_input.videoPath), ("audioPath", job_input.audioPath)):
        if path:
            check_stored_media(bucket, path, field=field)

    ref = analysis_ref(db, session_id)
    booking_ref = db.collection(col.EXPERT_SESSIONS).document(session_id)

    @firestore.transactional
    def decide(tx: firestore.Transaction) -> tuple[JobTicket, AnalysisJob | None]:
        booking = booking_ref.get(transaction=tx)
        if booking.exists and (booking.to_dict() or {}).get("userId") != caller.uid:
            raise PermissionDenied("this session belongs to another user")
        snap = ref.get(transaction=tx)
        now = clock.now()
        previous: AnalysisJob | None = None
        if snap.exists:
            data = snap.to_dict() or {}
            if data.get("userId") != caller.uid:
                raise PermissionDenied("this session's analysis belongs to another user")
            previous = AnalysisJob.model_validate(data)
            if not _may_start(previous, force=force, now=now):
                return _ticket(previous, started=False), None
        attempt = previous.attempt + 1 if previous else 1
        job = AnalysisJob(
            sessionId=session_id,
            userId=caller.uid,
            status="queued",
            progress=0.0,
            stage="queued",
            attempt=attempt,
            taskId=task_id_for(session_id, attempt),
            input=job_input,
            requestedAt=now,
            updatedAt=now,
        )
        tx.set(ref, job.model_dump(mode="python", exclude_none=True))
        return _ticket(job, started=True), job

    ticket, job = decide(db.transaction())
    if job is None:
        log("analysis.request.existing", sessionId=session_id, status=ticket.status)
        return ticket
    try:
        queue.enqueue(task_id=job.taskId, payload={"sessionId": session_id, "attempt": job.attempt})
    except Exception as exc:
        log(
            "analysis.enqueue.failed",
            severity="ERROR",
            sessionId=session_id,
            trace=traceback.format_exc(),
        )
        _finish_failed(
            db,
            session_id=session_id,
            attempt=job.attempt,
            error=JobError(
                code=Unavailable.code,
                reason="enqueue_failed",
                message="the analysis could not be started; request it again",
            ),
            clock=clock,
        )
        raise Unavailable("the analysis could not be started; try again") from exc
    log("analysis.request.queued", sessionId=session_id, attempt=job.attempt, taskId=job.taskId)
    return ticket


def _may_start(job: AnalysisJob, *, force: bool, now: datetime) -> bool:
    if job.status in ACTIVE:
        return now - job.updatedAt > STALE_AFTER
    if job.status == "failed" and job.error is not None and job.error.reason == "enqueue_failed":
        return True
    return force


def _ticket(job: AnalysisJob, *, started: bool) -> JobTicket:
    return JobTicket(
        sessionId=job.sessionId, status=job.status, attempt=job.attempt, started=started
    )


# ---- worker -----------------------------------------------------------------------------------


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


def default_analyse(
    *,
    audio_path: Path | None,
    video_path: Path | None,
    questions: Sequence[str],
    target_role: str | None,
    progress: Progress,
) -> AnalysisResult:
    """The real pipeline, with Gemini when GEMINI_API_KEY is configured."""
    from salamin.analysis.service import analyze_media_files
    from salamin.gateways.gemini import GeminiGateway

    return analyze_media_files(
        audio_path=audio_path,
        video_path=video_path,
        questions=questions,
        target_role=target_role,
        gemini=GeminiGateway.from_env(),
        progress=progress,
    )


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
    analyse: Analyse = default_analyse,
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
            _finish_failed(
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
    _finish_failed(
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


def _finish_failed(
    db: firestore.Client, *, session_id: str, attempt: int, error: JobError, clock: Clock
) -> None:
    ref = analysis_ref(db, session_id)

    @firestore.transactional
    def fail(tx: firestore.Transaction) -> None:
        snap = ref.get(transaction=tx)
        if not snap.exists:
            return
        current = AnalysisJob.model_validate(snap.to_dict())
        if current.attempt != attempt or current.status not in ACTIVE:
            return
        now = clock.now()
        tx.update(
            ref,
            {
                "status": "failed",
                "stage": "failed",
                "error": error.model_dump(mode="python", exclude_none=True),
                "updatedAt": now,
                "completedAt": now,
            },
        )

    fail(db.transaction())

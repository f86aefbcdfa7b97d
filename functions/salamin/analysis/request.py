"""Requesting an analysis (the callable side of spec §2.1; rules in `salamin.analysis.jobs`).

Read -> decide -> write: the transaction reads the booking and any earlier job, the pure
`decide_request` says whether to start a new attempt, and only then is the job written and its
task enqueued.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from google.cloud import firestore

from salamin.analysis.jobs import (
    ACTIVE,
    MAX_MEDIA_BYTES,
    RECORDINGS_PREFIX,
    STALE_AFTER,
    TASK_FUNCTION,
    WORKER_TIMEOUT_S,
    JobTicket,
    analysis_ref,
    finish_failed,
    task_id_for,
)
from salamin.analysis.media.audio import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS
from salamin.analysis.media.errors import SilentMedia, UnsupportedMedia
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from salamin.core.log import log
from salamin.gateways.tasks import TaskScheduler
from salamin.models.analysis_job import AnalysisJob, JobError, JobInput


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


def job_input(
    *,
    caller: Caller,
    video_path: str | None,
    audio_path: str | None,
    questions: Sequence[str] | None,
    target_role: str | None,
) -> JobInput:
    """The request's media and context, validated and normalised (pure)."""
    if not video_path and not audio_path:
        raise InvalidArgument.at("videoPath", "give a videoPath, an audioPath or both")
    return JobInput(
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


def decide_request(
    previous: AnalysisJob | None,
    *,
    booked_by: str | None,
    caller: Caller,
    session_id: str,
    job_in: JobInput,
    force: bool,
    now: datetime,
) -> tuple[JobTicket, AnalysisJob | None]:
    """The answer, and the new queued job to write (None: answer with the existing one). Pure.

    `booked_by` is the user of `expertSessions/{sessionId}` when that booking exists: only
    they may analyse it. An existing analysis belongs to whoever first requested it.
    """
    if booked_by is not None and booked_by != caller.uid:
        raise PermissionDenied("this session belongs to another user")
    if previous is not None:
        if previous.userId != caller.uid:
            raise PermissionDenied("this session's analysis belongs to another user")
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
        input=job_in,
        requestedAt=now,
        updatedAt=now,
    )
    return _ticket(job, started=True), job


def request_analysis(
    db: firestore.Client,
    bucket: Any,
    tasks: TaskScheduler,
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
    """Validate, create (or return) the job in one transaction, then enqueue its task.

    Read the booking and the job, `decide_request`, write the queued job; after commit enqueue
    its task (a failed enqueue fails the job, so a new request may start it again).
    """
    job_in = job_input(
        caller=caller,
        video_path=video_path,
        audio_path=audio_path,
        questions=questions,
        target_role=target_role,
    )
    for field, path in (("videoPath", job_in.videoPath), ("audioPath", job_in.audioPath)):
        if path:
            check_stored_media(bucket, path, field=field)
    ref = analysis_ref(db, session_id)
    booking_ref = db.collection(col.EXPERT_SESSIONS).document(session_id)

    @firestore.transactional
    def decide(tx: firestore.Transaction) -> tuple[JobTicket, AnalysisJob | None]:
        booking = booking_ref.get(transaction=tx)
        snap = ref.get(transaction=tx)
        ticket, job = decide_request(
            AnalysisJob.model_validate(snap.to_dict()) if snap.exists else None,
            booked_by=(booking.to_dict() or {}).get("userId") if booking.exists else None,
            caller=caller,
            session_id=session_id,
            job_in=job_in,
            force=force,
            now=clock.now(),
        )
        if job is not None:
            tx.set(ref, job.model_dump(mode="python", exclude_none=True))
        return ticket, job

    ticket, job = decide(db.transaction())
    if job is None:
        log("analysis.request.existing", sessionId=session_id, status=ticket.status)
        return ticket
    try:
        tasks.enqueue(
            queue=TASK_FUNCTION,
            task_id=job.taskId,
            payload={"sessionId": session_id, "attempt": job.attempt},
            dispatch_deadline_s=WORKER_TIMEOUT_S,
        )
    except Exception as exc:
        log(
            "analysis.enqueue.failed",
            severity="ERROR",
            sessionId=session_id,
            trace=traceback.format_exc(),
        )
        finish_failed(
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

"""The pure parts of requesting an analysis: the job input and whether to start an attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.analysis import jobs
from salamin.analysis.request import decide_request, job_input
from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, PermissionDenied
from salamin.models.analysis_job import AnalysisJob, JobError, JobInput

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = Caller(uid="alice-uid")
BOB = Caller(uid="bob-uid")
AUDIO = f"recordings/{ALICE.uid}/answer.wav"
INPUT = JobInput(audioPath=AUDIO)


def _job(status: str = "complete", *, attempt: int = 1, **extra: object) -> AnalysisJob:
    return AnalysisJob.model_validate(
        {
            "sessionId": "sess-1",
            "userId": ALICE.uid,
            "status": status,
            "progress": 1.0 if status == "complete" else 0.0,
            "stage": status,
            "attempt": attempt,
            "taskId": jobs.task_id_for("sess-1", attempt),
            "input": INPUT,
            "requestedAt": T0,
            "updatedAt": T0,
            **extra,
        }
    )


def _decide(previous: AnalysisJob | None, *, caller: Caller = ALICE, **kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {"booked_by": None, "force": False, "now": T0 + timedelta(minutes=1)}
    args.update(kw)
    return decide_request(
        previous,
        caller=caller,
        session_id="sess-1",
        job_in=INPUT,
        **args,  # type: ignore[arg-type]
    )


def test_a_first_request_queues_attempt_one() -> None:
    ticket, job = _decide(None)
    assert job is not None and (job.status, job.attempt, job.taskId) == (
        "queued",
        1,
        "sess-1-analysis-1",
    )
    assert (ticket.status, ticket.started) == ("queued", True)


def test_an_active_job_is_returned_even_with_force() -> None:
    ticket, job = _decide(_job("processing"), force=True)
    assert job is None and (ticket.status, ticket.started) == ("processing", False)


def test_a_stale_active_job_restarts_without_force() -> None:
    later = T0 + jobs.STALE_AFTER + timedelta(seconds=1)
    _, job = _decide(_job("queued"), now=later)
    assert job is not None and job.attempt == 2


def test_a_finished_job_restarts_only_with_force() -> None:
    assert _decide(_job("complete"))[1] is None
    _, job = _decide(_job("complete", attempt=3), force=True)
    assert job is not None and job.attempt == 4


def test_a_failed_enqueue_may_be_retried_without_force() -> None:
    failed = _job(
        "failed",
        error=JobError(code="unavailable", reason="enqueue_failed", message="try again"),
    )
    assert _decide(failed)[1] is not None


def test_someone_elses_analysis_or_booking_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        _decide(_job("complete"), caller=BOB)
    with pytest.raises(PermissionDenied):
        _decide(None, booked_by=BOB.uid)
    assert _decide(None, booked_by=ALICE.uid)[1] is not None


def test_the_job_input_is_normalised() -> None:
    got = job_input(
        caller=ALICE,
        video_path=None,
        audio_path=AUDIO,
        questions=[" Why us? ", "", "  "],
        target_role="  ",
    )
    assert got == JobInput(audioPath=AUDIO, questions=["Why us?"], targetRole=None)
    with pytest.raises(InvalidArgument):
        job_input(caller=ALICE, video_path=None, audio_path=None, questions=None, target_role=None)
    with pytest.raises(PermissionDenied):  # media lies in the caller's own folder only
        job_input(
            caller=ALICE,
            video_path=None,
            audio_path=f"recordings/{BOB.uid}/answer.wav",
            questions=None,
            target_role=None,
        )

"""Analysis jobs against the Firestore and Storage emulators: request rules and the worker.

The worker runs in-process here (the Functions and Tasks emulators are exercised by
tests/e2e/test_analysis_journey.py). Bad-media cases use the real pipeline, which rejects them
while decoding, before any model loads; the other cases inject a fast `analyse` that builds the
real analysis from a synthetic measurement.
"""

from __future__ import annotations

import io
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from salamin.analysis import jobs, service, worker
from salamin.analysis.request import request_analysis
from salamin.analysis.service import AnalysisResult, Progress
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.core.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from tests.analysis.synthetic import measurement

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PIPELINE = worker.pipeline_analyse(None)
"""The real pipeline without Gemini: bad media is rejected while decoding."""
ALICE = Caller(uid="alice-uid", email="alice@example.com")
BOB = Caller(uid="bob-uid", email="bob@example.com")


class Queue:
    """Records enqueued tasks; `fail` makes the next enqueue raise."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, dict[str, Any]]] = []
        self.fail = False

    def enqueue(
        self,
        *,
        queue: str,
        task_id: str,
        payload: dict[str, Any],
        schedule_time: datetime | None = None,
        dispatch_deadline_s: int | None = None,
    ) -> None:
        assert (queue, dispatch_deadline_s) == (jobs.TASK_FUNCTION, jobs.WORKER_TIMEOUT_S)
        if self.fail:
            self.fail = False
            raise RuntimeError("tasks API down")
        self.tasks.append((task_id, payload))

    def delete(self, *, queue: str, task_id: str) -> None:
        raise AssertionError("analysis never deletes a task")


class FakeAnalyse:
    """Builds the real analysis from a synthetic measurement; records what it was given."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def __call__(
        self,
        *,
        audio_path: Path | None,
        video_path: Path | None,
        questions: Any,
        target_role: str | None,
        progress: Progress,
    ) -> AnalysisResult:
        self.calls.append(
            {
                "audio": audio_path.read_bytes() if audio_path else None,
                "video": video_path.read_bytes() if video_path else None,
                "questions": list(questions),
                "targetRole": target_role,
            }
        )
        progress(0.5, "measuring")
        if self.error is not None:
            raise self.error
        return service.build_analysis(measurement(video=video_path is not None))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def queue() -> Queue:
    return Queue()


def wav_bytes(seconds: float = 1.0, *, amplitude: int = 0) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        frames = int(seconds * 16000)
        sample = int(amplitude).to_bytes(2, "little", signed=True)
        w.writeframes(sample * frames)
    return buf.getvalue()


def upload(bucket: Any, path: str, data: bytes, content_type: str = "audio/wav") -> str:
    bucket.blob(path).upload_from_string(data, content_type=content_type)
    return path


def request(db: Any, bucket: Any, queue: Queue, clock: FixedClock, **kw: Any) -> jobs.JobTicket:
    args: dict[str, Any] = {"caller": ALICE, "session_id": "sess-1", "clock": clock}
    args.update(kw)
    return request_analysis(db, bucket, queue, **args)


def doc(db: Any, session_id: str = "sess-1") -> dict[str, Any] | None:
    return jobs.analysis_ref(db, session_id).get().to_dict()


def stats(db: Any, uid: str = ALICE.uid) -> dict[str, Any] | None:
    return db.document(f"users/{uid}/statistics/current").get().to_dict()


AUDIO = f"recordings/{ALICE.uid}/answer.wav"


# ---- request ------------------------------------------------------------------------------------


def test_request_creates_a_queued_job_and_enqueues_one_task(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    ticket = request(
        db, bucket, queue, clock, audio_path=AUDIO, questions=[" Why us? ", ""], target_role="SRE"
    )
    assert (ticket.status, ticket.attempt, ticket.started) == ("queued", 1, True)
    assert queue.tasks == [("sess-1-analysis-1", {"sessionId": "sess-1", "attempt": 1})]
    job = doc(db)
    assert job is not None
    assert job["userId"] == ALICE.uid and job["status"] == "queued" and job["progress"] == 0.0
    assert job["input"] == {"audioPath": AUDIO, "questions": ["Why us?"], "targetRole": "SRE"}
    assert job["requestedAt"] == T0


def test_repeat_request_while_queued_or_processing_starts_nothing(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    again = request(db, bucket, queue, clock, audio_path=AUDIO, force=True)
    assert (again.status, again.attempt, again.started) == ("queued", 1, False)
    jobs.analysis_ref(db, "sess-1").update({"status": "processing"})
    third = request(db, bucket, queue, clock, audio_path=AUDIO)
    assert (third.status, third.started) == ("processing", False)
    assert len(queue.tasks) == 1


def test_a_stale_job_may_be_restarted(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    clock.advance(jobs.STALE_AFTER + timedelta(seconds=1))
    ticket = request(db, bucket, queue, clock, audio_path=AUDIO)
    assert (ticket.attempt, ticket.started) == (2, True)
    assert [t for t, _ in queue.tasks] == ["sess-1-analysis-1", "sess-1-analysis-2"]


@pytest.mark.parametrize(
    ("path", "error", "field"),
    [
        (f"recordings/{BOB.uid}/answer.wav", PermissionDenied, "another user's folder"),
        ("expert-documents/x/identity/a.wav", PermissionDenied, "directly in recordings"),
        (f"recordings/{ALICE.uid}/sub/answer.wav", PermissionDenied, "directly in recordings"),
        (f"recordings/{ALICE.uid}/../{BOB.uid}/a.wav", InvalidArgument, "Storage path"),
        (f"/recordings/{ALICE.uid}/answer.wav", InvalidArgument, "Storage path"),
        (f"recordings/{ALICE.uid}/notes.txt", InvalidArgument, "unsupported file type .txt"),
    ],
)
def test_paths_outside_the_callers_folder_are_refused(  # type: ignore[no-untyped-def]
    db, bucket, queue, clock, path, error, field
) -> None:
    with pytest.raises(error) as exc:
        request(db, bucket, queue, clock, audio_path=path)
    assert field in exc.value.message
    assert doc(db) is None and queue.tasks == []


def test_a_video_path_must_be_a_video_container(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as exc:
        request(db, bucket, queue, clock, video_path=AUDIO)
    assert exc.value.fields[0]["path"] == "videoPath"
    assert doc(db) is None


def test_missing_empty_or_mistyped_files_are_refused(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        request(db, bucket, queue, clock, audio_path=AUDIO)
    upload(bucket, AUDIO, b"")
    with pytest.raises(InvalidArgument, match="empty"):
        request(db, bucket, queue, clock, audio_path=AUDIO)
    upload(bucket, AUDIO, wav_bytes(), content_type="text/plain")
    with pytest.raises(InvalidArgument, match="not audio or video"):
        request(db, bucket, queue, clock, audio_path=AUDIO)
    with pytest.raises(InvalidArgument):
        request(db, bucket, queue, clock)
    assert doc(db) is None and queue.tasks == []


def test_someone_elses_session_is_refused(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, f"recordings/{BOB.uid}/b.wav", wav_bytes())
    request(db, bucket, queue, clock, caller=BOB, audio_path=f"recordings/{BOB.uid}/b.wav")
    upload(bucket, AUDIO, wav_bytes())
    with pytest.raises(PermissionDenied):
        request(db, bucket, queue, clock, audio_path=AUDIO)
    booked = db.collection("expertSessions").document("booked-1")
    booked.set({"userId": BOB.uid, "expertId": "exp-1"})
    with pytest.raises(PermissionDenied):
        request(db, bucket, queue, clock, session_id="booked-1", audio_path=AUDIO)
    assert doc(db, "booked-1") is None
    assert doc(db)["userId"] == BOB.uid  # type: ignore[index]
    assert len(queue.tasks) == 1


def test_the_booked_user_may_analyse_their_session(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    db.collection("expertSessions").document("booked-2").set({"userId": ALICE.uid})
    upload(bucket, AUDIO, wav_bytes())
    ticket = request(db, bucket, queue, clock, session_id="booked-2", audio_path=AUDIO)
    assert ticket.started


def test_enqueue_failure_marks_the_job_failed_and_a_retry_restarts_it(  # type: ignore[no-untyped-def]
    db, bucket, queue, clock
) -> None:
    upload(bucket, AUDIO, wav_bytes())
    queue.fail = True
    with pytest.raises(Unavailable):
        request(db, bucket, queue, clock, audio_path=AUDIO)
    failed = doc(db)
    assert failed is not None and failed["status"] == "failed"
    assert failed["error"]["reason"] == "enqueue_failed"
    ticket = request(db, bucket, queue, clock, audio_path=AUDIO)
    assert (ticket.status, ticket.attempt, ticket.started) == ("queued", 2, True)
    assert queue.tasks == [("sess-1-analysis-2", {"sessionId": "sess-1", "attempt": 2})]


# ---- worker -------------------------------------------------------------------------------------


def test_worker_completes_the_job_and_counts_it_once(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    video = upload(bucket, f"recordings/{ALICE.uid}/v.mp4", b"video-bytes", "video/mp4")
    upload(bucket, AUDIO, wav_bytes())
    request(
        db,
        bucket,
        queue,
        clock,
        audio_path=AUDIO,
        video_path=video,
        questions=["Why us?"],
        target_role="SRE",
    )
    [(_, payload)] = queue.tasks
    analyse = FakeAnalyse()
    clock.advance(timedelta(minutes=2))

    assert worker.run_job(db, bucket, payload=payload, clock=clock, analyse=analyse) == "complete"

    [call] = analyse.calls
    assert call["video"] == b"video-bytes" and call["audio"] == wav_bytes()
    assert (call["questions"], call["targetRole"]) == (["Why us?"], "SRE")
    job = doc(db)
    assert job is not None
    assert (job["status"], job["progress"], job["stage"], job["runs"]) == (
        "complete",
        1.0,
        "complete",
        1,
    )
    assert job["analysisType"] == "combined" and job["createdAt"] == clock.now()
    assert job["metrics"]["verbal"]["speakingPace"]["averageWPM"] == 142.0
    assert job["metrics"]["nonVerbal"]["eyeContact"]["percentage"] == 72.0
    assert "score" not in job["metrics"]["nonVerbal"]["facialExpressions"]
    assert job["sources"]["fallbackReasons"]["content"] == "not_configured"
    assert 5 <= len(job["recommendations"]) <= 7
    assert job["measurement"]["signalQuality"]["snrDb"] == 24.0
    evidence = bucket.blob(job["evidencePath"]).download_as_bytes()
    assert b'"facePresence"' in evidence and b'"fillers"' in evidence
    assert stats(db) == {"lastAdvancedAnalysis": clock.now(), "totalAdvancedAnalyses": 1}

    # a redelivered task (Cloud Tasks retries at least once) changes nothing
    clock.advance(timedelta(minutes=1))
    assert worker.run_job(db, bucket, payload=payload, clock=clock, analyse=analyse) == "skipped"
    assert len(analyse.calls) == 1
    assert stats(db)["totalAdvancedAnalyses"] == 1  # type: ignore[index]

    # a forced re-run is a new job: old result cleared while it runs, counted when it completes
    ticket = request(db, bucket, queue, clock, audio_path=AUDIO, force=True)
    assert (ticket.attempt, ticket.started) == (2, True)
    rerun = doc(db)
    assert rerun is not None and "metrics" not in rerun and rerun["status"] == "queued"
    assert (
        worker.run_job(db, bucket, payload=queue.tasks[-1][1], clock=clock, analyse=analyse)
        == "complete"
    )
    assert stats(db)["totalAdvancedAnalyses"] == 2  # type: ignore[index]


def test_a_complete_job_is_returned_as_it_is_without_force(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    worker.run_job(db, bucket, payload=queue.tasks[0][1], clock=clock, analyse=FakeAnalyse())
    ticket = request(db, bucket, queue, clock, audio_path=AUDIO)
    assert (ticket.status, ticket.started) == ("complete", False)
    assert len(queue.tasks) == 1


def test_a_task_for_an_older_attempt_is_ignored(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    clock.advance(jobs.STALE_AFTER + timedelta(seconds=1))
    request(db, bucket, queue, clock, audio_path=AUDIO)
    analyse = FakeAnalyse()
    stale = {"sessionId": "sess-1", "attempt": 1}
    assert worker.run_job(db, bucket, payload=stale, clock=clock, analyse=analyse) == "skipped"
    assert worker.run_job(db, bucket, payload={"bad": 1}, clock=clock, analyse=analyse) == "skipped"
    assert analyse.calls == [] and doc(db)["status"] == "queued"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "name", "reason", "field"),
    [
        (b"RIFF\x00\x00garbage" * 50, "answer.wav", "corrupt_media", "audio"),
        (wav_bytes(3.0), "answer.wav", "silent_media", "audio"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "answer.wav", "unsupported_media", "audio"),
    ],
)
def test_bad_media_fails_the_job_with_its_reason_and_writes_no_result(  # type: ignore[no-untyped-def]
    db, bucket, queue, clock, data, name, reason, field
) -> None:
    path = upload(bucket, f"recordings/{ALICE.uid}/{name}", data)
    request(db, bucket, queue, clock, audio_path=path)
    outcome = worker.run_job(db, bucket, payload=queue.tasks[0][1], clock=clock, analyse=PIPELINE)
    assert outcome == "failed"
    job = doc(db)
    assert job is not None and job["status"] == "failed"
    assert job["error"]["reason"] == reason and job["error"]["field"] == field
    assert job["error"]["code"] == "invalid-argument"
    assert "/" not in job["error"]["message"]  # no server paths
    assert not {"metrics", "insights", "recommendations", "confidenceScores"} & job.keys()
    assert stats(db) is None
    assert bucket.get_blob(jobs.evidence_path(ALICE.uid, "sess-1")) is None


def test_a_file_deleted_before_the_worker_runs_fails_the_job(db, bucket, queue, clock) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    bucket.blob(AUDIO).delete()
    assert (
        worker.run_job(db, bucket, payload=queue.tasks[0][1], clock=clock, analyse=PIPELINE)
        == "failed"
    )
    assert doc(db)["error"]["reason"] == "media_not_found"  # type: ignore[index]


def test_unexpected_errors_are_retried_then_fail_without_internals(
    db, bucket, queue, clock
) -> None:  # type: ignore[no-untyped-def]
    upload(bucket, AUDIO, wav_bytes())
    request(db, bucket, queue, clock, audio_path=AUDIO)
    payload = queue.tasks[0][1]
    analyse = FakeAnalyse(error=RuntimeError("secret internals at /srv/x"))
    for _ in range(jobs.MAX_ATTEMPTS - 1):
        with pytest.raises(RuntimeError):
            worker.run_job(db, bucket, payload=payload, clock=clock, analyse=analyse)
        job = doc(db)
        assert job is not None and job["status"] == "processing"
        assert job["stage"] == "retrying after an internal error"
    assert worker.run_job(db, bucket, payload=payload, clock=clock, analyse=analyse) == "failed"
    job = doc(db)
    assert job is not None and job["status"] == "failed" and job["runs"] == jobs.MAX_ATTEMPTS
    assert job["error"]["reason"] == "internal"
    assert "internals" not in job["error"]["message"] and "incident" in job["error"]["message"]
    assert "metrics" not in job and stats(db) is None


def test_progress_writes_are_throttled_and_never_go_back(db, clock) -> None:  # type: ignore[no-untyped-def]
    ref = jobs.analysis_ref(db, "p-1")
    ref.set({"progress": 0.0, "stage": "queued"})
    now = [0.0]
    writer = worker.ProgressWriter(ref, clock=clock, min_interval_s=2.0, monotonic=lambda: now[0])
    writer(0.1, "decoding")
    writer(0.2, "transcribing")  # too soon
    now[0] = 2.5
    writer(0.05, "earlier stage")  # never backwards
    writer(0.3, "transcribing")
    now[0] = 10.0
    writer(1.0, "done")  # capped below 1 until the result is written
    assert writer.writes == 3
    data = ref.get().to_dict()
    assert data is not None and data["progress"] == jobs.FINAL_SHARE
    assert data["stage"] == "done"

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

The request side is `salamin.analysis.request`, the worker `salamin.analysis.worker`; the job
document is `salamin.models.analysis_job.AnalysisJob`. The media pipeline is imported only
inside the worker, so importing these modules is cheap.
"""

from __future__ import annotations

from datetime import timedelta

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.clock import Clock
from salamin.models.analysis_job import AnalysisJob, JobError, JobStatus
from salamin.models.base import SalaminModel

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

ACTIVE: frozenset[str] = frozenset({"queued", "processing"})
"""Job states that still have a worker coming."""


class JobTicket(SalaminModel):
    """What a request answers: the job's state, and whether this request started it."""

    sessionId: str
    status: JobStatus
    attempt: int
    started: bool
    """True when this request created a new attempt (and enqueued its task)."""


def task_id_for(session_id: str, attempt: int) -> str:
    """Deterministic; starts with the session id, as Cloud Tasks recommends for spread."""
    return f"{session_id}-analysis-{attempt}"


def analysis_ref(db: firestore.Client, session_id: str) -> firestore.DocumentReference:
    return db.collection(col.ADVANCED_ANALYSES).document(session_id)


def evidence_path(uid: str, session_id: str) -> str:
    return f"{EVIDENCE_PREFIX}/{uid}/{session_id}/evidence.json"


def finish_failed(
    db: firestore.Client, *, session_id: str, attempt: int, error: JobError, clock: Clock
) -> None:
    """Mark the attempt failed with a client-safe error, unless it has moved on meanwhile."""
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

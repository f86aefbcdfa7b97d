"""Building analyses and profiles for benchmark tests, in the stored shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def put_profile(
    db: firestore.Client,
    uid: str,
    *,
    industry: str | None = "Tech",
    roles: list[str] | None = None,
    years: float | None = 3,
    demo: bool = False,
) -> None:
    doc: dict[str, Any] = {"targetRoles": roles if roles is not None else ["Backend Engineer"]}
    if industry is not None:
        doc["industry"] = industry
    if years is not None:
        doc["yearsOfExperience"] = years
    if demo:
        doc["demoData"] = True
    db.document(col.user_profile_path(uid)).set(doc)


def metrics_doc(
    readiness: float | None = None,
    *,
    wpm: float | None = None,
    filler_frequency: float | None = None,
    pace_score: float | None = None,
    eye_contact: float | None = None,
    storytelling: float | None = None,
) -> dict[str, Any]:
    """A stored `metrics` map with only the given numbers (absent ones stay absent)."""
    verbal: dict[str, Any] = {}
    if wpm is not None or pace_score is not None:
        verbal["speakingPace"] = {"source": "measured"}
        if wpm is not None:
            verbal["speakingPace"]["averageWPM"] = wpm
        if pace_score is not None:
            verbal["speakingPace"]["score"] = pace_score
    if filler_frequency is not None:
        verbal["fillerWords"] = {"source": "measured", "frequency": filler_frequency}
    doc: dict[str, Any] = {"overall": {}}
    if verbal:
        doc["verbal"] = verbal
    if eye_contact is not None:
        doc["nonVerbal"] = {"eyeContact": {"source": "measured", "score": eye_contact}}
    if storytelling is not None:
        doc["content"] = {"storytelling": {"source": "model", "score": storytelling}}
    if readiness is not None:
        doc["overall"]["interviewReadiness"] = readiness
    return doc


def analysis_doc(
    uid: str, metrics: dict[str, Any], *, at: datetime = T0, status: str = "complete"
) -> dict[str, Any]:
    return {
        "sessionId": "x",
        "userId": uid,
        "status": status,
        "metrics": metrics,
        "createdAt": at - timedelta(minutes=5),
        "completedAt": at,
    }


def put_analysis(
    db: firestore.Client, analysis_id: str, uid: str, metrics: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    doc = analysis_doc(uid, metrics, **kw)
    db.collection(col.ADVANCED_ANALYSES).document(analysis_id).set(doc)
    return doc


class Lab:
    """Analyses kept in memory and folded directly, so the deployed trigger (which watches
    advancedAnalyses in the Functions emulator) does not race the test's own folds."""

    def __init__(self, db: firestore.Client, *, clock: Any) -> None:
        self.db = db
        self.clock = clock
        self.docs: dict[str, dict[str, Any]] = {}

    def add(self, analysis_id: str, uid: str, metrics: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self.docs[analysis_id] = analysis_doc(uid, metrics, **kw)
        return self.docs[analysis_id]

    def fold(self, analysis_id: str) -> Any:
        from salamin.benchmarks import fold

        return fold.fold_analysis(
            self.db, analysis_id=analysis_id, data=self.docs[analysis_id], clock=self.clock
        )

    def fold_all(self, ids: list[str] | None = None) -> set[str]:
        from salamin.benchmarks.publish import compact

        keys: set[str] = set()
        for analysis_id in ids if ids is not None else list(self.docs):
            keys |= self.fold(analysis_id).touched
        for key in sorted(keys):
            compact(self.db, key, clock=self.clock)
        return keys

    def store(self) -> None:
        """Write the documents to advancedAnalyses (fires the deployed trigger)."""
        batch = self.db.batch()
        for analysis_id, doc in self.docs.items():
            batch.set(self.db.collection(col.ADVANCED_ANALYSES).document(analysis_id), doc)
        batch.commit()


def wait_for_trigger(db: firestore.Client, ids: list[str], *, timeout_s: float = 120) -> None:
    """Until the deployed trigger has written `benchmarks` into every one of these analyses."""
    import time

    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        refs = [db.collection(col.ADVANCED_ANALYSES).document(i) for i in pending]
        for snap in db.get_all(refs):
            if (snap.to_dict() or {}).get("benchmarks"):
                pending.discard(snap.id)
        if pending:
            time.sleep(0.5)
    if pending:
        raise AssertionError(f"trigger did not process {len(pending)} analyses in {timeout_s}s")

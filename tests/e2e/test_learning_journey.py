"""A learning path end to end, through the Functions emulator: a candidate's completed analyses
become mastery evidence (deployed trigger), `generatePersonalizedPath` builds a path whose
objectives carry the measured scores and whose first module addresses the weakest
competency, a low score adapts it with a logged reason, and `recommendNextActivity` names the
next incomplete activity."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from tests.benchmarks.support import analysis_doc
from tests.support.documents import check_stored
from tests.support.emulators import AuthEmulator, CallableError, FirestoreRest, call, unsigned_token
from tests.support.users import make_user


def metrics(fillers: float, structure: float, eye: float) -> dict[str, Any]:
    return {
        "verbal": {"fillerWords": {"source": "measured", "score": fillers}},
        "content": {"structureClarity": {"source": "model", "score": structure}},
        "nonVerbal": {"eyeContact": {"source": "measured", "score": eye}},
        "overall": {"interviewReadiness": round((fillers + structure + eye) / 3, 1)},
    }


def wait_for_evidence(db: Any, uid: str, count: int) -> dict[str, Any]:
    ref = db.collection(col.USERS).document(uid).collection(col.USER_LEARNING).document("skills")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        data = ref.get().to_dict() or {}
        if len(data.get("appliedEvidence") or []) >= count:
            return data
        time.sleep(0.5)
    raise AssertionError("analysis evidence not recorded by the trigger within 60 s")


def test_analyses_to_path_to_adaptation(emulators, db) -> None:  # type: ignore[no-untyped-def]
    ep = emulators.endpoints
    auth = AuthEmulator(ep)
    alice = make_user(auth, "alice@example.com")
    now = datetime.now(UTC)
    for i, (f, s, e) in enumerate(((20, 75, 85), (24, 80, 88))):
        doc = analysis_doc(alice.uid, metrics(f, s, e), at=now + timedelta(minutes=i))
        db.collection(col.ADVANCED_ANALYSES).document(f"alice-{i}").set(doc)
    skills = wait_for_evidence(db, alice.uid, 2)
    assert set(skills["competencies"]) == {"filler_words", "structure", "eye_contact"}

    request = {
        "goalType": "job_interview",
        "targetRole": "Sales Executive",
        "timeframe": 6,
        "currentLevel": "beginner",
    }
    path = call(ep, "generatePersonalizedPath", {"pathRequest": request}, token=alice.id_token)
    first = path["modules"][0]
    assert first["competency"] == "filler_words"  # weakest measured, high importance for sales
    objectives = {o["category"]: o for o in path["objectives"]}
    assert objectives["filler_words"]["currentScore"] < 35
    assert (
        path["skillAnalysis"]["mastery"]["filler_words"]
        == objectives["filler_words"]["currentScore"]
    )

    activity = first["learningActivities"][0]
    progress = {
        "activityId": activity["activityId"],
        "timeSpent": 20,
        "score": 45,
        "strugglingArea": "filler words",
    }
    result = call(
        ep,
        "trackProgress",
        {"pathId": path["pathId"], "activityId": activity["activityId"], "progressData": progress},
        token=alice.id_token,
    )
    assert "recommend_additional_practice" in result["adaptations"]
    stored = db.collection(col.LEARNING_PATHS).document(path["pathId"]).get().to_dict()
    log = [e for e in stored["adaptationLog"] if e["action"] == "recommend_additional_practice"]
    assert log and log[0]["context"]["score"] == 45 and log[0]["after"]["area"] == "filler_words"
    assert len(stored["modules"][0]["learningActivities"]) == len(first["learningActivities"]) + 2

    nxt = call(ep, "recommendNextActivity", {"pathId": path["pathId"]}, token=alice.id_token)
    assert (
        nxt["activity"]["activityId"] == activity["activityId"]
    )  # a score of 45 did not complete it
    assert nxt["reasoningSource"] == "template"

    # A newer analysis is evidence for the existing path too.
    db.collection(col.ADVANCED_ANALYSES).document("alice-2").set(
        analysis_doc(alice.uid, metrics(70, 80, 88), at=now + timedelta(minutes=5))
    )
    wait_for_evidence(db, alice.uid, 3)
    ref = db.collection(col.LEARNING_PATHS).document(path["pathId"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = {o["category"]: o.get("currentScore") for o in ref.get().to_dict()["objectives"]}
        if current["filler_words"] != objectives["filler_words"]["currentScore"]:
            break
        time.sleep(0.5)
    assert current["filler_words"] > objectives["filler_words"]["currentScore"]
    check_stored(db, ref.path)  # the stored path and mastery match the client's document types
    check_stored(db, f"{col.USERS}/{alice.uid}/{col.USER_LEARNING}/skills")

    bob = make_user(auth, "bob@example.com")
    with pytest.raises(CallableError) as theirs:
        call(ep, "recommendNextActivity", {"pathId": path["pathId"]}, token=bob.id_token)
    assert theirs.value.code == "permission-denied"
    rest = FirestoreRest(ep)
    assert rest.get(f"learningPaths/{path['pathId']}", unsigned_token(bob.uid)) == 403
    assert rest.get(f"learningPaths/{path['pathId']}", unsigned_token(alice.uid)) == 200

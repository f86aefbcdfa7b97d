"""Learning paths in firestore.rules, read as the owner and as a stranger: a path, its
notifications and mastery estimates are the owner's only; progress events are nobody's;
clients write nothing."""

from __future__ import annotations

import pytest

from salamin.core import collections as col
from tests.support.emulators import FirestoreRest, unsigned_token

OWNER = "learner-uid"
TOKENS = {
    "anonymous": None,
    "owner": unsigned_token(OWNER),
    "stranger": unsigned_token("stranger-uid"),
}


@pytest.fixture
def rest(db, emulators) -> FirestoreRest:  # type: ignore[no-untyped-def]
    path = db.collection(col.LEARNING_PATHS).document("p1")
    path.set({"pathId": "p1", "userId": OWNER})
    path.collection(col.PATH_EVENTS).document("e1").set({"applied": True})
    user = db.collection(col.USERS).document(OWNER)
    user.collection(col.USER_NOTIFICATIONS).document("n1").set({"title": "done"})
    user.collection(col.USER_LEARNING).document("skills").set({"competencies": {}})
    return FirestoreRest(emulators.endpoints)


READS = [
    ("learningPaths/p1", {"anonymous": 403, "owner": 200, "stranger": 403}),
    ("learningPaths/p1/events/e1", {"anonymous": 403, "owner": 403, "stranger": 403}),
    (f"users/{OWNER}/notifications/n1", {"anonymous": 403, "owner": 200, "stranger": 403}),
    (f"users/{OWNER}/learning/skills", {"anonymous": 403, "owner": 200, "stranger": 403}),
]


@pytest.mark.parametrize(("path", "expected"), READS, ids=[r[0] for r in READS])
def test_learning_read_matrix(rest, path, expected) -> None:  # type: ignore[no-untyped-def]
    assert {who: rest.get(path, token) for who, token in TOKENS.items()} == expected


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_clients_cannot_write_progress_or_paths(rest, who) -> None:  # type: ignore[no-untyped-def]
    token = TOKENS[who]
    assert rest.patch("learningPaths/p1", {"userId": "stranger-uid"}, token) == 403
    assert rest.create("learningPaths/p1/events/e2", {"applied": True}, token) == 403
    assert rest.patch(f"users/{OWNER}/learning/skills", {"competencies": {}}, token) == 403
    assert rest.create(f"users/{OWNER}/notifications/n2", {"title": "x"}, token) == 403

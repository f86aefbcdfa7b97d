"""Benchmarks in firestore.rules, as a client sees them: the published industry benchmark is
readable by signed-in users; counters, contributions and cohort summaries by nobody; a saved
personalised benchmark only by its owner; clients write nothing."""

from __future__ import annotations

import pytest

from salamin.core import collections as col
from tests.support.emulators import FirestoreRest, unsigned_token

OWNER = "owner-uid"
TOKENS = {
    "anonymous": None,
    "owner": unsigned_token(OWNER),
    "stranger": unsigned_token("stranger-uid"),
    "admin": unsigned_token("admin-uid", admin=True),
}


@pytest.fixture
def rest(db, emulators) -> FirestoreRest:  # type: ignore[no-untyped-def]
    db.collection(col.INDUSTRY_BENCHMARKS).document("technology").set(
        {"industry": "technology", "sampleSize": 40}
    )
    db.collection(col.BENCHMARK_SHARDS).document("industry=technology#3").set(
        {"people": 4, "seq": 4}
    )
    db.collection(col.BENCHMARK_COHORTS).document("industry=technology").set({"people": 40})
    db.collection(col.BENCHMARK_CONTRIBUTIONS).document(OWNER).set(
        {"current": {"values": {"x": 1}}}
    )
    db.collection(col.USERS).document(OWNER).collection(col.USER_BENCHMARKS).document("b1").set(
        {"userId": OWNER}
    )
    return FirestoreRest(emulators.endpoints)


READS = [
    (
        "industryBenchmarks/technology",
        {"anonymous": 403, "owner": 200, "stranger": 200, "admin": 200},
    ),
    (
        "benchmarkShards/industry=technology%233",
        {"anonymous": 403, "owner": 403, "stranger": 403, "admin": 403},
    ),
    (
        "benchmarkCohorts/industry=technology",
        {"anonymous": 403, "owner": 403, "stranger": 403, "admin": 403},
    ),
    (
        f"benchmarkContributions/{OWNER}",
        {"anonymous": 403, "owner": 403, "stranger": 403, "admin": 403},
    ),
    (
        f"users/{OWNER}/benchmarks/b1",
        {"anonymous": 403, "owner": 200, "stranger": 403, "admin": 403},
    ),
]


@pytest.mark.parametrize(("path", "expected"), READS, ids=[r[0] for r in READS])
def test_benchmark_read_matrix(rest, path, expected) -> None:  # type: ignore[no-untyped-def]
    assert {who: rest.get(path, token) for who, token in TOKENS.items()} == expected


def test_a_stranger_cannot_list_the_internals(rest) -> None:  # type: ignore[no-untyped-def]
    for collection in (
        "benchmarkShards",
        "benchmarkCohorts",
        "benchmarkContributions",
        f"users/{OWNER}/benchmarks",
    ):
        assert rest.list(collection, TOKENS["stranger"]) == 403


@pytest.mark.parametrize("who", ["owner", "stranger", "admin"])
def test_clients_write_nothing_here(rest, db, who) -> None:  # type: ignore[no-untyped-def]
    token = TOKENS[who]
    assert rest.patch("industryBenchmarks/technology", {"sampleSize": 1}, token) == 403
    assert rest.create("industryBenchmarks/fake", {"industry": "fake"}, token) == 403
    assert rest.patch("benchmarkShards/industry=technology%233", {"people": 999}, token) == 403
    assert rest.patch(f"benchmarkContributions/{OWNER}", {"current": {}}, token) == 403
    assert rest.create(f"users/{OWNER}/benchmarks/b2", {"userId": OWNER}, token) == 403
    assert (
        db.collection(col.INDUSTRY_BENCHMARKS).document("technology").get().to_dict()["sampleSize"]
        == 40
    )
    assert (
        db.collection(col.BENCHMARK_SHARDS)
        .document("industry=technology#3")
        .get()
        .to_dict()["people"]
        == 4
    )

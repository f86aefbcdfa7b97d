"""Folding analyses into cohorts against the Firestore emulator: exactly once, people not
recordings, absent metrics skipped, and 100 concurrent completions all counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from google.cloud.firestore import FieldFilter

from salamin.benchmarks import fold
from salamin.benchmarks.aggregates import CohortState
from salamin.benchmarks.publish import compact
from salamin.core import collections as col
from salamin.core.clock import FixedClock
from tests.benchmarks.support import T0, Lab, analysis_doc, metrics_doc, put_profile

READY = "overall_interviewReadiness"
WPM = "verbal_speakingPace_averageWPM"
CLOCK = FixedClock(T0)
INDUSTRY = "industry=technology"


@pytest.fixture
def lab(db) -> Lab:  # type: ignore[no-untyped-def]
    return Lab(db, clock=CLOCK)


def state(db, key: str = INDUSTRY) -> CohortState:  # type: ignore[no-untyped-def]
    return CohortState(compact(db, key, clock=CLOCK))


def test_a_replayed_fold_changes_nothing(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "u1")
    lab.add("a1", "u1", metrics_doc(70, wpm=150))
    assert lab.fold("a1").applied
    before = [s.to_dict() for s in db.collection(col.BENCHMARK_SHARDS).stream()]
    for _ in range(3):
        again = lab.fold("a1")
        assert not again.applied and again.reason == "already_folded"
    assert [s.to_dict() for s in db.collection(col.BENCHMARK_SHARDS).stream()] == before
    s = state(db)
    assert s.people == 1 and s.counts(READY).n == 1 and s.counts(WPM).n == 1


def test_a_person_counts_once_by_their_latest_analysis(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "heavy")
    for i in range(50):
        lab.add(f"h{i}", "heavy", metrics_doc(40 + i % 10), at=T0 + timedelta(days=i))
    put_profile(db, "light")
    lab.add("l1", "light", metrics_doc(90))
    for aid in [f"h{i}" for i in range(50)] + ["l1"]:
        lab.fold(aid)
    s = state(db)
    assert s.people == 2
    assert s.counts(READY).buckets == [(49, 1), (90, 1)]  # h49 is the latest: 40 + 9


def test_an_older_analysis_arriving_late_does_not_replace_the_latest(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "u1")
    lab.add("new", "u1", metrics_doc(80), at=T0 + timedelta(days=2))
    lab.add("old", "u1", metrics_doc(30), at=T0)
    lab.fold("new")
    assert lab.fold("old").applied  # recorded (trajectory), but not the cohort value
    assert state(db).counts(READY).buckets == [(80, 1)]


def test_a_reanalysis_replaces_that_persons_contribution(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "u1")
    lab.add("a1", "u1", metrics_doc(50, wpm=120))
    lab.fold("a1")
    lab.add("a1", "u1", metrics_doc(65), at=T0 + timedelta(hours=1))  # re-run, no WPM
    assert lab.fold("a1").applied
    s = state(db)
    assert s.people == 1
    assert s.counts(READY).buckets == [(65, 1)]
    assert s.counts(WPM).n == 0  # absent in the re-run: skipped, not kept, not zero


def test_a_profile_change_moves_the_person_between_cohorts(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "u1", industry="Finance")
    lab.add("a1", "u1", metrics_doc(50))
    lab.fold("a1")
    put_profile(db, "u1", industry="Tech")
    lab.add("a2", "u1", metrics_doc(60), at=T0 + timedelta(days=1))
    lab.fold("a2")
    assert state(db, "industry=finance").people == 0
    assert state(db, "industry=finance").counts(READY).n == 0
    assert state(db, INDUSTRY).counts(READY).buckets == [(60, 1)]
    assert state(db, "global").people == 1


def test_incomplete_or_ownerless_analyses_are_not_folded(db, lab) -> None:  # type: ignore[no-untyped-def]
    for status in ("queued", "processing", "failed"):
        assert fold.facts_of("a", analysis_doc("u1", metrics_doc(50), status=status)) is None
    assert fold.facts_of("a", {"status": "complete", "metrics": {}}) is None
    old_worker = {"userId": "u1", "status": "complete", "metrics": metrics_doc(40), "createdAt": T0}
    facts = fold.facts_of("a", old_worker)
    assert facts is not None and facts.values == {READY: 40.0} and facts.at == T0


def test_trajectory_points_follow_session_numbers(db, lab) -> None:  # type: ignore[no-untyped-def]
    put_profile(db, "u1")
    for i in range(6):
        lab.add(f"a{i}", "u1", metrics_doc(40 + 5 * i), at=T0 + timedelta(weeks=i))
        lab.fold(f"a{i}")
    s = state(db)
    assert s.trajectory("1").buckets == [(40, 1)]
    assert s.trajectory("2-5").buckets == [(60, 1)]  # the latest of sessions 2-5 (a4)
    assert s.trajectory("6-10").buckets == [(65, 1)]
    assert s.trajectory_weeks("6-10") == 5


def test_100_concurrent_completions_in_one_cohort_are_all_counted(db, lab) -> None:  # type: ignore[no-untyped-def]
    for i in range(100):
        put_profile(db, f"c{i}")
        lab.add(f"ca{i}", f"c{i}", metrics_doc(float(i % 101)))

    def one(i: int) -> bool:
        result = lab.fold(f"ca{i}")
        compact(db, INDUSTRY, clock=CLOCK)
        return result.applied

    with ThreadPoolExecutor(max_workers=100) as pool:
        applied = list(pool.map(one, range(100)))
    assert all(applied)
    s = CohortState(db.collection(col.BENCHMARK_COHORTS).document(INDUSTRY).get().to_dict())
    assert s.people == 100
    assert s.counts(READY).n == 100
    assert sum(c for _, c in s.counts(READY).buckets) == 100
    shards = list(
        db.collection(col.BENCHMARK_SHARDS)
        .where(filter=FieldFilter("cohort", "==", INDUSTRY))
        .stream()
    )
    assert 1 < len(shards) <= fold.SHARDS

"""Feedback: the candidate rates once after completion; the expert writes their part; the
expert's rating counters move in the same transaction and never lose a concurrent rating."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from salamin.core.caller import Caller
from salamin.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from salamin.marketplace.booking import feedback, lifecycle
from salamin.marketplace.booking.performance import performance_rating
from salamin.models.session import ExpertFeedback, UserFeedback
from tests.support.booking import EXPERT, USER, USER2, World

EXPERT_CALLER = Caller(uid=EXPERT, email="ada@example.com")


def _rating(stars: int, recommend: bool = True) -> UserFeedback:
    return UserFeedback.model_validate(
        {
            "rating": stars,
            "feedback": "Sharp questions, useful notes.",
            "categories": {
                "preparation": stars,
                "communication": 5,
                "expertise": 4,
                "helpfulness": stars,
            },
            "wouldRecommend": recommend,
        }
    )


def _expert_part() -> ExpertFeedback:
    return ExpertFeedback.model_validate(
        {
            "strengths": ["clear structure"],
            "areasForImprovement": ["quantify impact"],
            "recommendations": ["practise STAR answers"],
            "overallAssessment": "Strong candidate, close to ready.",
            "readinessLevel": "almost_ready",
        }
    )


def _submit(world: World, caller: Caller, session_id: str, **kw: Any):  # type: ignore[no-untyped-def]
    return feedback.submit_session_feedback(
        world.db,
        caller=caller,
        session_id=session_id,
        clock=world.clock,
        user_feedback=kw.get("user"),
        expert_feedback=kw.get("expert"),
    )


def _completed(world: World, caller: Caller, start: str) -> str:
    session_id = world.book_and_pay(caller, start=start)
    world.clock.set(datetime(2026, 11, 4, 19, 0, tzinfo=UTC))
    lifecycle.mark_session_completed(
        world.db, caller=EXPERT_CALLER, session_id=session_id, session_notes=None, clock=world.clock
    )
    world.clock.set(datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
    return session_id


@pytest.mark.parametrize(
    ("avg", "n", "cancel", "no_show", "expected"),
    [
        (5.0, 2, 0.0, 0.0, "good"),  # too few ratings to judge
        (4.8, 3, 0.0, 0.0, "excellent"),
        (4.7, 10, 0.0, 0.0, "excellent"),
        (4.69, 10, 0.0, 0.0, "good"),
        (4.0, 10, 0.0, 0.0, "good"),
        (3.5, 10, 0.0, 0.0, "needs_improvement"),
        (2.9, 10, 0.0, 0.0, "poor"),
        (4.9, 10, 0.2, 0.0, "good"),  # cancels too often: one band down
        (4.5, 10, 0.0, 0.11, "needs_improvement"),
        (2.0, 10, 0.5, 0.5, "poor"),
    ],
)
def test_performance_rating_policy(
    avg: float, n: int, cancel: float, no_show: float, expected: str
) -> None:
    assert (
        performance_rating(
            average_rating=avg, total_ratings=n, cancellation_rate=cancel, no_show_rate=no_show
        )
        == expected
    )


def test_user_rates_once_after_completion(world: World) -> None:
    session_id = world.book_and_pay(USER)
    with pytest.raises(FailedPrecondition, match="completed"):
        _submit(world, USER, session_id, user=_rating(5))
    world.clock.set(datetime(2026, 11, 4, 12, 0, tzinfo=UTC))
    lifecycle.mark_session_completed(
        world.db, caller=EXPERT_CALLER, session_id=session_id, session_notes=None, clock=world.clock
    )
    with pytest.raises(PermissionDenied):
        _submit(world, USER2, session_id, user=_rating(1))
    with pytest.raises(PermissionDenied):
        _submit(world, EXPERT_CALLER, session_id, user=_rating(5))
    after = _submit(world, USER, session_id, user=_rating(4))
    assert after.feedback is not None and after.feedback.userFeedback is not None
    assert after.feedback.userFeedback.rating == 4
    with pytest.raises(AlreadyExists):
        _submit(world, USER, session_id, user=_rating(5))
    perf = world.expert()["performance"]
    assert (perf["totalRatings"], perf["averageRating"]) == (1, 4.0)
    stored = world.session(session_id).feedback
    assert stored is not None and stored.userFeedback is not None
    assert stored.userFeedback.categories.expertise == 4


def test_expert_feedback_is_written_once_and_the_user_is_told(world: World) -> None:
    session_id = _completed(world, USER, "10:00")
    with pytest.raises(PermissionDenied):
        _submit(world, USER, session_id, expert=_expert_part())
    after = _submit(world, EXPERT_CALLER, session_id, expert=_expert_part())
    assert after.feedback is not None and after.feedback.expertFeedback is not None
    assert after.feedback.expertFeedback.readinessLevel == "almost_ready"
    assert f"{session_id}-expert-feedback" in world.mails()
    with pytest.raises(AlreadyExists):
        _submit(world, EXPERT_CALLER, session_id, expert=_expert_part())
    # the user's rating can still come afterwards, independently
    _submit(world, USER, session_id, user=_rating(5))
    stored = world.session(session_id).feedback
    assert stored and stored.userFeedback and stored.expertFeedback


def test_exactly_one_part_per_call(world: World) -> None:
    with pytest.raises(InvalidArgument):
        _submit(world, USER, "abcdefghij12", user=_rating(5), expert=_expert_part())
    with pytest.raises(InvalidArgument):
        _submit(world, USER, "abcdefghij12")


def test_concurrent_ratings_are_all_counted(world: World) -> None:
    callers = [Caller(uid=f"rater-{i}", email=f"r{i}@example.com") for i in range(3)]
    sessions = [
        _completed(world, c, start)
        for c, start in zip(callers, ["08:00", "11:00", "14:00"], strict=True)
    ]
    stars = [5, 4, 5]
    errors: list[Exception] = []

    def rate(i: int) -> None:
        try:
            _submit(world, callers[i], sessions[i], user=_rating(stars[i]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rate, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    perf = world.expert()["performance"]
    assert perf["totalRatings"] == 3
    assert perf["averageRating"] == round(14 / 3, 4)
    assert perf["performanceRating"] == "good"  # 4.67 < 4.7
    assert world.private("stats")["performanceCounters"]["ratingSum"] == 14

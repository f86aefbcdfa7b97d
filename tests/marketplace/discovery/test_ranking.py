"""The spec's relevance score and recommendation reason, defects fixed (salamin.marketplace.discovery.ranking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from salamin.marketplace.discovery import ranking

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


def base(**overrides):  # type: ignore[no-untyped-def]
    args: dict[str, Any] = {
        "average_rating": 0.0,
        "total_ratings": 0,
        "years_of_experience": 0,
        "total_sessions": 0,
        "response_time": 0.0,
    }
    args.update(overrides)
    return ranking.base_points(**args)


def test_rating_is_scaled_to_zero_to_one_hundred_points() -> None:
    assert base(average_rating=5.0, total_ratings=3) == 1000  # 100.0 points
    assert base(average_rating=4.5, total_ratings=3) == 900
    assert base(average_rating=4.73, total_ratings=3) == 946  # exact tenths, no float drift
    assert base(average_rating=7.0, total_ratings=3) == 1000  # clamped to 5 stars


def test_rating_without_any_ratings_scores_nothing() -> None:
    assert base(average_rating=4.9, total_ratings=0) == 0


def test_experience_and_session_bonuses_are_capped() -> None:
    assert base(years_of_experience=4) == 80
    assert base(years_of_experience=30) == 200  # up to 20 points
    assert base(total_sessions=1, response_time=50) == 5  # 0.5 points per session
    assert base(total_sessions=500, response_time=50) == 150  # up to 15 points


@pytest.mark.parametrize(
    ("sessions", "response", "points"),
    [(0, 0.0, 0), (3, 1.5, 100), (3, 2.0, 50), (3, 11.9, 50), (3, 12.0, 0)],
)
def test_response_time_counts_only_once_measured(sessions, response, points) -> None:  # type: ignore[no-untyped-def]
    assert base(total_sessions=sessions, response_time=response) - sessions * 5 == points


@pytest.mark.parametrize(("days", "points"), [(0, 100), (6.9, 100), (7, 50), (29.9, 50), (30, 0)])
def test_recent_activity_bonus(days, points) -> None:  # type: ignore[no-untyped-def]
    assert ranking.activity_points(NOW - timedelta(days=days), NOW) == points


def test_activity_points_until_names_the_next_drop() -> None:
    last = NOW - timedelta(days=2)
    assert ranking.activity_points_until(last, NOW) == last + timedelta(days=7)
    assert ranking.activity_points_until(last, NOW + timedelta(days=8)) == last + timedelta(days=30)
    assert ranking.activity_points_until(last, NOW + timedelta(days=40)) is None
    assert ranking.activity_points_until(None, NOW) is None


def test_match_points_per_requested_specialty_and_industry() -> None:
    got = ranking.match_points(
        wanted_specialties=["technical", "product", "leadership"],
        specialties=["technical", "product"],
        wanted_industries=["fintech", "health"],
        industries=["fintech"],
    )
    assert got == 2 * 100 + 80
    assert ranking.match_points_bounds(wanted_specialties=3, wanted_industries=2) == (180, 460)
    assert ranking.match_points_bounds(wanted_specialties=0, wanted_industries=0) == (0, 0)


def test_personalisation_past_session_beats_target_company() -> None:
    personal = ranking.Personal(
        past_expert_ids=frozenset({"e1"}), target_companies=frozenset({"google"})
    )
    assert personal.points(expert_id="e1", companies=["google"]) == 150
    assert personal.points(expert_id="e2", companies=["acme", "google"]) == 120
    assert personal.points(expert_id="e3", companies=["acme"]) == 0
    assert personal.max_points == 150
    assert ranking.Personal().max_points == 0


def test_score_is_capped_at_one_hundred() -> None:
    assert ranking.score_value(1234) == 100.0
    assert ranking.score_value(946) == 94.6
    assert ranking.score_value(-5) == 0.0


def test_recommendation_reason_follows_spec_order_and_takes_two() -> None:
    reason = ranking.recommendation_reason(
        average_rating=4.9,
        total_ratings=40,
        total_sessions=120,
        current_role="Staff Engineer",
        current_company="Stripe",
        response_time=1.0,
    )
    assert reason == "Highly rated by students • Very experienced interviewer"


def test_recommendation_reason_company_and_quick_response() -> None:
    reason = ranking.recommendation_reason(
        average_rating=4.2,
        total_ratings=40,
        total_sessions=20,
        current_role="PM",
        current_company="Shopify",
        response_time=1.0,
    )
    assert reason == "Current PM at Shopify • Quick to respond"


def test_recommendation_reason_is_absent_when_nothing_applies() -> None:
    reason = ranking.recommendation_reason(
        average_rating=4.9,
        total_ratings=0,  # no ratings yet: not "highly rated"
        total_sessions=0,  # no measured response time
        current_role="Consultant",
        current_company=" ",
        response_time=0.0,
    )
    assert reason is None

"""Spec §1.2 relevance score and recommendation reason, with the spec's defects fixed.

The score keeps the spec's weights and its cap at 100. Points are counted in integer tenths
(a rating of 4.73 is 94.6 points = 946 tenths) so sums, ties and cursors are exact.

Defects of the spec's `calculateRelevanceScore` fixed here:
- two Firestore reads per candidate for personalisation: the caller reads the user's completed
  sessions and target companies once per search and passes them in (`Personal`);
- `Date.now()`: "now" is an argument (the injectable clock);
- a `responseTime` of 0 on an expert who never had a booking request earned the "quick
  responder" bonus: response time only counts once the expert has had sessions (a measurement),
  and a rating only counts once there are ratings;
- target companies were compared as raw strings ("Google" != "google "): names are normalised;
- `getRecommendationReason` joined reasons with a mis-encoded bullet ("â€¢"): it is " • ".

The spec's personalisation rule is kept: a past completed session with the expert gives 15 points;
otherwise, the expert's current or a previous company being one of the user's target companies
gives 12.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CAP = 1000
"""The spec's cap of 100 points, in tenths."""
RATING_PER_STAR = 200  # 20 points per star: 0-5 stars -> 0-100 points
EXPERIENCE_PER_YEAR, EXPERIENCE_MAX = 20, 200  # 2 points per year, up to 20
SESSIONS_PER_SESSION, SESSIONS_MAX = 5, 150  # 0.5 points per session, up to 15
SPECIALTY_MATCH = 100  # 10 points per matching requested specialty
INDUSTRY_MATCH = 80  # 8 points per matching requested industry
ACTIVE_WEEK, ACTIVE_MONTH = 100, 50  # active in the last 7 / 30 days
RESPONSE_FAST, RESPONSE_OK = 100, 50  # average response under 2 h / under 12 h
PAST_SESSION = 150
TARGET_COMPANY = 120
ACTIVE_WEEK_DAYS, ACTIVE_MONTH_DAYS = 7, 30


@dataclass(frozen=True)
class Personal:
    """The searching user's personalisation inputs, read once per search."""

    past_expert_ids: frozenset[str] = frozenset()
    target_companies: frozenset[str] = frozenset()
    """Normalised company names (search_index.normalise_value)."""

    def points(self, *, expert_id: str, companies: list[str]) -> int:
        if expert_id in self.past_expert_ids:
            return PAST_SESSION
        if self.target_companies.intersection(companies):
            return TARGET_COMPANY
        return 0

    @property
    def max_points(self) -> int:
        if self.past_expert_ids:
            return PAST_SESSION
        return TARGET_COMPANY if self.target_companies else 0


def base_points(
    *,
    average_rating: float,
    total_ratings: int,
    years_of_experience: int,
    total_sessions: int,
    response_time: float,
) -> int:
    """The part of the score that depends only on the expert's own profile and performance."""
    points = 0
    if total_ratings > 0:
        points += round(min(max(average_rating, 0.0), 5.0) * RATING_PER_STAR)
    points += min(max(years_of_experience, 0) * EXPERIENCE_PER_YEAR, EXPERIENCE_MAX)
    points += min(max(total_sessions, 0) * SESSIONS_PER_SESSION, SESSIONS_MAX)
    if total_sessions > 0:
        if response_time < 2:
            points += RESPONSE_FAST
        elif response_time < 12:
            points += RESPONSE_OK
    return points


def activity_points(last_active_at: datetime | None, now: datetime) -> int:
    if last_active_at is None:
        return 0
    age = now - last_active_at
    if age < timedelta(days=ACTIVE_WEEK_DAYS):
        return ACTIVE_WEEK
    if age < timedelta(days=ACTIVE_MONTH_DAYS):
        return ACTIVE_MONTH
    return 0


def activity_points_until(last_active_at: datetime | None, now: datetime) -> datetime | None:
    """When `activity_points(last_active_at, now)` next drops, or None if it is already 0."""
    if last_active_at is None:
        return None
    for days in (ACTIVE_WEEK_DAYS, ACTIVE_MONTH_DAYS):
        until = last_active_at + timedelta(days=days)
        if now < until:
            return until
    return None


def match_points(
    *,
    wanted_specialties: list[str],
    specialties: list[str],
    wanted_industries: list[str],
    industries: list[str],
) -> int:
    """10 points per requested specialty the expert has, 8 per requested industry."""
    have_s, have_i = set(specialties), set(industries)
    return SPECIALTY_MATCH * sum(1 for s in set(wanted_specialties) if s in have_s) + (
        INDUSTRY_MATCH * sum(1 for i in set(wanted_industries) if i in have_i)
    )


def match_points_bounds(*, wanted_specialties: int, wanted_industries: int) -> tuple[int, int]:
    """(min, max) match points of an expert that passed both filters (at least one of each)."""
    low = (SPECIALTY_MATCH if wanted_specialties else 0) + (
        INDUSTRY_MATCH if wanted_industries else 0
    )
    high = SPECIALTY_MATCH * wanted_specialties + INDUSTRY_MATCH * wanted_industries
    return low, high


def capped(points: int) -> int:
    return min(max(points, 0), CAP)


def score_value(points: int) -> float:
    """Tenths -> the 0-100 number the client shows."""
    return capped(points) / 10


def recommendation_reason(
    *,
    average_rating: float,
    total_ratings: int,
    total_sessions: int,
    current_role: str,
    current_company: str,
    response_time: float,
) -> str | None:
    """The spec's reasons, in its order, at most two, joined by " • "; None if there are none."""
    reasons: list[str] = []
    if total_ratings > 0 and average_rating >= 4.8:
        reasons.append("Highly rated by students")
    if total_sessions >= 100:
        reasons.append("Very experienced interviewer")
    if current_company.strip():
        reasons.append(f"Current {current_role} at {current_company}")
    if total_sessions > 0 and response_time < 2:
        reasons.append("Quick to respond")
    return " • ".join(reasons[:2]) or None

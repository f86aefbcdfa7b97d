"""The expert's `performance` counters and rates, kept true by the session lifecycle.

Raw counts live in `experts/{id}.performanceCounters`; the spec's rates in `performance` are
derived from them in the same transaction as the event that changed them, so they never drift:
- `totalSessions`: paid bookings ever confirmed (the denominator of both rates);
- `cancellationRate` = sessions the *expert* cancelled / `totalSessions`;
- `noShowRate` = sessions where the *expert* did not show / `totalSessions`;
- `repeatClientRate` = clients with two or more completed sessions / clients with one or more;
- `averageRating` = sum of ratings / `totalRatings` (the sum is kept, so no float drift).
A candidate's own cancellations and no-shows are counted too, but do not count against the
expert.
"""

from __future__ import annotations

from typing import Any

from google.cloud import firestore

from salamin.core import collections as col

MIN_RATINGS_TO_JUDGE = 3
COUNTER_FIELDS = (
    "expertCancellations",
    "expertNoShows",
    "userCancellations",
    "userNoShows",
    "ratingSum",
    "distinctClients",
    "repeatClients",
)


def expert_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERTS).document(expert_id)


def client_ref(db: firestore.Client, expert_id: str, user_id: str) -> firestore.DocumentReference:
    """Server-only per-client tally behind `repeatClientRate`."""
    return (
        db.collection(col.EXPERT_CALENDARS)
        .document(expert_id)
        .collection(col.CALENDAR_CLIENTS)
        .document(user_id)
    )


def performance_rating(
    *, average_rating: float, total_ratings: int, cancellation_rate: float, no_show_rate: float
) -> str:
    """Policy: the rating band shown on the profile.

    Fewer than 3 ratings is too little to judge: new experts stay `good`. Otherwise the band
    follows the average (>= 4.7 excellent, >= 4.0 good, >= 3.0 needs_improvement, else poor),
    and drops one band when the expert cancels more than 15% or misses more than 10% of sessions.
    """
    bands = ["poor", "needs_improvement", "good", "excellent"]
    if total_ratings < MIN_RATINGS_TO_JUDGE:
        level = 2
    elif average_rating >= 4.7:
        level = 3
    elif average_rating >= 4.0:
        level = 2
    elif average_rating >= 3.0:
        level = 1
    else:
        level = 0
    if cancellation_rate > 0.15 or no_show_rate > 0.10:
        level = max(0, level - 1)
    return bands[level]


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def stats_update(
    expert: dict[str, Any],
    *,
    total_sessions: int = 0,
    completed_sessions: int = 0,
    earnings: int = 0,
    rating: int | None = None,
    counters: dict[str, int] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Field-path updates for `experts/{id}` from its current data plus the given deltas."""
    perf = dict(expert.get("performance") or {})
    raw = {k: int((expert.get("performanceCounters") or {}).get(k, 0)) for k in COUNTER_FIELDS}
    for key, delta in (counters or {}).items():
        raw[key] += delta
    total = int(perf.get("totalSessions", 0)) + total_sessions
    completed = int(perf.get("completedSessions", 0)) + completed_sessions
    total_ratings = int(perf.get("totalRatings", 0))
    if rating is not None:
        raw["ratingSum"] += rating
        total_ratings += 1
    average = round(raw["ratingSum"] / total_ratings, 4) if total_ratings else 0.0
    cancellation_rate = _ratio(raw["expertCancellations"], total)
    no_show_rate = _ratio(raw["expertNoShows"], total)
    updates: dict[str, Any] = {
        "performance.totalSessions": total,
        "performance.completedSessions": completed,
        "performance.totalEarnings": int(perf.get("totalEarnings", 0)) + earnings,
        "performance.totalRatings": total_ratings,
        "performance.averageRating": average,
        "performance.cancellationRate": cancellation_rate,
        "performance.noShowRate": no_show_rate,
        "performance.repeatClientRate": _ratio(raw["repeatClients"], raw["distinctClients"]),
        "performance.performanceRating": performance_rating(
            average_rating=average,
            total_ratings=total_ratings,
            cancellation_rate=cancellation_rate,
            no_show_rate=no_show_rate,
        ),
    }
    updates.update({f"performanceCounters.{k}": v for k, v in raw.items()})
    updates.update(extra or {})
    return updates

"""The expert's `performance` counters and rates, kept true by the session lifecycle.

Raw counts (`performanceCounters`) and net `totalEarnings` are private, in
`experts/{id}/private/stats` (this module is its one writer); the spec's rates in the public
`experts/{id}.performance` are derived from them in the same transaction as the event that changed them, so they never drift:
- `totalSessions`: paid bookings ever confirmed (the denominator of both rates);
- `cancellationRate` = sessions the *expert* cancelled / `totalSessions`;
- `noShowRate` = sessions where the *expert* did not show / `totalSessions`;
- `repeatClientRate` = clients with two or more completed sessions / clients with one or more;
- `averageRating` = sum of ratings / `totalRatings` (the sum is kept, so no float drift), over
  the ratings of reviews no admin has hidden (`feedback.set_review_hidden`).
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


def stats_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return (
        expert_ref(db, expert_id).collection(col.EXPERT_PRIVATE).document(col.EXPERT_PRIVATE_STATS)
    )


def read_stats(
    transaction: firestore.Transaction, db: firestore.Client, expert_id: str
) -> dict[str, Any]:
    """The public `performance` and the private stats, read in `transaction` (before writes)."""
    public = expert_ref(db, expert_id).get(transaction=transaction).to_dict() or {}
    private = stats_ref(db, expert_id).get(transaction=transaction).to_dict() or {}
    return {**private, "performance": public.get("performance") or {}}


def write_stats(
    transaction: firestore.Transaction,
    db: firestore.Client,
    expert_id: str,
    current: dict[str, Any],
    **deltas: Any,
) -> None:
    """Apply `stats_update` to the public profile and the private stats document."""
    public, private = stats_update(current, **deltas)
    transaction.update(expert_ref(db, expert_id), public)
    transaction.set(stats_ref(db, expert_id), private, merge=True)


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
    withdrawn_rating: int | None = None,
    counters: dict[str, int] | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Field-path updates for `experts/{id}` and the new private stats body, from the current
    data (`read_stats`) plus the given deltas. `rating` counts one more rating,
    `withdrawn_rating` takes one out again (a hidden review)."""
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
    if withdrawn_rating is not None and total_ratings > 0:
        raw["ratingSum"] = max(0, raw["ratingSum"] - withdrawn_rating)
        total_ratings -= 1
    average = round(raw["ratingSum"] / total_ratings, 4) if total_ratings else 0.0
    cancellation_rate = _ratio(raw["expertCancellations"], total)
    no_show_rate = _ratio(raw["expertNoShows"], total)
    updates: dict[str, Any] = {
        "performance.totalSessions": total,
        "performance.completedSessions": completed,
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
    updates.update(extra or {})
    private = {
        "totalEarnings": int(expert.get("totalEarnings", 0)) + earnings,
        "performanceCounters": raw,
    }
    return updates, private

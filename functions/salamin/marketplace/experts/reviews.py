"""Public reviews: `listExpertReviews`. (The admin's `setReviewHidden` lives with the ratings
it moves, in `marketplace/booking/feedback.py`.)

A review is the candidate's `feedback.userFeedback` on a completed session. It is shown only when
- the candidate allowed sharing: `preferences.allowFeedbackSharing == true` on their own
  `users/{uid}/profile/data` (absent means no: sharing is opt-in, and revocable at any time,
  since it is read at listing time), and
- no admin hid it (`reviewModeration/{sessionId}.hidden`).
What is shown: rating, text, date, and the candidate's first name and last initial from that
profile (`firstName`/`lastName`, else `displayName`); nothing else about the candidate or the
session. The review id is the session id (random, and it opens nothing: sessions are readable
only by their parties).

Paging scans completed, rated sessions newest first and filters them; a page stops after
`MAX_SCAN` sessions, so a long run of unshared reviews costs a bounded number of reads and the
cursor (the last session scanned) resumes after it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.errors import InvalidArgument

MAX_SCAN = 200
SUBMITTED = "feedback.userFeedback.submittedAt"
_ID = re.compile(r"^[A-Za-z0-9]{10,40}$")


def reviewer_name(profile: dict[str, Any]) -> str:
    """'Ada L.' from the candidate's own profile; 'A candidate' when they gave no name."""
    first = str(profile.get("firstName") or "").strip()
    last = str(profile.get("lastName") or "").strip()
    if not first:
        parts = str(profile.get("displayName") or "").split()
        first, last = (parts[0], parts[-1] if len(parts) > 1 else "") if parts else ("", "")
    if not first:
        return "A candidate"
    return f"{first} {last[0].upper()}." if last else first


def sharing_allowed(profile: dict[str, Any]) -> bool:
    prefs = profile.get("preferences")
    return isinstance(prefs, dict) and prefs.get("allowFeedbackSharing") is True


def public_review(
    session_id: str, feedback: dict[str, Any], profile: dict[str, Any]
) -> dict[str, Any]:
    """The whole public shape of a review: nothing else leaves this module."""
    submitted = feedback["submittedAt"]
    return {
        "reviewId": session_id,
        "rating": int(feedback["rating"]),
        "text": str(feedback.get("feedback") or ""),
        "date": submitted.date().isoformat(),
        "reviewer": reviewer_name(profile),
    }


def encode_cursor(session_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": session_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        session_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["s"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeError):
        raise InvalidArgument.at("cursor", "not a cursor of this list") from None
    if not isinstance(session_id, str) or not _ID.match(session_id):
        raise InvalidArgument.at("cursor", "not a cursor of this list")
    return session_id


@dataclass(frozen=True)
class ReviewPage:
    reviews: list[dict[str, Any]]
    nextCursor: str | None

    def to_wire(self) -> dict[str, Any]:
        return {"reviews": self.reviews, "nextCursor": self.nextCursor}


def list_expert_reviews(
    db: firestore.Client, *, expert_id: str, page_size: int, cursor: str | None
) -> ReviewPage:
    sessions = db.collection(col.EXPERT_SESSIONS)
    query = (
        sessions.where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .where(filter=firestore.FieldFilter("status", "==", "completed"))
        .order_by(SUBMITTED, direction=firestore.Query.DESCENDING)
        .order_by("__name__", direction=firestore.Query.DESCENDING)
    )
    if cursor:
        last = sessions.document(decode_cursor(cursor)).get()
        if not last.exists or last.get("expertId") != expert_id:
            raise InvalidArgument.at("cursor", "not a cursor of this list")
        query = query.start_after(last)
    reviews: list[dict[str, Any]] = []
    scanned = 0
    last_id: str | None = None
    batch_size = max(page_size * 2, 10)
    while len(reviews) < page_size and scanned < MAX_SCAN:
        batch = list(query.limit(min(batch_size, MAX_SCAN - scanned)).stream())
        if not batch:
            return ReviewPage(reviews=reviews, nextCursor=None)
        shown = _shown(db, batch)
        for snap in batch:
            scanned += 1
            last_id = snap.id
            if snap.id in shown:
                reviews.append(shown[snap.id])
                if len(reviews) == page_size:
                    break
        query = query.start_after(_snapshot_of(batch, last_id))
    more = bool(list(query.limit(1).stream()))
    return ReviewPage(
        reviews=reviews, nextCursor=encode_cursor(last_id) if more and last_id else None
    )


def _snapshot_of(batch: list[Any], session_id: str | None) -> Any:
    return next(s for s in batch if s.id == session_id)


def _shown(db: firestore.Client, batch: list[Any]) -> dict[str, dict[str, Any]]:
    """The batch's reviews that may be shown, by session id (two batched reads)."""
    feedback = {
        s.id: ((s.to_dict() or {}).get("feedback") or {}).get("userFeedback") for s in batch
    }
    users = {s.id: str(s.get("userId")) for s in batch}
    moderation = db.get_all([db.collection(col.REVIEW_MODERATION).document(s.id) for s in batch])
    hidden = {m.id for m in moderation if m.exists and m.get("hidden") is True}
    profiles = {
        p.reference.parent.parent.id: p.to_dict() or {}
        for p in db.get_all([db.document(col.user_profile_path(u)) for u in set(users.values())])
        if p.exists and p.reference.parent.parent is not None
    }
    out = {}
    for session_id, fb in feedback.items():
        profile = profiles.get(users[session_id], {})
        if fb and session_id not in hidden and sharing_allowed(profile):
            out[session_id] = public_review(session_id, fb, profile)
    return out

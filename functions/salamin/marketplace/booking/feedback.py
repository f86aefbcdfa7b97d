"""Spec `SessionFeedback`: the candidate rates a completed session once; the expert writes
the expert-feedback part once. The rating updates the expert's `averageRating`,
`totalRatings`, `repeatClientRate` and `performanceRating` in the same transaction, from
counters (see performance.py), so concurrent ratings can never lose one another.

An admin hiding a review (`setReviewHidden`) takes its rating out of those counters in the
transaction that stores the decision, and unhiding puts it back: a hidden review counts
nowhere. The decision (`reviewModeration/{sessionId}`, written only here) records whether the
rating is out (`excludedFromRating`), so repeating a decision changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from salamin.marketplace.booking import holds, notifications, performance
from salamin.models.expert_admin import ReviewModeration
from salamin.models.session import (
    ExpertFeedback,
    ExpertSession,
    SessionFeedback,
    StoredExpertFeedback,
    StoredUserFeedback,
    UserFeedback,
)


def submit_session_feedback(
    db: firestore.Client,
    *,
    caller: Caller,
    session_id: str,
    user_feedback: UserFeedback | None,
    expert_feedback: ExpertFeedback | None,
    clock: Clock,
) -> ExpertSession:
    if (user_feedback is None) == (expert_feedback is None):
        raise InvalidArgument.at(
            "userFeedback",
            "send exactly one of userFeedback (candidate) or expertFeedback (expert)",
        )
    now = clock.now()
    ref = holds.session_ref(db, session_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ExpertSession:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            raise NotFound("no such session", reason="session_not_found")
        session = holds.load_session(snap)
        existing = session.feedback
        if user_feedback is not None:
            if caller.uid != session.userId:
                raise PermissionDenied("only the candidate of this session can rate it")
            if session.status != "completed":
                raise FailedPrecondition(
                    "a session can be rated once it is completed", reason="session_not_completed"
                )
            if existing is not None and existing.userFeedback is not None:
                raise AlreadyExists("you already rated this session", reason="feedback_exists")
            stats = performance.read_stats(transaction, db, session.expertId)
            stored = StoredUserFeedback(**user_feedback.model_dump(), submittedAt=now)
            transaction.update(ref, {"feedback.userFeedback": stored.to_firestore()})
            performance.write_stats(
                transaction, db, session.expertId, stats, rating=user_feedback.rating
            )
            both = SessionFeedback(
                userFeedback=stored, expertFeedback=existing.expertFeedback if existing else None
            )
            return session.model_copy(update={"feedback": both})
        assert expert_feedback is not None
        if caller.uid != session.expertId:
            raise PermissionDenied("only the expert of this session can write expert feedback")
        if session.status != "completed":
            raise FailedPrecondition(
                "expert feedback can be written once the session is completed",
                reason="session_not_completed",
            )
        if existing is not None and existing.expertFeedback is not None:
            raise AlreadyExists(
                "you already wrote feedback for this session", reason="feedback_exists"
            )
        contacts = holds.contacts_ref(db, session_id).get(transaction=transaction).to_dict() or {}
        stored_expert = StoredExpertFeedback(**expert_feedback.model_dump(), submittedAt=now)
        transaction.update(ref, {"feedback.expertFeedback": stored_expert.to_firestore()})
        notifications.expert_feedback_ready(
            transaction, db, session=session, contacts=contacts, now=now
        )
        both = SessionFeedback(
            userFeedback=existing.userFeedback if existing else None, expertFeedback=stored_expert
        )
        return session.model_copy(update={"feedback": both})

    return txn(db.transaction())


def set_review_hidden(
    db: firestore.Client,
    *,
    caller: Caller,
    review_id: str,
    hidden: bool,
    reason: str,
    now: datetime,
) -> ReviewModeration:
    """Admin moderation of one review: the session and its feedback stay as they are; the
    decision is its own audited document (who, when, why), and the rating leaves or rejoins the
    expert's counters in the same transaction, so it races no rating and no other decision."""
    caller.require_admin()
    session_ref = holds.session_ref(db, review_id)
    decision_ref = db.collection(col.REVIEW_MODERATION).document(review_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ReviewModeration:
        snap = session_ref.get(transaction=transaction)
        rated = ((snap.to_dict() or {}).get("feedback") or {}).get("userFeedback")
        if not rated:
            raise NotFound("no such review", reason="review_not_found")
        expert_id = str(snap.get("expertId"))
        previous = decision_ref.get(transaction=transaction)
        excluded = (previous.to_dict() or {}).get("excludedFromRating") is True
        stats = performance.read_stats(transaction, db, expert_id)
        if hidden != excluded:
            rating = int(rated["rating"])
            change = {"withdrawn_rating": rating} if hidden else {"rating": rating}
            performance.write_stats(transaction, db, expert_id, stats, **change)
        decision = ReviewModeration(
            sessionId=review_id,
            expertId=expert_id,
            hidden=hidden,
            reason=reason,
            decidedBy=caller.uid,
            decidedAt=now,
            excludedFromRating=hidden,
        )
        transaction.set(decision_ref, decision.to_firestore())
        return decision

    return txn(db.transaction())

"""listExpertReviews: only shared, unhidden reviews, with first name and initial and nothing
else; paging; admins hide and unhide."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, NotFound, PermissionDenied
from salamin.marketplace.booking import feedback, lifecycle
from salamin.marketplace.experts import reviews
from salamin.models.session import UserFeedback
from tests.support.booking import EXPERT, World

ADMIN = Caller(uid="admin-1", is_admin=True)


def candidate(
    world: World, n: int, *, share: bool | None, first: str = "", last: str = ""
) -> Caller:
    caller = Caller(uid=f"cand-{n}", email=f"cand{n}@example.com")
    body: dict[str, Any] = {"firstName": first, "lastName": last, "targetCompanies": ["Acme"]}
    if share is not None:
        body["preferences"] = {"allowFeedbackSharing": share}
    world.db.document(col.user_profile_path(caller.uid)).set(body)
    return caller


def completed(
    world: World, caller: Caller, *, start: str, rating: int | None = None, text: str = ""
) -> str:
    """A session held by the expert; rated by the candidate as it ends when `rating` is given."""
    session_id = world.book_and_pay(caller, start=start)
    saved = world.clock.now()
    world.clock.set(world.session(session_id).endDate)
    lifecycle.mark_session_completed(
        world.db,
        caller=Caller(uid=EXPERT),
        session_id=session_id,
        session_notes=None,
        clock=world.clock,
    )
    if rating is not None:
        rate(world, caller, session_id, rating=rating, text=text)
    world.clock.set(saved + timedelta(minutes=1))
    return session_id


def rate(world: World, caller: Caller, session_id: str, *, rating: int, text: str = "") -> None:
    feedback.submit_session_feedback(
        world.db,
        caller=caller,
        session_id=session_id,
        user_feedback=UserFeedback.model_validate(
            {
                "rating": rating,
                "feedback": text,
                "categories": {
                    "preparation": 5,
                    "communication": 4,
                    "expertise": 5,
                    "helpfulness": 4,
                },
                "wouldRecommend": True,
            }
        ),
        expert_feedback=None,
        clock=world.clock,
    )


def reviewed(world: World, caller: Caller, *, start: str, rating: int, text: str) -> str:
    return completed(world, caller, start=start, rating=rating, text=text)


def listing(world: World, size: int = 10, cursor: str | None = None) -> reviews.ReviewPage:
    return reviews.list_expert_reviews(world.db, expert_id=EXPERT, page_size=size, cursor=cursor)


def test_only_shared_unhidden_reviews_with_first_name_and_initial(world: World) -> None:
    ada = candidate(world, 1, share=True, first="Grace", last="hopper")
    bob = candidate(world, 2, share=False, first="Bob", last="Secret")
    cy = candidate(world, 3, share=None, first="Cy", last="Default")
    dee = candidate(world, 4, share=True)
    r1 = reviewed(world, ada, start="09:00", rating=5, text="Sharp questions.")
    reviewed(world, bob, start="11:00", rating=2, text="private opinion")
    reviewed(world, cy, start="13:00", rating=3, text="never opted in")
    r4 = reviewed(world, dee, start="15:00", rating=4, text="Good.")
    page = listing(world)
    assert page.reviews == [
        {
            "reviewId": r4,
            "rating": 4,
            "text": "Good.",
            "date": "2026-11-04",
            "reviewer": "A candidate",
        },
        {
            "reviewId": r1,
            "rating": 5,
            "text": "Sharp questions.",
            "date": "2026-11-04",
            "reviewer": "Grace H.",
        },
    ]
    assert page.nextCursor is None
    # a stranger reads the whole answer: no uid, email, last name, price or session data
    flat = repr(page.to_wire())
    for secret in (
        "cand-1",
        "cand1@example.com",
        "hopper",
        "Secret",
        "private opinion",
        "12000",
        "Acme",
    ):
        assert secret not in flat


def test_admin_hides_and_unhides_and_others_cannot(world: World) -> None:
    grace = candidate(world, 1, share=True, first="Grace", last="Hopper")
    r1 = reviewed(world, grace, start="09:00", rating=1, text="abusive text")
    with pytest.raises(PermissionDenied):  # think like the expert: bury a bad review
        feedback.set_review_hidden(
            world.db,
            caller=Caller(uid=EXPERT),
            review_id=r1,
            hidden=True,
            reason="bad",
            now=world.clock.now(),
        )
    assert [r["reviewId"] for r in listing(world).reviews] == [r1]
    feedback.set_review_hidden(
        world.db, caller=ADMIN, review_id=r1, hidden=True, reason="abuse", now=world.clock.now()
    )
    assert listing(world).reviews == []
    session = world.session(r1)
    assert (
        session.feedback
        and session.feedback.userFeedback
        and session.feedback.userFeedback.rating == 1
    )
    feedback.set_review_hidden(
        world.db, caller=ADMIN, review_id=r1, hidden=False, reason="ok", now=world.clock.now()
    )
    assert len(listing(world).reviews) == 1
    with pytest.raises(NotFound):
        feedback.set_review_hidden(
            world.db,
            caller=ADMIN,
            review_id="abcdefghij12",
            hidden=True,
            reason="x",
            now=world.clock.now(),
        )


def test_pages_skip_unshared_and_resume(world: World) -> None:
    shown = []
    for n, start in enumerate(("08:00", "09:30", "11:00", "12:30", "14:00")):
        share = n != 2
        c = candidate(world, n, share=share, first=f"N{n}", last="X")
        sid = reviewed(world, c, start=start, rating=5, text=f"r{n}")
        if share:
            shown.append(sid)
    first = listing(world, size=2)
    assert first.nextCursor
    second = listing(world, size=2, cursor=first.nextCursor)
    ids = [r["reviewId"] for r in first.reviews + second.reviews]
    assert ids == list(reversed(shown))
    with pytest.raises(InvalidArgument):
        listing(world, cursor="not-base64!")
    with pytest.raises(InvalidArgument):
        listing(world, cursor=reviews.encode_cursor("zzzzzzzzzzzz"))


def _rating(world: World) -> tuple[int, float]:
    perf = world.expert()["performance"]
    return perf["totalRatings"], perf["averageRating"]


def _hide(world: World, review_id: str, hidden: bool) -> None:
    feedback.set_review_hidden(
        world.db,
        caller=ADMIN,
        review_id=review_id,
        hidden=hidden,
        reason="moderation",
        now=world.clock.now(),
    )


def test_a_hidden_review_does_not_count_in_the_rating(world: World) -> None:
    """Think like the expert's rival: one abusive 1-star review, hidden, must not drag the
    average; and like the expert: unhiding restores the true average, repeats change nothing."""
    good = reviewed(world, candidate(world, 1, share=True), start="09:00", rating=5, text="a")
    bad = reviewed(world, candidate(world, 2, share=True), start="11:00", rating=1, text="b")
    assert _rating(world) == (2, 3.0)
    _hide(world, bad, True)
    assert _rating(world) == (1, 5.0)
    _hide(world, bad, True)  # a repeated decision moves nothing
    assert _rating(world) == (1, 5.0)
    decision = world.db.document(f"{col.REVIEW_MODERATION}/{bad}").get().to_dict()
    assert decision["hidden"] is True and decision["excludedFromRating"] is True
    _hide(world, bad, False)
    assert _rating(world) == (2, 3.0)
    _hide(world, bad, False)
    assert _rating(world) == (2, 3.0)
    _hide(world, good, True)
    _hide(world, bad, True)
    perf = world.expert()["performance"]
    assert (perf["totalRatings"], perf["averageRating"]) == (0, 0.0)
    assert perf["performanceRating"] == "good"  # too few ratings to judge
    stats = world.private("stats")["performanceCounters"]
    assert stats["ratingSum"] == 0


def test_a_decision_stored_before_the_rating_rule_is_applied_once(world: World) -> None:
    """A `hidden` decision from before `excludedFromRating` existed left its rating counted:
    unhiding it adds nothing, hiding it again takes it out once."""
    bad = reviewed(world, candidate(world, 1, share=True), start="09:00", rating=1, text="b")
    reviewed(world, candidate(world, 2, share=True), start="11:00", rating=5, text="a")
    world.db.document(f"{col.REVIEW_MODERATION}/{bad}").set(
        {
            "sessionId": bad,
            "expertId": EXPERT,
            "hidden": True,
            "reason": "old",
            "decidedBy": "admin-0",
            "decidedAt": world.clock.now(),
        }
    )
    assert _rating(world) == (2, 3.0)
    _hide(world, bad, True)
    assert _rating(world) == (1, 5.0)
    _hide(world, bad, False)
    assert _rating(world) == (2, 3.0)


def test_hiding_races_new_ratings_without_losing_any(world: World) -> None:
    """Two candidates rate while an admin hides a third review, all at once: every update
    lands (the decision and the ratings serialise on the expert's counters)."""
    callers = [candidate(world, n, share=True) for n in range(3)]
    hidden = reviewed(world, callers[0], start="09:00", rating=1, text="x")
    pending = [
        completed(world, c, start=t) for c, t in zip(callers[1:], ("11:00", "13:00"), strict=True)
    ]
    barrier = threading.Barrier(3)

    def rate_one(i: int) -> None:
        barrier.wait()
        rate(world, callers[i + 1], pending[i], rating=3 + i)

    def hide() -> None:
        barrier.wait()
        _hide(world, hidden, True)

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(rate_one, 0), pool.submit(rate_one, 1), pool.submit(hide)]
        for f in futures:
            f.result()
    assert _rating(world) == (2, 3.5)
    assert world.private("stats")["performanceCounters"]["ratingSum"] == 7

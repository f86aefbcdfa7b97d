"""listExpertReviews: only shared, unhidden reviews, with first name and initial and nothing
else; paging; admins hide and unhide."""

from __future__ import annotations

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


def reviewed(world: World, caller: Caller, *, start: str, rating: int, text: str) -> str:
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
    world.clock.set(saved + timedelta(minutes=1))
    return session_id


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
        reviews.set_review_hidden(
            world.db,
            caller=Caller(uid=EXPERT),
            review_id=r1,
            hidden=True,
            reason="bad",
            now=world.clock.now(),
        )
    assert [r["reviewId"] for r in listing(world).reviews] == [r1]
    reviews.set_review_hidden(
        world.db, caller=ADMIN, review_id=r1, hidden=True, reason="abuse", now=world.clock.now()
    )
    assert listing(world).reviews == []
    session = world.session(r1)
    assert (
        session.feedback
        and session.feedback.userFeedback
        and session.feedback.userFeedback.rating == 1
    )
    reviews.set_review_hidden(
        world.db, caller=ADMIN, review_id=r1, hidden=False, reason="ok", now=world.clock.now()
    )
    assert len(listing(world).reviews) == 1
    with pytest.raises(NotFound):
        reviews.set_review_hidden(
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

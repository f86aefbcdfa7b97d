"""Nothing private is readable by a stranger (issue 9 item 5).

An unrelated signed-in user reads, over the Firestore REST path and so through the rules, every
marketplace document any signed-in user may read (`experts/*`, `expertCalendars/*` and their
`busy/*`) after onboarding, booking, payment, reschedule, completion, rating and cancel, and
finds no Stripe account, payout internals, earnings, raw counters, verifier or notes. The
private subdocuments that now hold those are refused to them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.marketplace.booking import feedback, lifecycle
from salamin.marketplace.onboarding import applications
from salamin.models.expert import ExpertApplicationInput
from salamin.models.session import UserFeedback, UserFeedbackCategories
from scripts.stack import Stack
from tests.support.booking import EXPERT, USER, World
from tests.support.emulators import FirestoreRest, unsigned_token
from tests.support.factories import PDF_BYTES, application_data

STRANGER = unsigned_token("stranger-uid", email="stranger@example.com")
CANDIDATE = unsigned_token(USER.uid, email=USER.email)
APPLICANT = Caller(uid="applicant-grace", email="grace@example.com")
ADMIN = Caller(uid="admin-1", is_admin=True)
PRIVATE_KEYS = {
    "stripeAccountId",
    "stripeAccountSyncedAt",
    "chargesEnabled",
    "stripeDetailsSubmitted",
    "performanceCounters",
    "totalEarnings",
    "verifiedBy",
    "notes",
    "documentsSubmitted",
    "email",
    "phone",
    "lockUnits",
    "capTokens",
}
PRIVATE_DOCS = (
    col.EXPERT_PRIVATE_CONTACT,
    col.EXPERT_PRIVATE_PAYOUTS,
    col.EXPERT_PRIVATE_STATS,
    col.EXPERT_PRIVATE_VERIFICATION,
)


def _keys(value: Any) -> set[str]:
    """Every map key at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _stranger_reads_nothing_private(rest: FirestoreRest, expert_ids: list[str]) -> int:
    """Read every stranger-readable marketplace document; return how many were read."""
    docs = rest.documents(col.EXPERTS, STRANGER) + rest.documents(col.EXPERT_CALENDARS, STRANGER)
    for expert_id in expert_ids:
        docs += rest.documents(f"{col.EXPERT_CALENDARS}/{expert_id}/{col.CALENDAR_BUSY}", STRANGER)
        for name in PRIVATE_DOCS:
            path = f"{col.EXPERTS}/{expert_id}/{col.EXPERT_PRIVATE}/{name}"
            assert rest.get(path, STRANGER) == 403, path
    for doc in docs:
        assert _keys(doc) & PRIVATE_KEYS == set(), doc
    return len(docs)


def _parties_read_no_claims(rest: FirestoreRest, session_id: str) -> None:
    """The session's own parties read it, but not the lock paths behind it (server-only)."""
    doc = rest.document(f"{col.EXPERT_SESSIONS}/{session_id}", CANDIDATE)
    assert doc["sessionId"] == session_id
    assert _keys(doc) & {"lockUnits", "capTokens"} == set(), doc
    claims = f"{col.EXPERT_SESSIONS}/{session_id}/{col.SESSION_PRIVATE}/{col.SESSION_CLAIMS}"
    assert rest.get(claims, CANDIDATE) == 403
    assert rest.get(claims, STRANGER) == 403


def _onboard(world: World, bucket: Any) -> None:
    """A second expert activated through the real onboarding path, with review notes."""
    app = ExpertApplicationInput.model_validate(application_data())
    applications.submit_expert_application(
        world.db, caller=APPLICANT, application=app, clock=world.clock
    )
    for kind in ("identity", "employment"):
        applications.upload_verification_document(
            world.db,
            bucket,
            caller=APPLICANT,
            expert_id=APPLICANT.uid,
            document_type=kind,
            file_name=f"{kind}.pdf",
            content_type="application/pdf",
            data=PDF_BYTES,
            clock=world.clock,
        )
        applications.verify_expert_document(
            world.db,
            caller=ADMIN,
            expert_id=APPLICANT.uid,
            document_type=kind,
            approved=True,
            notes="checked against the passport scan, looks fine",
            file_name=None,
            clock=world.clock,
        )
    assert world.expert(APPLICANT.uid)["status"] == "active"


def test_a_stranger_reads_no_private_expert_field_after_any_flow(
    world: World, emulators: Stack, bucket: Any
) -> None:
    rest = FirestoreRest(emulators.endpoints)
    experts = [EXPERT, APPLICANT.uid]
    _onboard(world, bucket)
    assert _stranger_reads_nothing_private(rest, experts) >= 4

    held = world.book(USER, start="10:00")
    _stranger_reads_nothing_private(rest, experts)
    _parties_read_no_claims(rest, held.sessionId)
    world.pay(held)
    world.deliver()
    assert world.private("stats")["totalEarnings"] == 9600  # the data exists, privately
    assert world.private("payouts")["stripeAccountId"].startswith("acct_")
    _stranger_reads_nothing_private(rest, experts)
    _parties_read_no_claims(rest, held.sessionId)

    lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=held.sessionId,
        date="2026-11-05",
        start_time="15:00",
        clock=world.clock,
    )
    _stranger_reads_nothing_private(rest, experts)
    _parties_read_no_claims(rest, held.sessionId)

    world.clock.advance(timedelta(days=4))
    lifecycle.mark_session_completed(
        world.db,
        caller=Caller(uid=EXPERT),
        session_id=held.sessionId,
        session_notes="private notes for the candidate",
        clock=world.clock,
    )
    feedback.submit_session_feedback(
        world.db,
        caller=USER,
        session_id=held.sessionId,
        user_feedback=UserFeedback(
            rating=5,
            categories=UserFeedbackCategories(
                preparation=5, communication=5, expertise=5, helpfulness=5
            ),
            wouldRecommend=True,
        ),
        expert_feedback=None,
        clock=world.clock,
    )
    assert world.private("stats")["performanceCounters"]["ratingSum"] == 5
    _stranger_reads_nothing_private(rest, experts)

    second = world.book(USER, start="10:00", date="2026-11-10")
    world.pay(second)
    world.deliver()
    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=second.sessionId,
        cancelled_by="user",
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    _stranger_reads_nothing_private(rest, experts)
    _parties_read_no_claims(rest, second.sessionId)

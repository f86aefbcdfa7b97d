"""Onboarding against the real Firestore and Storage emulators, without HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import FixedClock
from salamin.core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from salamin.marketplace.onboarding import applications
from salamin.models.expert import ExpertApplicationInput
from tests.support.factories import PDF_BYTES, PNG_BYTES, application_data

APPLICANT = Caller(uid="applicant-1", email="ada@example.com")
ADMIN = Caller(uid="admin-1", is_admin=True)
OTHER = Caller(uid="someone-else")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))


def submit(db, clock, caller=APPLICANT) -> str:  # type: ignore[no-untyped-def]
    app = ExpertApplicationInput.model_validate(application_data())
    return applications.submit_expert_application(db, caller=caller, application=app, clock=clock)


def upload(
    db,
    bucket,
    clock,
    document_type="identity",
    caller=APPLICANT,  # type: ignore[no-untyped-def]
    data=PDF_BYTES,
    content_type="application/pdf",
):
    return applications.upload_verification_document(
        db,
        bucket,
        caller=caller,
        expert_id=APPLICANT.uid,
        document_type=document_type,
        file_name="../../etc/my passport.pdf",
        content_type=content_type,
        data=data,
        clock=clock,
    )


def review(db, clock, document_type, approved=True, notes=None, caller=ADMIN):  # type: ignore[no-untyped-def]
    return applications.verify_expert_document(
        db,
        caller=caller,
        expert_id=APPLICANT.uid,
        document_type=document_type,
        approved=approved,
        notes=notes,
        file_name=None,
        clock=clock,
    )


def test_submit_creates_pending_application_with_defaults_and_welcome_mail(db, clock) -> None:
    expert_id = submit(db, clock)
    assert expert_id == APPLICANT.uid
    doc = db.collection(col.EXPERT_APPLICATIONS).document(expert_id).get().to_dict()
    assert doc["status"] == "pending"
    assert doc["verification"] == {
        "identityVerified": False,
        "employmentVerified": False,
        "educationVerified": False,
        "documentsSubmitted": [],
    }
    assert doc["performance"]["totalSessions"] == 0
    assert doc["performance"]["performanceRating"] == "good"
    assert doc["preferences"]["communicationPreferences"]["emailNotifications"] is True
    assert doc["joinedAt"] == clock.now()
    mail = db.collection(col.MAIL).document(f"expert-welcome-{expert_id}").get().to_dict()
    assert mail["to"] == "ada@example.com"
    assert "Upload a proof of identity" in mail["message"]["text"]


def test_second_application_is_refused_and_writes_nothing(db, clock) -> None:
    submit(db, clock)
    before = db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT.uid).get().update_time
    with pytest.raises(AlreadyExists):
        submit(db, clock)
    after = db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT.uid).get().update_time
    assert before == after
    assert len(list(db.collection(col.MAIL).stream())) == 1


def test_upload_stores_file_under_type_folder_and_notifies_admins(db, bucket, clock) -> None:
    submit(db, clock)
    result = upload(db, bucket, clock)
    assert result.path.startswith(f"expert-documents/{APPLICANT.uid}/identity/")
    assert result.path.endswith("_my_passport.pdf")  # path-safe name, no traversal
    assert bucket.blob(result.path).download_as_bytes() == PDF_BYTES
    app = db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT.uid).get().to_dict()
    [record] = app["verification"]["documentsSubmitted"]
    assert record["type"] == "identity"
    assert record["status"] == "pending"
    assert record["fileName"] == result.path
    [note] = [d.to_dict() for d in db.collection(col.ADMIN_NOTIFICATIONS).stream()]
    assert note["type"] == "expert_document_review"
    assert note["expertId"] == APPLICANT.uid
    assert note["documentType"] == "identity"


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [
        (b"MZ\x90\x00 not a pdf", "application/pdf", "file.data"),
        (PDF_BYTES, "application/zip", "file.contentType"),
        (b"", "application/pdf", "file.data"),
        (b"%PDF-" + b"0" * (applications.MAX_DOCUMENT_BYTES + 1), "application/pdf", "file.data"),
    ],
)
def test_bad_documents_are_rejected_and_nothing_is_stored(
    db, bucket, clock, data, content_type, field
) -> None:
    submit(db, clock)
    with pytest.raises(InvalidArgument) as exc:
        upload(db, bucket, clock, data=data, content_type=content_type)
    assert exc.value.fields[0]["path"] == field
    assert list(bucket.list_blobs(prefix="expert-documents/")) == []
    assert list(db.collection(col.ADMIN_NOTIFICATIONS).stream()) == []


def test_only_the_applicant_or_an_admin_may_upload(db, bucket, clock) -> None:
    submit(db, clock)
    with pytest.raises(PermissionDenied):
        upload(db, bucket, clock, caller=OTHER)
    assert upload(db, bucket, clock, caller=ADMIN, content_type="image/png", data=PNG_BYTES)


def test_upload_without_application_is_not_found(db, bucket, clock) -> None:
    with pytest.raises(NotFound):
        upload(db, bucket, clock)
    assert list(bucket.list_blobs(prefix="expert-documents/")) == []


def test_review_keeps_earlier_flags_and_activates_once_both_are_verified(db, bucket, clock) -> None:
    submit(db, clock)
    upload(db, bucket, clock, "identity")
    upload(db, bucket, clock, "employment", content_type="image/png", data=PNG_BYTES)
    upload(db, bucket, clock, "education")

    first = review(db, clock, "identity")
    assert first.activated is False
    second = review(db, clock, "education")  # the spec's bug lost identityVerified here
    assert second.verification.identityVerified is True
    assert second.verification.educationVerified is True

    clock.advance(timedelta(hours=1))
    outcome = review(db, clock, "employment")
    assert outcome.activated is True
    assert outcome.expertStatus == "active"

    assert not db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT.uid).get().exists
    expert = db.collection(col.EXPERTS).document(APPLICANT.uid).get().to_dict()
    assert expert["status"] == "active"
    assert expert["verification"]["verificationDate"] == clock.now()
    assert "verifiedBy" not in expert["verification"] and "notes" not in expert["verification"]
    record = (
        db.collection(col.EXPERTS)
        .document(APPLICANT.uid)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_VERIFICATION)
        .get()
        .to_dict()
    )
    assert record["verifiedBy"] == ADMIN.uid
    assert expert["verification"]["identityVerified"] is True
    assert "email" not in expert["personalInfo"]
    assert "phone" not in expert["personalInfo"]
    assert "documentsSubmitted" not in expert["verification"]
    private = (
        db.collection(col.EXPERTS)
        .document(APPLICANT.uid)
        .collection("private")
        .document("contact")
        .get()
        .to_dict()
    )
    assert private["email"] == "ada@example.com"
    assert len(private["documentsSubmitted"]) == 3
    calendar = db.collection(col.EXPERT_CALENDARS).document(APPLICANT.uid).get().to_dict()
    assert calendar["expertId"] == APPLICANT.uid
    assert calendar["timeZone"] == "Europe/London"
    assert db.collection(col.MAIL).document(f"expert-activated-{APPLICANT.uid}").get().exists


def test_activation_replay_changes_nothing(db, bucket, clock) -> None:
    submit(db, clock)
    upload(db, bucket, clock, "identity")
    upload(db, bucket, clock, "employment")
    review(db, clock, "identity")
    review(db, clock, "employment")
    expert_ref = db.collection(col.EXPERTS).document(APPLICANT.uid)

    def profile() -> dict:
        # `search` is maintained asynchronously by the syncExpertSearchFields trigger
        return {k: v for k, v in (expert_ref.get().to_dict() or {}).items() if k != "search"}

    before = profile()
    calendar_before = db.collection(col.EXPERT_CALENDARS).document(APPLICANT.uid).get().update_time
    mails = len(list(db.collection(col.MAIL).stream()))
    with pytest.raises(FailedPrecondition, match="already active"):
        review(db, clock, "employment")
    assert profile() == before
    after = db.collection(col.EXPERT_CALENDARS).document(APPLICANT.uid).get().update_time
    assert after == calendar_before
    assert len(list(db.collection(col.MAIL).stream())) == mails


def test_rejection_needs_reason_then_resubmission_can_be_approved(db, bucket, clock) -> None:
    submit(db, clock)
    upload(db, bucket, clock, "identity")
    with pytest.raises(InvalidArgument):
        review(db, clock, "identity", approved=False)
    rejected = review(db, clock, "identity", approved=False, notes="Photo is unreadable")
    assert rejected.documentStatus == "rejected"
    assert rejected.verification.identityVerified is False
    with pytest.raises(FailedPrecondition):  # nothing pending of that type any more
        review(db, clock, "identity")
    clock.advance(timedelta(minutes=5))
    upload(db, bucket, clock, "identity")
    approved = review(db, clock, "identity")
    assert approved.verification.identityVerified is True
    docs = approved.verification.documentsSubmitted
    assert [d.status for d in docs] == ["rejected", "approved"]
    assert docs[0].rejectionReason == "Photo is unreadable"
    assert any(m.id.startswith("expert-doc-rejected-") for m in db.collection(col.MAIL).stream())


def test_only_admins_review(db, bucket, clock) -> None:
    submit(db, clock)
    upload(db, bucket, clock, "identity")
    with pytest.raises(PermissionDenied):
        review(db, clock, "identity", caller=APPLICANT)


def test_pending_list_is_paginated_oldest_first(db, clock) -> None:
    for i in range(5):
        submit(db, clock, caller=Caller(uid=f"applicant-{i}"))
        clock.advance(timedelta(minutes=1))
    first = applications.list_pending_applications(db, caller=ADMIN, page_size=2, cursor=None)
    second = applications.list_pending_applications(
        db, caller=ADMIN, page_size=2, cursor=first.nextCursor
    )
    third = applications.list_pending_applications(
        db, caller=ADMIN, page_size=2, cursor=second.nextCursor
    )
    ids = [a["expertId"] for page in (first, second, third) for a in page.applications]
    assert ids == [f"applicant-{i}" for i in range(5)]
    assert third.nextCursor is None
    with pytest.raises(PermissionDenied):
        applications.list_pending_applications(db, caller=APPLICANT, page_size=2, cursor=None)

"""`decide_review`, the pure decision of a document review: which document, which flags, and
whether the review activates the expert. No Firestore here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from salamin.core.errors import FailedPrecondition, InvalidArgument, NotFound
from salamin.marketplace.onboarding.applications import Review, decide_review
from salamin.models.expert import (
    DocumentType,
    ExpertApplicationInput,
    ExpertProfile,
    ExpertVerification,
)
from tests.support.factories import application_data

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _doc(kind: str, name: str, status: str = "pending") -> dict[str, Any]:
    return {"type": kind, "fileName": name, "uploadDate": NOW, "status": status}


def _application(*docs: dict[str, Any], **flags: bool) -> dict[str, Any]:
    profile = ExpertProfile(
        expertId="applicant-1",
        status="pending",
        joinedAt=NOW,
        lastActiveAt=NOW,
        verification=ExpertVerification.model_validate({"documentsSubmitted": list(docs), **flags}),
        **ExpertApplicationInput.model_validate(application_data()).model_dump(),
    )
    return profile.to_firestore()


def _decide(application: dict[str, Any], kind: DocumentType = "identity", **kw: Any) -> Review:
    args: dict[str, Any] = {"approved": True, "notes": None, "file_name": None}
    args.update(kw)
    return decide_review(
        application,
        document_type=kind,
        reviewer="admin-1",
        now=NOW,
        **args,
    )


def test_approval_sets_only_its_flag_by_field_path() -> None:
    review = _decide(_application(_doc("identity", "a.pdf")))
    assert review.kind == "approved"
    assert review.updates["verification.identityVerified"] is True
    assert "verification.employmentVerified" not in review.updates
    assert review.document["status"] == "approved" and review.document["reviewedBy"] == "admin-1"


def test_the_second_verified_kind_activates() -> None:
    app = _application(_doc("employment", "e.pdf"), identityVerified=True)
    review = _decide(app, "employment")
    assert review.kind == "activate"
    assert review.profile.verification.identityVerified
    assert review.profile.verification.employmentVerified


def test_education_alone_never_activates() -> None:
    review = _decide(_application(_doc("education", "d.pdf")), "education")
    assert review.kind == "approved"


def test_rejection_records_the_reason_and_sets_no_flag() -> None:
    review = _decide(
        _application(_doc("identity", "a.pdf")), approved=False, notes="  blurry scan "
    )
    assert review.kind == "rejected"
    assert review.document["rejectionReason"] == "blurry scan"
    assert set(review.updates) == {"verification.documentsSubmitted"}


def test_the_newest_pending_document_of_the_type_is_reviewed() -> None:
    app = _application(
        _doc("identity", "old.pdf", "rejected"),
        _doc("identity", "mid.pdf"),
        _doc("employment", "e.pdf"),
        _doc("identity", "new.pdf"),
    )
    review = _decide(app)
    reviewed = [d for d in review.updates["verification.documentsSubmitted"] if "reviewedBy" in d]
    assert [d["fileName"] for d in reviewed] == ["new.pdf"]


@pytest.mark.parametrize(
    ("docs", "file_name", "error"),
    [
        ([], None, FailedPrecondition),
        ([_doc("identity", "a.pdf", "approved")], "a.pdf", FailedPrecondition),
        ([_doc("employment", "e.pdf")], "e.pdf", InvalidArgument),
        ([_doc("identity", "a.pdf")], "missing.pdf", NotFound),
    ],
)
def test_bad_review_targets_are_typed_errors(
    docs: list[dict[str, Any]], file_name: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        _decide(_application(*docs), file_name=file_name)


def test_a_non_pending_application_cannot_be_reviewed() -> None:
    app = {**_application(_doc("identity", "a.pdf")), "status": "rejected"}
    with pytest.raises(FailedPrecondition):
        _decide(app)

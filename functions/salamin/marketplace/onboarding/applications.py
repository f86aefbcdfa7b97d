"""Spec §1.1: expert applications, verification documents, admin review and activation.

Everything that must not happen twice is decided inside one Firestore transaction:
one application per user, document status changes, and activation (application -> expert,
calendar, activation email). Replaying any step finds the state already moved and changes nothing.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from google.cloud import firestore

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from salamin.gateways.mail import Email, queue_mail
from salamin.models.base import SalaminModel
from salamin.models.calendar import ExpertCalendar
from salamin.models.expert import (
    DocumentType,
    ExpertApplicationInput,
    ExpertPerformance,
    ExpertProfile,
    ExpertVerification,
    VerificationDocument,
)

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
"""Callable payloads top out near 10 MB; base64 adds a third, so 5 MB of file is the safe cap."""

ALLOWED_CONTENT_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
MAX_DOCUMENTS_PER_APPLICATION = 30
VERIFICATION_FLAGS: dict[str, str] = {
    "identity": "identityVerified",
    "employment": "employmentVerified",
    "education": "educationVerified",
}


def is_fully_verified(verification: ExpertVerification) -> bool:
    """Spec rule: identity and employment verified are enough to activate."""
    return verification.identityVerified and verification.employmentVerified


def check_document_content(*, content_type: str, data: bytes) -> None:
    """Allowed types only, within the size cap, and the bytes must really be that type."""
    if content_type not in ALLOWED_CONTENT_TYPES:
        allowed = ", ".join(sorted(ALLOWED_CONTENT_TYPES))
        raise InvalidArgument.at("file.contentType", f"must be one of {allowed}")
    if not data:
        raise InvalidArgument.at("file.data", "file is empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InvalidArgument.at("file.data", f"file is larger than {MAX_DOCUMENT_BYTES} bytes")
    if not data.startswith(ALLOWED_CONTENT_TYPES[content_type]):
        raise InvalidArgument.at("file.data", f"content is not a valid {content_type} file")


def safe_file_name(name: str) -> str:
    """Keep a readable, path-safe tail of the client's file name."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "document"
    return cleaned[-80:]


def _application_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERT_APPLICATIONS).document(expert_id)


def _expert_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERTS).document(expert_id)


def _private_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return (
        _expert_ref(db, expert_id)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_CONTACT)
    )


def _name(profile: ExpertProfile | ExpertApplicationInput) -> str:
    return f"{profile.personalInfo.firstName} {profile.personalInfo.lastName}"


# --- submit ------------------------------------------------------------------------------------


def submit_expert_application(
    db: firestore.Client, *, caller: Caller, application: ExpertApplicationInput, clock: Clock
) -> str:
    """Create `expertApplications/{uid}` (status pending) and queue the welcome email."""
    expert_id = caller.uid
    now = clock.now()
    profile = ExpertProfile(
        expertId=expert_id,
        status="pending",
        joinedAt=now,
        lastActiveAt=now,
        verification=ExpertVerification(),
        performance=ExpertPerformance(),
        **application.model_dump(),
    )
    app_ref = _application_ref(db, expert_id)
    expert_ref = _expert_ref(db, expert_id)

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        if app_ref.get(transaction=transaction).exists:
            raise AlreadyExists(
                "you already have an expert application", reason="application_exists"
            )
        if expert_ref.get(transaction=transaction).exists:
            raise AlreadyExists("you are already an expert", reason="already_expert")
        transaction.create(app_ref, profile.to_firestore())
        queue_mail(
            transaction,
            db,
            mail_id=f"expert-welcome-{expert_id}",
            now=now,
            kind="expert_welcome",
            email=Email(
                to=profile.personalInfo.email,
                subject="Welcome to Salamin: your expert application is in",
                text=(
                    f"Hi {profile.personalInfo.firstName},\n\n"
                    "Thanks for applying to interview on Salamin. Next steps:\n"
                    "1. Upload a proof of identity and a proof of employment.\n"
                    "2. Our team reviews each document, usually within two business days.\n"
                    "3. Once both are approved your profile goes live and candidates can book you.\n"
                ),
            ),
        )

    txn(db.transaction())
    return expert_id


# --- documents ---------------------------------------------------------------------------------


class UploadedDocument(SalaminModel):
    path: str
    gsUri: str
    document: VerificationDocument


def upload_verification_document(
    db: firestore.Client,
    bucket: Any,
    *,
    caller: Caller,
    expert_id: str,
    document_type: DocumentType,
    file_name: str,
    content_type: str,
    data: bytes,
    clock: Clock,
) -> UploadedDocument:
    """Store the file, then append its record and an admin notification in one transaction.

    If the transaction fails, the stored object is deleted again: nothing is left half-written.
    """
    caller.require_self_or_admin(expert_id)
    check_document_content(content_type=content_type, data=data)
    app_ref = _application_ref(db, expert_id)
    snapshot = app_ref.get()
    if not snapshot.exists:
        raise NotFound("no expert application for this user", reason="application_not_found")
    if snapshot.get("status") != "pending":
        raise FailedPrecondition(
            "this application is no longer accepting documents", reason="application_not_pending"
        )

    now = clock.now()
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    path = f"{col.EXPERT_DOCUMENTS_PREFIX}/{expert_id}/{document_type}/{stamp}_{safe_file_name(file_name)}"
    blob = bucket.blob(path)
    blob.metadata = {"expertId": expert_id, "documentType": document_type, "uploadedBy": caller.uid}
    blob.upload_from_string(data, content_type=content_type)

    record = VerificationDocument(
        type=document_type,
        fileName=path,
        contentType=content_type,
        size=len(data),
        uploadDate=now,
        status="pending",
    )
    notification_ref = db.collection(col.ADMIN_NOTIFICATIONS).document()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> None:
        snap = app_ref.get(transaction=transaction)
        if not snap.exists:
            raise NotFound("no expert application for this user", reason="application_not_found")
        if snap.get("status") != "pending":
            raise FailedPrecondition(
                "this application is no longer accepting documents",
                reason="application_not_pending",
            )
        documents = list(snap.get("verification.documentsSubmitted") or [])
        if len(documents) >= MAX_DOCUMENTS_PER_APPLICATION:
            raise FailedPrecondition(
                "too many documents on this application", reason="too_many_documents"
            )
        documents.append(record.to_firestore())
        transaction.update(app_ref, {"verification.documentsSubmitted": documents})
        transaction.create(
            notification_ref,
            {
                "type": "expert_document_review",
                "expertId": expert_id,
                "documentType": document_type,
                "fileName": path,
                "createdAt": now,
                "status": "pending",
            },
        )

    try:
        txn(db.transaction())
    except BaseException:
        blob.delete()
        raise
    return UploadedDocument(path=path, gsUri=f"gs://{bucket.name}/{path}", document=record)


# --- review and activation ---------------------------------------------------------------------


class ReviewOutcome(SalaminModel):
    documentStatus: str
    verification: ExpertVerification
    activated: bool
    expertStatus: str


def _pick_document(
    documents: list[dict[str, Any]], *, document_type: str, file_name: str | None
) -> int:
    """The document under review: the named one, else the newest pending one of that type."""
    if file_name is not None:
        for i, d in enumerate(documents):
            if d.get("fileName") == file_name:
                if d.get("type") != document_type:
                    raise InvalidArgument.at("fileName", "that file is not of this documentType")
                if d.get("status") != "pending":
                    raise FailedPrecondition(
                        f"{file_name!r} was already {d.get('status')}",
                        reason="document_already_reviewed",
                    )
                return i
        raise NotFound(
            f"no document {file_name!r} on this application", reason="document_not_found"
        )
    pending = [
        i
        for i, d in enumerate(documents)
        if d.get("type") == document_type and d.get("status") == "pending"
    ]
    if not pending:
        raise FailedPrecondition(
            f"no pending {document_type} document to review", reason="no_pending_document"
        )
    return pending[-1]


class Review(SalaminModel):
    """What one review decides, before anything is written."""

    kind: Literal["rejected", "approved", "activate"]
    """`activate`: approved, and with it identity and employment are both verified."""
    document: dict[str, Any]
    """The reviewed document record."""
    updates: dict[str, Any]
    """Field-path updates of the application."""
    profile: ExpertProfile
    """The application as it is after the review."""


def decide_review(
    application: dict[str, Any],
    *,
    document_type: DocumentType,
    approved: bool,
    notes: str | None,
    file_name: str | None,
    reviewer: str,
    now: datetime,
) -> Review:
    """The pure decision of `verify_expert_document`, from the application as read.

    Flags are updated by field path (`verification.identityVerified`), never by replacing the
    whole `verification` map: the spec's version lost earlier approvals that way.
    """
    if application.get("status") != "pending":
        raise FailedPrecondition(
            f"application is {application.get('status')}, not pending",
            reason="application_not_pending",
        )
    verification = application.get("verification", {})
    documents = list(verification.get("documentsSubmitted", []))
    index = _pick_document(documents, document_type=document_type, file_name=file_name)
    doc = dict(documents[index])
    doc.update(status="approved" if approved else "rejected", reviewedBy=reviewer, reviewedAt=now)
    if approved:
        doc.pop("rejectionReason", None)
    else:
        doc["rejectionReason"] = (notes or "").strip()
    documents[index] = doc

    updates: dict[str, Any] = {"verification.documentsSubmitted": documents}
    flag = VERIFICATION_FLAGS.get(document_type)
    if flag and approved:
        updates[f"verification.{flag}"] = True
    if notes and approved:
        updates["verification.notes"] = notes.strip()
    merged = {
        **application,
        "verification": {**verification, **{k.split(".", 1)[1]: v for k, v in updates.items()}},
    }
    profile = ExpertProfile.model_validate(merged)
    kind: Literal["rejected", "approved", "activate"] = (
        "rejected"
        if not approved
        else "activate"
        if is_fully_verified(profile.verification)
        else "approved"
    )
    return Review(kind=kind, document=doc, updates=updates, profile=profile)


def verify_expert_document(
    db: firestore.Client,
    *,
    caller: Caller,
    expert_id: str,
    document_type: DocumentType,
    approved: bool,
    notes: str | None,
    file_name: str | None,
    clock: Clock,
) -> ReviewOutcome:
    """Approve or reject one document; activate the expert in the same transaction when due.

    Read the application, `decide_review`, then write: the review, plus the rejection email or
    the activation.
    """
    caller.require_admin()
    if not approved and not (notes and notes.strip()):
        raise InvalidArgument.at("notes", "a rejection needs a reason")
    app_ref = _application_ref(db, expert_id)
    expert_ref = _expert_ref(db, expert_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> ReviewOutcome:
        snap = app_ref.get(transaction=transaction)
        if not snap.exists:
            if expert_ref.get(transaction=transaction).exists:
                raise FailedPrecondition("this expert is already active", reason="already_expert")
            raise NotFound("no expert application for this user", reason="application_not_found")
        review = decide_review(
            snap.to_dict() or {},
            document_type=document_type,
            approved=approved,
            notes=notes,
            file_name=file_name,
            reviewer=caller.uid,
            now=now,
        )
        if review.kind == "activate":
            _activate(transaction, db, profile=review.profile, admin_uid=caller.uid, now=now)
        else:
            transaction.update(app_ref, review.updates)
        if review.kind == "rejected":
            _queue_rejection(transaction, db, review, document_type=document_type, now=now)
        return ReviewOutcome(
            documentStatus="rejected" if review.kind == "rejected" else "approved",
            verification=review.profile.verification,
            activated=review.kind == "activate",
            expertStatus="active" if review.kind == "activate" else "pending",
        )

    return txn(db.transaction())


def _queue_rejection(
    transaction: firestore.Transaction,
    db: firestore.Client,
    review: Review,
    *,
    document_type: str,
    now: datetime,
) -> None:
    profile = review.profile
    queue_mail(
        transaction,
        db,
        mail_id=f"expert-doc-rejected-{profile.expertId}-{_doc_key(review.document)}",
        now=now,
        kind="expert_document_rejected",
        email=Email(
            to=profile.personalInfo.email,
            subject=f"Salamin: your {document_type} document needs another look",
            text=(
                f"Hi {profile.personalInfo.firstName},\n\n"
                f"We could not accept your {document_type} document: "
                f"{review.document['rejectionReason']}\n"
                "Please upload a new one from your expert dashboard.\n"
            ),
        ),
    )


def _doc_key(doc: dict[str, Any]) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", str(doc.get("fileName", "")).rsplit("/", 1)[-1])[:80]


def public_expert_document(profile: ExpertProfile) -> dict[str, Any]:
    """The `experts/{id}` body: the profile minus private contact data, document records and
    who verified it with which notes (all in `private_expert_document`)."""
    body = profile.to_firestore()
    personal = body["personalInfo"]
    personal.pop("email", None)
    personal.pop("phone", None)
    for key in ("documentsSubmitted", "verifiedBy", "notes"):
        body["verification"].pop(key, None)
    return body


def private_expert_document(profile: ExpertProfile) -> dict[str, Any]:
    return {
        "email": profile.personalInfo.email,
        "phone": profile.personalInfo.phone,
        "documentsSubmitted": [d.to_firestore() for d in profile.verification.documentsSubmitted],
    }


def verification_record(profile: ExpertProfile) -> dict[str, Any]:
    """`experts/{id}/private/verification`: which admin activated the expert, and their notes."""
    return {
        "verifiedBy": profile.verification.verifiedBy,
        "notes": profile.verification.notes,
        "verificationDate": profile.verification.verificationDate,
    }


def _activate(
    transaction: firestore.Transaction,
    db: firestore.Client,
    *,
    profile: ExpertProfile,
    admin_uid: str,
    now: datetime,
) -> None:
    """Application -> active expert + calendar + activation email, all in `transaction`."""
    expert_id = profile.expertId
    profile.status = "active"
    profile.verification.verificationDate = now
    profile.verification.verifiedBy = admin_uid
    profile.lastActiveAt = now
    transaction.create(_expert_ref(db, expert_id), public_expert_document(profile))
    transaction.create(_private_ref(db, expert_id), private_expert_document(profile))
    transaction.create(
        _expert_ref(db, expert_id)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_VERIFICATION),
        verification_record(profile),
    )
    transaction.set(
        db.collection(col.EXPERT_CALENDARS).document(expert_id),
        ExpertCalendar(
            expertId=expert_id, timeZone=profile.personalInfo.timeZone, lastUpdated=now
        ).to_firestore(),
    )
    transaction.delete(_application_ref(db, expert_id))
    queue_mail(
        transaction,
        db,
        mail_id=f"expert-activated-{expert_id}",
        now=now,
        kind="expert_activated",
        email=Email(
            to=profile.personalInfo.email,
            subject="You're live on Salamin",
            text=(
                f"Hi {profile.personalInfo.firstName},\n\n"
                "Your identity and employment are verified and your expert profile is now live.\n"
                "Candidates can find and book you from today. Set up payouts from your dashboard "
                "so that earnings reach your bank account.\n"
            ),
        ),
    )


# --- admin list --------------------------------------------------------------------------------


class ApplicationPage(SalaminModel):
    applications: list[dict[str, Any]]
    nextCursor: str | None


def list_pending_applications(
    db: firestore.Client, *, caller: Caller, page_size: int, cursor: str | None
) -> ApplicationPage:
    """Oldest first, so the review queue is fair; the cursor is the last expertId seen."""
    caller.require_admin()
    query = (
        db.collection(col.EXPERT_APPLICATIONS)
        .where(filter=firestore.FieldFilter("status", "==", "pending"))
        .order_by("joinedAt")
        .order_by("__name__")
    )
    if cursor:
        last = _application_ref(db, cursor).get()
        if not last.exists:
            raise InvalidArgument.at("cursor", "unknown cursor")
        query = query.start_after(last)
    docs = list(query.limit(page_size + 1).stream())
    page = docs[:page_size]
    items = []
    for d in page:
        body = d.to_dict() or {}
        items.append(
            {
                "expertId": d.id,
                "name": f"{body['personalInfo']['firstName']} {body['personalInfo']['lastName']}",
                "email": body["personalInfo"]["email"],
                "currentRole": body["professionalInfo"]["currentRole"],
                "currentCompany": body["professionalInfo"].get("currentCompany", ""),
                "joinedAt": body["joinedAt"],
                "verification": body["verification"],
            }
        )
    next_cursor = page[-1].id if len(docs) > page_size else None
    return ApplicationPage(applications=items, nextCursor=next_cursor)

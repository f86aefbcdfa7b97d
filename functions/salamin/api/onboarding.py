"""Callables of spec §1.1 (ExpertOnboardingService). Request names follow the spec's parameters."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.core.errors import InvalidArgument
from salamin.marketplace.onboarding import applications
from salamin.models.base import DocId, SalaminModel
from salamin.models.expert import DocumentType, ExpertApplicationInput


class SubmitExpertApplicationRequest(SalaminModel):
    applicationData: ExpertApplicationInput


class UploadedFile(SalaminModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    contentType: str
    data: Annotated[str, Field(min_length=1)]
    """Base64 of the file bytes."""


class UploadVerificationDocumentRequest(SalaminModel):
    expertId: DocId
    documentType: DocumentType
    file: UploadedFile


class VerifyExpertDocumentRequest(SalaminModel):
    expertId: DocId
    documentType: DocumentType
    approved: bool
    notes: Annotated[str, Field(max_length=2000)] | None = None
    fileName: str | None = None


class ListPendingApplicationsRequest(SalaminModel):
    pageSize: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: DocId | None = None


def submit_expert_application(
    caller: Caller, req: SubmitExpertApplicationRequest
) -> dict[str, Any]:
    expert_id = applications.submit_expert_application(
        firebase.db(), caller=caller, application=req.applicationData, clock=SystemClock()
    )
    return {"expertId": expert_id, "status": "pending"}


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument.at("file.data", "must be base64") from None


def upload_verification_document(
    caller: Caller, req: UploadVerificationDocumentRequest
) -> dict[str, Any]:
    result = applications.upload_verification_document(
        firebase.db(),
        firebase.bucket(),
        caller=caller,
        expert_id=req.expertId,
        document_type=req.documentType,
        file_name=req.file.name,
        content_type=req.file.contentType,
        data=_decode(req.file.data),
        clock=SystemClock(),
    )
    return {"path": result.path, "gsUri": result.gsUri, "document": result.document.to_wire()}


def verify_expert_document(caller: Caller, req: VerifyExpertDocumentRequest) -> dict[str, Any]:
    outcome = applications.verify_expert_document(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        document_type=req.documentType,
        approved=req.approved,
        notes=req.notes,
        file_name=req.fileName,
        clock=SystemClock(),
    )
    return {
        "documentStatus": outcome.documentStatus,
        "activated": outcome.activated,
        "expertStatus": outcome.expertStatus,
        "verification": outcome.verification.to_wire(),
    }


def list_pending_applications(
    caller: Caller, req: ListPendingApplicationsRequest
) -> dict[str, Any]:
    page = applications.list_pending_applications(
        firebase.db(), caller=caller, page_size=req.pageSize, cursor=req.cursor
    )
    return {"applications": page.applications, "nextCursor": page.nextCursor}

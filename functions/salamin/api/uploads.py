"""`createRecordingUpload`: a resumable upload session for the caller's recording (see
salamin.uploads.recordings for why uploads go this way)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.models.base import SalaminModel
from salamin.uploads import recordings


class CreateRecordingUploadRequest(SalaminModel):
    fileName: Annotated[str, Field(pattern=recordings.FILE_NAME_PATTERN)]
    """The object name inside `recordings/{your uid}/`, with an audio or video extension."""
    contentType: Annotated[str, Field(min_length=1, max_length=100)]
    size: Annotated[int, Field(ge=1)]
    """Exact byte count of the file; the session accepts exactly this many bytes."""
    origin: Annotated[str, Field(pattern=r"^https?://[^/\s]+$", max_length=300)] | None = None
    """The web page's origin (`https://app.example.com`), for the upload's CORS."""


def create_recording_upload(caller: Caller, req: CreateRecordingUploadRequest) -> dict[str, Any]:
    upload = recordings.create_recording_upload(
        firebase.bucket(),
        caller=caller,
        file_name=req.fileName,
        content_type=req.contentType,
        size=req.size,
        origin=req.origin,
        clock=SystemClock(),
    )
    return {
        "path": upload.path,
        "uploadUrl": upload.uploadUrl,
        "method": "PUT",
        "contentType": upload.contentType,
        "size": upload.size,
        "expiresAt": upload.expiresAt,
    }

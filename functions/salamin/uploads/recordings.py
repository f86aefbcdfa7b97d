"""Recordings upload: the server checks, Storage receives the bytes.

The Firebase Storage JS SDK talks to Firebase's own upload API, which `gcp-storage-emulator` does
not serve (501), so the client cannot upload to the offline suite that way. This design works on
both: a callable checks the caller, the path (`recordings/{uid}/{file}`), the content type and
the size, then opens a resumable upload session on the bucket with the Cloud Storage JSON API
(`Blob.create_resumable_upload_session`, the function's own credentials) and returns its
session URL. The client `PUT`s the bytes there, no token needed: the URL is the capability, valid
for one object, and in production Storage binds it to the declared size, content type and (for
browsers) the CORS origin. `analyzeVideoSession` then checks the stored object again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from salamin.analysis.jobs import MAX_MEDIA_BYTES
from salamin.analysis.media.audio import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS
from salamin.analysis.request import check_media_path
from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import InvalidArgument

SESSION_LIFETIME = timedelta(days=7)
"""How long Cloud Storage keeps a resumable upload session open."""

AUDIO_TYPES = frozenset(
    {"audio/wav", "audio/x-wav", "audio/mpeg", "audio/mp4", "audio/aac", "audio/webm",
     "audio/ogg", "audio/flac", "audio/opus"}
)  # fmt: skip
VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime", "video/x-matroska"})
FILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
"""A recording's object name inside `recordings/{uid}/`."""
MAX_RECORDING_BYTES = MAX_MEDIA_BYTES
"""These constants, with the extensions of `salamin.analysis.media.audio`, are the one source of
what a recording may be: `scripts/gen_storage_rules.py` writes storage.rules' fragment from them."""


@dataclass(frozen=True)
class RecordingUpload:
    path: str
    uploadUrl: str
    contentType: str
    size: int
    expiresAt: datetime


def content_type_fits(content_type: str, suffix: str) -> bool:
    """An audio type for an audio-only extension, audio or video for the shared ones (.webm)."""
    if content_type in VIDEO_TYPES:
        return suffix in VIDEO_EXTENSIONS
    if content_type in AUDIO_TYPES:
        return suffix in AUDIO_EXTENSIONS
    return False


def check_recording(*, caller: Caller, file_name: str, content_type: str, size: int) -> str:
    """The recording's object path if it may be uploaded, or a typed error (pure). storage.rules'
    `recordingFits` says the same for direct client uploads (tests/uploads/test_storage_rules)."""
    path = check_media_path(
        f"{col.RECORDINGS_PREFIX}/{caller.uid}/{file_name}",
        field="fileName",
        uid=caller.uid,
        video=False,
    )
    suffix = PurePosixPath(file_name).suffix.lower()
    if not content_type_fits(content_type, suffix):
        allowed = sorted(
            (VIDEO_TYPES if suffix in VIDEO_EXTENSIONS else set())
            | (AUDIO_TYPES if suffix in AUDIO_EXTENSIONS else set())
        )
        raise InvalidArgument.at(
            "contentType", f"{content_type} does not fit {suffix}; use {', '.join(allowed)}"
        )
    if size > MAX_RECORDING_BYTES:
        raise InvalidArgument.at("size", f"must be at most {MAX_RECORDING_BYTES // 2**20} MB")
    return path


def create_recording_upload(
    bucket: Any,
    *,
    caller: Caller,
    file_name: str,
    content_type: str,
    size: int,
    origin: str | None,
    clock: Clock,
) -> RecordingUpload:
    """Check the request and open a resumable upload session for `recordings/{uid}/{file}`."""
    path = check_recording(caller=caller, file_name=file_name, content_type=content_type, size=size)
    url = bucket.blob(path).create_resumable_upload_session(
        content_type=content_type, size=size, origin=origin
    )
    return RecordingUpload(
        path=path,
        uploadUrl=url,
        contentType=content_type,
        size=size,
        expiresAt=clock.now() + SESSION_LIFETIME,
    )

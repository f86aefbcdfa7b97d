"""Recordings upload sessions against the Storage emulator: the session URL takes the bytes with
a plain PUT, and the checks refuse other folders, unsupported types and oversized files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from salamin.analysis.jobs import MAX_MEDIA_BYTES
from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, PermissionDenied
from salamin.uploads import recordings

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
USER = Caller(uid="user-1")


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _upload(bucket: Any, **kw: Any) -> recordings.RecordingUpload:
    args: dict[str, Any] = {
        "file_name": "answer.wav",
        "content_type": "audio/wav",
        "size": 11,
        "origin": None,
    } | kw
    return recordings.create_recording_upload(bucket, caller=USER, clock=FixedClock(), **args)


def test_session_url_takes_the_bytes_with_a_plain_put(bucket: Any) -> None:
    upload = _upload(bucket)
    assert upload.path == "recordings/user-1/answer.wav"
    assert upload.expiresAt == NOW + timedelta(days=7)
    r = requests.put(
        upload.uploadUrl, data=b"hello world", headers={"Content-Type": "audio/wav"}, timeout=10
    )
    assert r.status_code == 200, r.text
    blob = bucket.get_blob(upload.path)
    assert (blob.size, blob.content_type) == (11, "audio/wav")
    assert blob.download_as_bytes() == b"hello world"


@pytest.mark.parametrize(
    ("kw", "error", "path"),
    [
        ({"file_name": "../user-2/answer.wav"}, InvalidArgument, "fileName"),
        ({"file_name": "nested/answer.wav"}, PermissionDenied, None),
        ({"file_name": "answer.exe", "content_type": "audio/wav"}, InvalidArgument, "fileName"),
        ({"file_name": "answer.wav", "content_type": "video/mp4"}, InvalidArgument, "contentType"),
        ({"file_name": "answer.mp4", "content_type": "text/html"}, InvalidArgument, "contentType"),
        ({"size": MAX_MEDIA_BYTES + 1}, InvalidArgument, "size"),
    ],
)
def test_refused_requests_open_no_session(
    bucket: Any, kw: dict[str, Any], error: type[Exception], path: str | None
) -> None:
    with pytest.raises(error) as err:
        _upload(bucket, **kw)
    if path:
        assert isinstance(err.value, InvalidArgument)
        assert [f["path"] for f in err.value.fields] == [path]
    assert list(bucket.list_blobs(prefix="recordings/")) == []


def test_webm_is_audio_or_video() -> None:
    assert recordings.content_type_fits("audio/webm", ".webm")
    assert recordings.content_type_fits("video/webm", ".webm")
    assert not recordings.content_type_fits("video/webm", ".wav")
    assert not recordings.content_type_fits("audio/wav", ".mp4")

"""Typed media errors. All are `InvalidArgument`: the caller sent something we cannot analyse.

Messages are safe to show a client: they name the field (`audio`/`video`) and the problem,
never a server path.
"""

from __future__ import annotations

from salamin.core.errors import FailedPrecondition, InvalidArgument

MAX_MEDIA_SECONDS = 60 * 60
"""Recordings over an hour are refused: interviews are shorter and analysis cost is linear."""


class UnsupportedMedia(InvalidArgument):
    """Unknown container/extension, or the file lacks the stream that was asked for."""


class NoAudioTrack(UnsupportedMedia):
    """A container without audio: fatal for an audio file, only drops verbal for a video."""


class CorruptMedia(InvalidArgument):
    """The container or codec data cannot be decoded."""


class SilentMedia(InvalidArgument):
    """The audio is empty, digitally silent, or holds too little speech to measure."""


class MediaTooLong(InvalidArgument):
    """Over `MAX_MEDIA_SECONDS`."""


class SpeechModelUnavailable(FailedPrecondition):
    """The bundled speech model is missing or fails its checksum: a deployment problem."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="speech_model_unavailable")

"""Decode any supported container's audio track to 16 kHz mono float32 with PyAV.

PyAV bundles its own FFmpeg libraries, so this works inside Cloud Functions where no ffmpeg
binary exists. 16 kHz mono is what the recogniser and the voice-activity model expect; the
level is preserved (no normalisation), so dBFS figures describe the recording.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from salamin.analysis.media.errors import (
    MAX_MEDIA_SECONDS,
    CorruptMedia,
    MediaTooLong,
    NoAudioTrack,
    SilentMedia,
    UnsupportedMedia,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SAMPLE_RATE = 16_000

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".webm", ".weba"}
)
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi"})

SILENCE_DBFS = -60.0
"""A track whose loudest 0.1 s block is below this is treated as silent (no speech at all)."""


@dataclass(frozen=True)
class DecodedAudio:
    samples: npt.NDArray[np.float32]
    """Mono, SAMPLE_RATE Hz, in [-1, 1]."""
    duration: float


def check_extension(path: Path, *, field: str, allowed: frozenset[str]) -> None:
    """Refuse by name before touching the bytes: cheap, and a clear message for the client."""
    if path.suffix.lower() not in allowed:
        shown = path.suffix.lower() or "(none)"
        raise UnsupportedMedia.at(field, f"unsupported file type {shown}")


def open_container(path: Path, *, field: str):  # type: ignore[no-untyped-def]
    """`av.open` with its failures turned into typed errors."""
    import av

    if not path.is_file():
        raise UnsupportedMedia.at(field, "file not found")
    if path.stat().st_size == 0:
        raise SilentMedia.at(field, "file is empty")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise CorruptMedia.at(field, "cannot read the file: not a media file or corrupt") from exc


def container_duration(container) -> float | None:  # type: ignore[no-untyped-def]
    """Declared duration in seconds, or None when the container does not say."""
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000
    return None


def decode_audio(path: Path, *, field: str = "audio") -> DecodedAudio:
    """Decode the first audio stream. Raises Unsupported/Corrupt/Silent/MediaTooLong."""
    import av
    import numpy as np

    container = open_container(path, field=field)
    chunks: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            raise NoAudioTrack.at(field, "the file has no audio track")
        declared = container_duration(container)
        if declared is not None and declared > MAX_MEDIA_SECONDS:
            raise MediaTooLong.at(field, f"recording is over {MAX_MEDIA_SECONDS // 60} minutes")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        total = 0
        limit = (MAX_MEDIA_SECONDS + 1) * SAMPLE_RATE
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1)
                    chunks.append(arr)
                    total += arr.size
                if total > limit:
                    raise MediaTooLong.at(
                        field, f"recording is over {MAX_MEDIA_SECONDS // 60} minutes"
                    )
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as exc:
            if not chunks:
                raise CorruptMedia.at(field, "cannot decode the audio track") from exc
            # A truncated tail still leaves a usable recording: keep what decoded.
    if not chunks:
        raise SilentMedia.at(field, "the audio track is empty")
    pcm = np.concatenate(chunks).astype(np.float32) / 32768.0
    duration = pcm.size / SAMPLE_RATE
    if duration < 0.5:
        raise SilentMedia.at(field, "the audio is shorter than half a second")
    if peak_block_dbfs(pcm) < SILENCE_DBFS:
        raise SilentMedia.at(field, "the audio is silent")
    return DecodedAudio(samples=pcm, duration=duration)


def peak_block_dbfs(pcm: npt.NDArray[np.float32], *, block_s: float = 0.1) -> float:
    """Loudness of the loudest 0.1 s block: robust to a single click, unlike the peak sample."""
    import numpy as np

    n = int(block_s * SAMPLE_RATE)
    usable = pcm[: pcm.size - pcm.size % n].reshape(-1, n) if pcm.size >= n else pcm[None, :]
    rms = np.sqrt(np.mean(np.square(usable, dtype=np.float64), axis=1))
    return float(20 * np.log10(max(float(rms.max()), 1e-12)))

"""Unusable media gives typed `InvalidArgument` errors naming the field, never a crash."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from salamin.analysis.media import audio as audio_mod
from salamin.analysis.media.errors import (
    CorruptMedia,
    MediaTooLong,
    NoAudioTrack,
    SilentMedia,
    UnsupportedMedia,
)
from salamin.analysis.media.pipeline import measure
from salamin.core.errors import InvalidArgument

SR = 16_000


def write_wav(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def write_audio_only_mkv(path: Path, seconds: float = 1.0) -> Path:
    """A real container with an audio track and no video track (written with PyAV)."""
    import av

    t = np.arange(int(seconds * SR)) / SR
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("pcm_s16le", rate=SR, layout="mono")
        for k in range(0, pcm.size, 1024):
            frame = av.AudioFrame.from_ndarray(pcm[None, k : k + 1024], format="s16", layout="mono")
            frame.sample_rate, frame.pts = SR, k
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def assert_field(exc: InvalidArgument, field: str) -> None:
    assert exc.code == "invalid-argument"
    assert exc.fields[0]["path"] == field
    assert "/" not in exc.message  # no server path leaks to the client


def test_unsupported_extension(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    with pytest.raises(UnsupportedMedia) as e:
        measure(audio_path=p)
    assert_field(e.value, "audio")
    assert ".txt" in e.value.message


def test_video_field_refuses_an_audio_extension(tmp_path):
    with pytest.raises(UnsupportedMedia) as e:
        measure(video_path=write_wav(tmp_path / "a.wav", np.zeros(SR)))
    assert_field(e.value, "video")


def test_nothing_given():
    with pytest.raises(InvalidArgument):
        measure()


def test_missing_file(tmp_path):
    with pytest.raises(UnsupportedMedia, match="not found"):
        measure(audio_path=tmp_path / "gone.wav")


def test_corrupt_file(tmp_path):
    p = tmp_path / "broken.wav"
    p.write_bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(CorruptMedia) as e:
        measure(audio_path=p)
    assert_field(e.value, "audio")


def test_corrupt_video(tmp_path):
    p = tmp_path / "broken.mp4"
    p.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    with pytest.raises(CorruptMedia) as e:
        measure(video_path=p)
    assert_field(e.value, "video")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(SilentMedia, match="empty"):
        measure(audio_path=p)


def test_digital_silence(tmp_path):
    with pytest.raises(SilentMedia, match="silent"):
        measure(audio_path=write_wav(tmp_path / "s.wav", np.zeros(3 * SR)))


def test_too_short(tmp_path):
    with pytest.raises(SilentMedia, match="shorter"):
        measure(audio_path=write_wav(tmp_path / "s.wav", np.full(SR // 5, 0.1)))


def test_noise_without_speech(tmp_path):
    noise = np.random.default_rng(2).standard_normal(4 * SR) * 0.03
    with pytest.raises(SilentMedia, match="no speech"):
        measure(audio_path=write_wav(tmp_path / "n.wav", noise))


def test_over_the_length_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_mod, "MAX_MEDIA_SECONDS", 2)
    with pytest.raises(MediaTooLong) as e:
        measure(audio_path=write_wav(tmp_path / "long.wav", np.full(3 * SR, 0.1)))
    assert_field(e.value, "audio")


def test_video_file_without_a_video_track(tmp_path):
    p = write_audio_only_mkv(tmp_path / "audio-only.mkv")
    with pytest.raises(UnsupportedMedia, match="no video track"):
        measure(video_path=p)


def test_audio_file_without_an_audio_track_is_refused(tmp_path):
    import av

    p = tmp_path / "picture.mkv"
    with av.open(str(p), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(NoAudioTrack, match="no audio track"):
        measure(audio_path=p)


def test_video_without_sound_measures_the_picture_and_says_why_verbal_is_missing(tmp_path):
    import av

    p = tmp_path / "mute.mkv"
    with av.open(str(p), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=5)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(15):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 120, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    m = measure(video_path=p)
    assert m.audioSource == "none" and m.verbal is None
    assert {a.metric: a.reason for a in m.absent}["verbal"] == "the video has no audio track"
    assert m.nonVerbal is not None and m.nonVerbal.facePresence is not None
    assert m.nonVerbal.facePresence.percentage == 0

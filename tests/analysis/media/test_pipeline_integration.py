"""The real pipeline (Whisper, Silero, Praat, OpenCV) on a short generated recording with known
words, fillers, pauses and face segments (see conftest.SHORT)."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from salamin.analysis.media.models import MediaMeasurement
from salamin.analysis.media.pipeline import measure

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def audio_run(short_media):
    calls: list[tuple[float, str]] = []
    m = measure(audio_path=short_media.wav, progress=lambda f, msg: calls.append((f, msg)))
    return m, calls


@pytest.fixture(scope="module")
def video_run(short_media):
    return measure(video_path=short_media.mp4)


def test_transcript_words_are_timed_and_ordered(audio_run):
    m, _ = audio_run
    assert m.transcript is not None
    text = m.transcript.text.lower()
    assert (
        "migration" in text and "tests" in text
    )  # robust words; "billing" is sometimes "building"
    ws = m.evidence.words
    assert len(ws) >= 15
    assert all(w.start < w.end for w in ws)
    assert all(a.start <= b.start for a, b in itertools.pairwise(ws))


def test_pace_is_close_to_the_scripted_rate(audio_run, short_media):
    m, _ = audio_run
    pace = m.verbal.speakingPace
    assert pace is not None
    assert pace.averageWPM == pytest.approx(short_media.truth["wpm"], rel=0.10)
    assert 0 <= pace.score <= 100


def test_fillers_are_found_inside_their_phrases(audio_run, short_media):
    m, _ = audio_run
    truth = short_media.truth["fillers"]
    found = m.evidence.fillers
    hits = {
        g["word"]
        for g in truth
        if any(f.word == g["word"] and g["start"] - 0.3 <= f.start <= g["end"] + 0.3 for f in found)
    }
    assert len(hits) >= 2, (found, truth)  # recall: at least 2 of um / like / you know
    assert len(found) <= len(truth)  # precision: nothing outside the script
    assert m.verbal.fillerWords is not None and m.verbal.fillerWords.count == len(found)


def test_scripted_pauses_are_measured_and_classified(audio_run, short_media):
    m, _ = audio_run
    got = m.evidence.pauses
    assert len(got) == len(short_media.truth["pauses"]) == 2
    for p, g in zip(got, short_media.truth["pauses"], strict=True):
        assert p.start == pytest.approx(g["start"], abs=0.25)
        assert p.end == pytest.approx(g["end"], abs=0.25)
    assert [p.kind for p in got] == ["strategic", "awkward"]
    assert m.verbal.pauses is not None and m.verbal.pauses.awkwardSilences == 1


def test_clarity_pitch_and_signal_quality_are_measured(audio_run):
    m, _ = audio_run
    c = m.verbal.clarity
    assert c is not None and c.snrDb is not None
    assert c.snrDb == pytest.approx(30, abs=5)  # generated at 30 dB SNR
    assert m.verbal.tonality is not None and m.verbal.tonality.voicedTime > 1
    q = m.signalQuality
    assert q.speechDuration and 5 < q.speechDuration < q.mediaDuration
    assert q.audioConfidence is not None and q.videoConfidence is None


def test_absences_are_explained(audio_run):
    m, _ = audio_run
    reasons = {a.metric: a.reason for a in m.absent}
    assert reasons["nonVerbal"] == "no video provided"
    assert "verbal.tonality.enthusiasm" in reasons
    assert m.nonVerbal is None


def test_progress_is_monotonic_and_finishes(audio_run):
    _, calls = audio_run
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions)
    assert calls[-1] == (1.0, "done")
    assert any("transcrib" in msg for _, msg in calls)


def test_json_round_trips(audio_run):
    m, _ = audio_run
    again = MediaMeasurement.model_validate_json(m.model_dump_json())
    assert again == m


def test_video_alone_gives_audio_from_its_track_and_face_evidence(video_run, short_media):
    m = video_run
    assert m.audioSource == "video" and m.hasVideo
    assert m.verbal is not None and m.verbal.speakingPace is not None
    present = {s.second: s.present for s in m.evidence.facePresence}
    truth = {s["second"]: s["face"] for s in short_media.truth["video"]["seconds"] if s["pure"]}
    agree = sum(present.get(k) == v for k, v in truth.items())
    assert agree / len(truth) >= 0.9
    nv = m.nonVerbal
    assert nv is not None and nv.eyeContact is not None and nv.facePresence is not None
    true_share = 100 * sum(truth.values()) / len(truth)
    assert nv.eyeContact.percentage == pytest.approx(true_share, abs=12)
    assert m.signalQuality.videoConfidence is not None
    assert "nonVerbal.facialExpressions" in {a.metric for a in m.absent}


def test_cli_prints_json_with_evidence(short_media):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "analyze_media.py"),
            "--audio",
            str(short_media.wav),
        ],
        env={k: v for k, v in os.environ.items() if k != "GEMINI_API_KEY"},
        check=True,
        capture_output=True,
        text=True,
    )
    doc = json.loads(out.stdout)
    assert {"words", "fillers", "pauses", "facePresence"} <= set(doc["evidence"])
    assert doc["evidence"]["pauses"] and doc["metrics"]["verbal"]["speakingPace"]["averageWPM"] > 0
    assert doc["metrics"]["content"]["structureClarity"]["source"] == "fallback"  # no Gemini key
    assert len(doc["recommendations"]) >= 5
    assert "done" in out.stderr


def test_cli_reports_bad_media_with_exit_status_2(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"RIFF....not really")
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "analyze_media.py"), "--audio", str(bad)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "invalid-argument" in out.stderr and out.stdout == ""

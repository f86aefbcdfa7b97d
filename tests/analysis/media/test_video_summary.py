"""Video metrics from frame observations (no decoding): darkness, faces, centring, motion."""

from __future__ import annotations

import pytest

from salamin.analysis.media.video import FrameObservation, head_movement, is_centred, summarise

SIZE = (320, 240)
CENTRED = (130, 80, 60, 60)  # centre (160, 110)
LEFT = (10, 80, 60, 60)  # centre (40, 110): x offset 0.375 of the width


def frames(n, *, start=0.0, face=CENTRED, lum=120.0, active=False, fps=5.0):
    return [
        FrameObservation(t=start + i / fps, luminance=lum, face=face,
                         motion=0.01 if active else 0.0, active=active)
        for i in range(n)
    ]  # fmt: skip


def absent(result):
    return {a.metric: a.reason for a in result.absences}


def test_centring_rule():
    assert is_centred(CENTRED, width=320, height=240)
    assert not is_centred(LEFT, width=320, height=240)


def test_mostly_dark_video_makes_every_video_metric_absent():
    obs = frames(20, lum=10) + frames(5, start=4)
    r = summarise(obs, frame_size=SIZE, duration=5)
    assert r.measurement.facePresence is None and r.measurement.eyeContact is None
    assert "too dark" in absent(r)["nonVerbal.eyeContact"]
    assert r.dark_share == pytest.approx(0.8)
    assert [s.present for s in r.seconds][:4] == [None, None, None, None]


def test_no_face_is_a_measured_zero_presence_but_absent_eye_contact():
    r = summarise(frames(50, face=None), frame_size=SIZE, duration=10)
    assert r.measurement.facePresence is not None
    assert r.measurement.facePresence.percentage == 0
    assert r.measurement.eyeContact is None and r.measurement.posture is None
    assert "no frontal face" in absent(r)["nonVerbal.eyeContact"]


def test_presence_eye_contact_and_consistency():
    # 10 s centred, 5 s off-centre, 5 s without a face: 5 fps.
    obs = frames(50) + frames(25, start=10, face=LEFT) + frames(25, start=15, face=None)
    r = summarise(obs, frame_size=SIZE, duration=20)
    nv = r.measurement
    assert nv.facePresence is not None and nv.eyeContact is not None
    assert nv.facePresence.percentage == 75
    assert (nv.facePresence.secondsWithFace, nv.facePresence.secondsMeasured) == (15, 20)
    assert nv.eyeContact.percentage == 50
    # windows: 1, 1, 0, 0 -> std 0.5 -> consistency 0
    assert nv.eyeContact.consistency == 0
    assert nv.eyeContact.score == 50
    assert [s.present for s in r.seconds] == [True] * 15 + [False] * 5
    assert r.seconds[0].centredFaceFrames == 5 and r.seconds[12].centredFaceFrames == 0


def test_head_movement_is_windowed_so_one_move_is_not_instability():
    still_then_moved = frames(25) + frames(25, start=5, face=(200, 80, 60, 60))
    assert head_movement(still_then_moved) == 0
    r = summarise(still_then_moved, frame_size=SIZE, duration=10)
    assert r.measurement.posture is not None and r.measurement.posture.stability == 100


def test_head_movement_in_face_widths():
    jitter = [
        FrameObservation(t=i / 5, luminance=100, face=(130 + (6 if i % 2 else -6), 80, 60, 60))
        for i in range(25)
    ]
    assert head_movement(jitter) == pytest.approx(6 / 60, rel=0.05)


def test_gestures_share_and_bursts():
    obs = (
        frames(10)
        + frames(10, start=2, active=True)
        + frames(10, start=4)
        + frames(10, start=6, active=True)
    )
    r = summarise(obs, frame_size=SIZE, duration=8)
    g = r.measurement.gestures
    assert g is not None
    assert g.activeShare == 0.5
    assert g.frequency == pytest.approx(2 / (40 / 5 / 60))  # 2 bursts in 8 s
    assert g.score == 100


def test_posture_needs_enough_face_frames():
    r = summarise(frames(5) + frames(20, start=1, face=None), frame_size=SIZE, duration=5)
    assert r.measurement.posture is None
    assert "only 5 frames" in absent(r)["nonVerbal.posture"]

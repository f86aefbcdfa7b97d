"""Video decisions from frame observations (no decoding): darkness, faces, facing, motion."""

from __future__ import annotations

import pytest

from salamin.analysis.media.nonverbal import (
    FrameObservation,
    face_second,
    head_movement,
    is_centred,
    summarise,
    too_dark,
)

SIZE = (320, 240)
CENTRED = (130, 80, 60, 60)  # centre (160, 110)
LEFT = (10, 80, 60, 60)  # centre (40, 110): x offset 0.375 of the width


FACING = 0.02  # nose offset from the eye midpoint, in eye distances: a frontal face
TURNED = 0.2  # about 45 degrees of yaw


def frames(n, *, start=0.0, face=CENTRED, lum=120.0, active=False, fps=5.0, offset=FACING):
    return [
        FrameObservation(t=start + i / fps, luminance=lum, face=face, offset=offset,
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
    assert "no face found" in absent(r)["nonVerbal.eyeContact"]


def test_presence_eye_contact_and_consistency():
    # 10 s facing the camera, 5 s turned away (off-centre too), 5 s without a face: 5 fps.
    obs = (
        frames(50)
        + frames(25, start=10, face=LEFT, offset=TURNED)
        + frames(25, start=15, face=None)
    )
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
    assert [s.facing for s in r.seconds] == [True] * 10 + [False] * 5 + [None] * 5
    assert r.seconds[0].centredFaceFrames == 5 and r.seconds[12].centredFaceFrames == 0


def test_an_off_centre_face_that_faces_the_camera_is_eye_contact():
    r = summarise(frames(50, face=LEFT), frame_size=SIZE, duration=10)
    assert r.measurement.eyeContact is not None and r.measurement.eyeContact.percentage == 100


def test_a_face_without_landmarks_is_present_but_not_facing():
    r = summarise(frames(25, offset=None), frame_size=SIZE, duration=5)
    assert r.measurement.facePresence is not None and r.measurement.facePresence.percentage == 100
    assert r.measurement.eyeContact is not None and r.measurement.eyeContact.percentage == 0
    assert {s.facing for s in r.seconds} == {None}


def test_a_dark_second_is_cannot_tell_with_the_reason_not_no_face():
    obs = frames(20) + frames(5, start=4, lum=8, face=None) + frames(25, start=5)
    r = summarise(obs, frame_size=SIZE, duration=10)
    dark = r.seconds[4]
    assert dark.present is None and dark.faceFrames == 0 and dark.darkFrames == 5
    assert (
        dark.cannotTell is not None and "too dark" in dark.cannotTell and "8/255" in dark.cannotTell
    )
    assert all(s.cannotTell is None for s in r.seconds if s.second != 4)
    assert r.measurement.facePresence is not None
    assert r.measurement.facePresence.secondsCannotTell == 1
    assert r.measurement.facePresence.secondsMeasured == 9
    assert r.measurement.facePresence.percentage == 100  # dark frames are not "no face"


def test_a_half_dark_second_is_judged_on_its_lit_frames():
    s = face_second(0, frames(3, lum=8, face=None) + frames(2, start=0.6), width=320, height=240)
    assert s.present is True and s.cannotTell is None and s.darkFrames == 3


def test_too_dark_rule():
    assert too_dark(None) == "no frames"
    assert too_dark(0.5) is None
    reason = too_dark(0.51)
    assert reason is not None and reason.startswith("cannot tell") and "51%" in reason


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

"""Five-point landmarks: the facing-the-camera proxy, and the vendored model on real pixels."""

from __future__ import annotations

import math

import pytest

from salamin.analysis.media import landmarks
from salamin.analysis.media.landmarks import Landmarks, facing_offset, is_facing, square_box


def face(*, nose_dx: float, roll_deg: float = 0.0) -> Landmarks:
    """Eyes 40 px apart around (100, 100), nose 25 px below, shifted along the eye line."""
    c, s = math.cos(math.radians(roll_deg)), math.sin(math.radians(roll_deg))

    def at(x: float, y: float) -> tuple[float, float]:
        return 100 + c * x - s * y, 100 + s * x + c * y

    return Landmarks(0.99, at(-20, 0), at(20, 0), at(nose_dx, 25), at(-15, 45), at(15, 45))


def test_offset_is_the_nose_shift_in_eye_distances():
    assert facing_offset(face(nose_dx=0)) == pytest.approx(0)
    assert facing_offset(face(nose_dx=8)) == pytest.approx(0.2)
    assert facing_offset(face(nose_dx=-8)) == pytest.approx(0.2)


def test_a_rolled_head_that_faces_the_camera_still_faces_it():
    assert facing_offset(face(nose_dx=0, roll_deg=25)) == pytest.approx(0, abs=1e-9)
    assert facing_offset(face(nose_dx=8, roll_deg=-25)) == pytest.approx(0.2)


def test_facing_cut_off_sits_between_frontal_and_a_thirty_degree_turn():
    assert is_facing(0.04) and not is_facing(0.2) and not is_facing(None)
    assert pytest.approx(0.10) == landmarks.FACING_MAX_OFFSET


def test_degenerate_eyes_give_no_offset():
    lm = Landmarks(0.9, (10, 10), (10, 10), (12, 20), (5, 30), (15, 30))
    assert facing_offset(lm) is None


def test_square_box_is_clipped_to_the_frame():
    assert square_box((0, 0, 40, 20), width=100, height=100) == (0, 0, 44, 34)
    x, y, w, h = square_box((50, 50, 20, 20), width=100, height=100)
    assert (w, h) == (24, 24) and (x, y) == (48, 48)


@pytest.mark.slow
def test_model_file_matches_its_pinned_checksum_and_a_tampered_one_is_refused(
    tmp_path, monkeypatch
):
    landmarks._session.cache_clear()
    assert landmarks._session() is not None
    bad = tmp_path / "onet.onnx"
    bad.write_bytes(landmarks.MODEL_PATH.read_bytes()[:-1] + b"\0")
    monkeypatch.setattr(landmarks, "MODEL_PATH", bad)
    landmarks._session.cache_clear()
    with pytest.raises(landmarks.LandmarkModelUnavailable, match="checksum"):
        landmarks._session()
    landmarks._session.cache_clear()

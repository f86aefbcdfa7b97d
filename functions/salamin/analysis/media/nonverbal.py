"""Non-verbal decisions from per-frame observations: pure functions, no decoding (see `video`).

Per sampled frame `video.observe` records mean luminance, the largest face (Haar box confirmed
by the landmark network), its facing-the-camera offset (`landmarks.facing_offset`) and motion
since the previous sample. From those:

* **dark frame**: mean luminance < `DARK_LUMINANCE` (40 of 255). We cannot tell whether a face
  is there, so a dark frame is neither "face" nor "no face": it is left out of every share below
  and a second with only dark frames says `present=None` and `cannotTell` with the reason. If
  over half the frames are dark, all video metrics are absent.
* **face presence**: share of usable frames with a face; per second, `present` when at least
  half that second's usable frames had one.
* **eye-contact proxy**: share of usable frames with a face that faces the camera (nose within
  `landmarks.FACING_MAX_OFFSET` eye distances of the eye midpoint: a head turned past about
  30° fails). It measures "facing the camera", not true gaze. Consistency: 100 × (1 − std of
  the proxy over 5 s windows / 0.5).
* **head stability**: std of the face centre within 5 s windows, median over windows, in units
  of the median face width (so one change of seat is not "unsteady"); needs `MIN_FACE_FRAMES`.
* **gesture/motion**: `motionEnergy` is the mean grey-level change outside the widened face
  box / 255; an interval is *active* when over 2% of those pixels changed by more than 25
  levels; a burst is a run of active intervals. Camera shake or lighting changes also count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from salamin.analysis.media import scoring
from salamin.analysis.media.landmarks import is_facing
from salamin.analysis.media.models import (
    Absence,
    EyeContact,
    FacePresence,
    FaceSecond,
    Gestures,
    NonVerbalMeasurement,
    Posture,
)

SAMPLE_FPS = 5.0
DARK_LUMINANCE = 40.0
DARK_SHARE_LIMIT = 0.5
CENTRE_DX = 0.2
CENTRE_DY = 0.3
MIN_FACE_FRAMES = 10
CONSISTENCY_WINDOW_S = 5.0

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FrameObservation:
    t: float
    luminance: float
    face: Box | None = None
    offset: float | None = None
    """Facing offset of `face` (nose from eye midpoint, eye distances); None: no landmarks."""
    motion: float | None = None
    """Mean |diff|/255 outside the face box since the previous usable sample."""
    active: bool | None = None

    @property
    def dark(self) -> bool:
        return self.luminance < DARK_LUMINANCE

    @property
    def facing(self) -> bool:
        return self.face is not None and is_facing(self.offset)


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


def dark_reason(luminances: Sequence[float]) -> str:
    mean = sum(luminances) / len(luminances)
    return (
        f"cannot tell: too dark (mean luminance {mean:.0f}/255, below {DARK_LUMINANCE:.0f}) "
        "to see whether a face is there"
    )


def face_second(
    second: int, group: Sequence[FrameObservation], *, width: int, height: int
) -> FaceSecond:
    """One second's evidence: counts, presence (None when every frame was dark) and why."""
    ok = [o for o in group if not o.dark]
    faces = [o for o in ok if o.face is not None]
    centred = [
        o for o in faces if o.face is not None and is_centred(o.face, width=width, height=height)
    ]
    facing = [o for o in faces if o.facing]
    measured = [o for o in faces if o.offset is not None]
    return FaceSecond(
        second=second,
        sampledFrames=len(group),
        darkFrames=len(group) - len(ok),
        faceFrames=len(faces),
        centredFaceFrames=len(centred),
        facingFrames=len(facing),
        present=(len(faces) * 2 >= len(ok)) if ok else None,
        facing=(len(facing) * 2 >= len(measured)) if measured and len(faces) * 2 >= len(ok) else None,
        cannotTell=None if ok else dark_reason([o.luminance for o in group]),
    )  # fmt: skip


def per_second(obs: Sequence[FrameObservation], *, frame_size: tuple[int, int]) -> list[FaceSecond]:
    groups: dict[int, list[FrameObservation]] = {}
    for o in obs:
        groups.setdefault(int(o.t), []).append(o)
    w, h = frame_size
    return [face_second(s, groups[s], width=w, height=h) for s in sorted(groups)]


def too_dark(dark_share: float | None) -> str | None:
    """The reason every video metric is absent, or None when enough frames are usable."""
    if dark_share is None:
        return "no frames"
    if dark_share > DARK_SHARE_LIMIT:
        return (
            f"cannot tell: video too dark, {dark_share:.0%} of sampled frames below mean "
            f"luminance {DARK_LUMINANCE:.0f}/255"
        )
    return None


def window_shares(usable: Sequence[FrameObservation], flags: Sequence[bool]) -> list[float]:
    """Share of flagged frames per 5 s window holding at least half a window of frames."""
    buckets: dict[int, list[bool]] = {}
    t0 = usable[0].t
    for o, flag in zip(usable, flags, strict=True):
        buckets.setdefault(int((o.t - t0) // CONSISTENCY_WINDOW_S), []).append(flag)
    need = CONSISTENCY_WINDOW_S * SAMPLE_FPS / 2
    return [sum(f) / len(f) for f in buckets.values() if len(f) >= need]


def eye_contact(usable: Sequence[FrameObservation]) -> tuple[EyeContact, list[Absence]]:
    """Facing-the-camera share and its consistency over 5 s windows."""
    flags = [o.facing for o in usable]
    pct = 100 * sum(flags) / len(usable)
    shares = window_shares(usable, flags)
    absences: list[Absence] = []
    consistency = None
    if len(shares) >= 2:
        mean = sum(shares) / len(shares)
        std = math.sqrt(sum((p - mean) ** 2 for p in shares) / len(shares))
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
    return eye, absences


def posture(faces: Sequence[FrameObservation]) -> tuple[Posture | None, Absence | None]:
    if len(faces) < MIN_FACE_FRAMES:
        return None, Absence(
            metric="nonVerbal.posture",
            reason=f"face found in only {len(faces)} frames (need {MIN_FACE_FRAMES})",
        )
    movement = head_movement(faces)
    stability = scoring.head_stability_score(movement)
    return Posture(headMovement=round(movement, 4), stability=stability, score=stability), None


def gestures(usable: Sequence[FrameObservation], *, usable_s: float) -> Gestures | None:
    pairs = [o for o in usable if o.motion is not None and o.active is not None]
    if len(pairs) < 2:
        return None
    active = [bool(o.active) for o in pairs]
    bursts = sum(1 for i, a in enumerate(active) if a and (i == 0 or not active[i - 1]))
    share = sum(active) / len(active)
    return Gestures(
        motionEnergy=round(sum(o.motion or 0.0 for o in pairs) / len(pairs), 5),
        activeShare=round(share, 4),
        frequency=round(bursts / max(usable_s / 60, 1e-9), 2),
        score=scoring.gesture_score(share),
    )


GROUPS = ("facePresence", "eyeContact", "posture", "gestures")


def summarise(
    obs: Sequence[FrameObservation], *, frame_size: tuple[int, int], duration: float
) -> VideoResult:
    """Metrics, per-second evidence and absences from observations."""
    usable = [o for o in obs if not o.dark]
    dark_share = 1 - len(usable) / len(obs) if obs else None
    mean_lum = sum(o.luminance for o in obs) / len(obs) if obs else None
    result = VideoResult(
        measurement=NonVerbalMeasurement(),
        seconds=per_second(obs, frame_size=frame_size),
        absences=[],
        duration=duration,
        sampled_frames=len(obs),
        mean_luminance=round(mean_lum, 2) if mean_lum is not None else None,
        dark_share=round(dark_share, 4) if dark_share is not None else None,
        face_share=None,
        usable_seconds=len(usable) / SAMPLE_FPS,
        frame_size=frame_size,
    )
    reason = too_dark(dark_share)
    if reason:
        result.absences.extend(Absence(metric=f"nonVerbal.{g}", reason=reason) for g in GROUPS)
        return result
    faces = [o for o in usable if o.face is not None]
    result.face_share = round(len(faces) / len(usable), 4)
    presence = FacePresence(
        percentage=round(100 * len(faces) / len(usable), 1),
        secondsWithFace=sum(1 for s in result.seconds if s.present),
        secondsMeasured=sum(1 for s in result.seconds if s.present is not None),
        secondsCannotTell=sum(1 for s in result.seconds if s.cannotTell),
    )
    eye = post = None
    if not faces:
        why = "no face found in any usable frame"
        result.absences += [Absence(metric=f"nonVerbal.{g}", reason=why) for g in GROUPS[1:3]]
    else:
        eye, eye_absent = eye_contact(usable)
        result.absences += eye_absent
        post, post_absent = posture(faces)
        result.absences += [post_absent] if post_absent else []
    gest = gestures(usable, usable_s=result.usable_seconds)
    if gest is None:
        result.absences.append(
            Absence(metric="nonVerbal.gestures", reason="fewer than 2 consecutive usable frames")
        )
    result.measurement = NonVerbalMeasurement(
        facePresence=presence, eyeContact=eye, posture=post, gestures=gest
    )
    return result


def head_movement(faces: Sequence[FrameObservation]) -> float:
    """Median over 5 s windows of the face-centre std, in median face widths.

    Windowed (and the median taken) so that settling into a new position once is not read as
    an unsteady head; windows with fewer than 5 face frames are skipped (all frames pooled if
    none qualify).
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

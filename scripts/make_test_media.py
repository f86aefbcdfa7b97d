"""Synthetic interview media with exact ground truth, for tests and the accuracy bench.

Speech: a Debian TTS engine (espeak-ng, festival or flite, several voices each, slow to fast
rates) speaks each scripted phrase; sox resamples it to 16 kHz mono; we trim each clip's own
leading/trailing silence and join clips with exactly the scripted silences, so the ground-truth
pauses are known to the sample. Fillers are marked in the script as {um}, {you know}, ... and
recorded with the time span of the phrase that holds them. Then one acoustic condition: clean,
10 dB white / pink / babble noise (seeded, reproducible), reverberation (a synthetic 0.5 s RT60
room) or telephone band (300-3400 Hz, 8 kHz mu-law). Truth always describes the dry speech.

Video: frames built from scikit-image's `astronaut.png` (a face photo that ships inside the
package) on a plain synthetic backdrop: segments with a face (any size and place, rolled in
plane or turned in yaw by a depth-map warp), no face, or darkness, optionally with a moving
"hand" blob for gesture motion; muxed with the speech by ffmpeg into an H.264/AAC mp4.

Test-media only: needs Debian's espeak-ng, festival (+ festvox voices), flite, sox and ffmpeg
(the pipeline itself needs none).

    functions/venv/bin/python scripts/make_test_media.py --out /tmp/media [--case NAME] [--wide]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

if str(Path(__file__).resolve().parents[1]) not in sys.path:  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.test_media_scripts import (
    CONFLICT_STORY,
    FAST_NO_FILLERS,
    FILLER_HEAVY,
    LEXICAL_NOT_FILLERS,
    TEAM_STORY,
    W_CONFLICT,
    W_FAILURE,
    W_GROWTH,
    W_PROJECT,
    WHY_US,
    WIDE_SCRIPTS,
    Script,
)

__all__ = ["CASES", "WIDE", "Built", "Case", "Script", "VideoSegment", "build", "wide_cases"]

GENERATOR_VERSION = "6"
SR = 16_000
LEAD_IN_S = 0.6
TAIL_S = 0.8
MAX_INTERNAL_GAP_S = 0.45
"""The engines' own comma/period pauses stay under this, so every pause >= 0.5 s is scripted."""
SENTENCE_END = tuple(".?!;:")
VOCAL = {"um", "uh", "er"}

VideoKind = Literal["face", "offcentre", "noface", "dark"]
Engine = Literal["espeak-ng", "festival", "flite"]
Condition = Literal["clean", "white10", "pink10", "babble10", "reverb", "telephone"]
CONDITIONS: tuple[Condition, ...] = (
    "clean",
    "white10",
    "pink10",
    "babble10",
    "reverb",
    "telephone",
)


@dataclass(frozen=True)
class VideoSegment:
    seconds: float
    kind: VideoKind
    gesture: bool = False
    face_px: int = 0
    """Face box side in pixels (0: the default, about 110 px)."""
    cx: float | None = None
    cy: float | None = None
    """Face centre in frame pixels (None: centred; "offcentre" puts it at x = 90)."""
    roll: float = 0.0
    """In-plane rotation, degrees (the whole view tilts about the face centre)."""
    yaw: float = 0.0
    """Head turn, degrees (a depth-map warp of the photo: the nose moves off the eye midline)."""


@dataclass(frozen=True)
class Case:
    name: str
    script: Script
    voice: str = "en-us"
    wpm: int = 150
    snr_db: float | None = None
    video: tuple[VideoSegment, ...] | None = None
    fps: int = 15
    engine: Engine = "espeak-ng"
    condition: Condition = "clean"
    split: Literal["tune", "heldout"] = "tune"

    def key(self) -> str:
        blob = json.dumps([GENERATOR_VERSION, asdict(self)], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


# ---- scripts --------------------------------------------------------------------------------


_VIDEO_MIX = (
    VideoSegment(8, "face"),
    VideoSegment(5, "noface"),
    VideoSegment(6, "face", gesture=True),
    VideoSegment(5, "offcentre"),
    VideoSegment(4, "dark"),
    VideoSegment(100, "face"),
)

CASES: dict[str, Case] = {
    c.name: c
    for c in (
        Case("team_150_clean", TEAM_STORY, voice="en-us", wpm=150),
        Case("conflict_170_snr20", CONFLICT_STORY, voice="en-gb", wpm=170, snr_db=20),
        Case("whyus_125_snr30_f", WHY_US, voice="en-us+f3", wpm=125, snr_db=30),
        Case("fast_200_snr25", FAST_NO_FILLERS, voice="en-us", wpm=200, snr_db=25),
        Case("fillers_140_snr15_rp", FILLER_HEAVY, voice="en-gb-x-rp", wpm=140, snr_db=15),
        Case("lexical_160_clean", LEXICAL_NOT_FILLERS, voice="en-us", wpm=160),
        Case("team_video", TEAM_STORY, voice="en-us", wpm=150, snr_db=30, video=_VIDEO_MIX,
             fps=30),
    )
}  # fmt: skip


# The wide matrix: 3 engines x 3 voices (one voice per engine held out: thresholds are never
# tuned on it), each voice at its own rate (slow, medium, fast), under every condition.
ENGINE_VOICES: dict[Engine, tuple[tuple[str, int, str], ...]] = {
    "espeak-ng": (("en-us", 125, "project"), ("en-gb-x-rp", 150, "failure"),
                  ("en-us+f3", 185, "leadership")),
    "festival": (("kal_diphone", 185, "growth"), ("ked_diphone", 125, "conflict"),
                 ("cmu_us_slt_arctic_hts", 150, "project")),
    "flite": (("kal16", 150, "failure"), ("awb", 185, "leadership"), ("slt", 125, "conflict")),
}  # fmt: skip
HELDOUT_VOICES = frozenset({"en-gb-x-rp", "ked_diphone", "slt"})
QUICK_VOICES = frozenset({"en-us", "kal_diphone", "kal16"})


def wide_cases(*, quick: bool = False) -> list[Case]:
    """The engine x voice x condition matrix (quick: one tuning voice per engine, 3 conditions)."""
    out = []
    for engine, voices in ENGINE_VOICES.items():
        for voice, wpm, script in voices:
            if quick and voice not in QUICK_VOICES:
                continue
            for cond in ("clean", "babble10", "telephone") if quick else CONDITIONS:
                tag = re.sub(r"[^a-z0-9]+", "", voice.lower())[:8]
                out.append(
                    Case(f"w-{engine[:6]}-{tag}-{wpm}-{cond}", WIDE_SCRIPTS[script], voice=voice,
                         wpm=wpm, engine=engine, condition=cond,
                         split="heldout" if voice in HELDOUT_VOICES else "tune")
                )  # fmt: skip
    return out


# Wide video: small (40-45 px) and off-centre faces, face-absent and dark spans, rolled and
# turned heads. Truth per second says face / dark / facing (|yaw| <= 20 facing, >= 40 not).
WIDE_VIDEO_A = (
    VideoSegment(6, "face"),
    VideoSegment(5, "face", face_px=40),
    VideoSegment(5, "face", face_px=44, cx=560, cy=110),
    VideoSegment(4, "noface"),
    VideoSegment(5, "face", roll=15),
    VideoSegment(4, "dark"),
    VideoSegment(5, "face", yaw=20),
    VideoSegment(5, "face", yaw=45),
    VideoSegment(5, "face", face_px=60, cx=120, cy=330, gesture=True),
    VideoSegment(100, "face", roll=-20, face_px=80),
)
WIDE_VIDEO_B = (
    VideoSegment(5, "face", face_px=42, cx=100, cy=380),
    VideoSegment(5, "face", yaw=-45, face_px=90),
    VideoSegment(4, "dark"),
    VideoSegment(5, "face", yaw=-15, cx=450),
    VideoSegment(5, "noface", gesture=True),
    VideoSegment(5, "face", face_px=48, cx=580, cy=420),
    VideoSegment(5, "face", yaw=35),
    VideoSegment(100, "face", face_px=70, cx=200, cy=150),
)
WIDE_VIDEO_CASES = (
    Case("v-espeak-mix-a", [*W_PROJECT, 1.0, *W_FAILURE], voice="en-us", wpm=150,
         video=WIDE_VIDEO_A, fps=15),
    Case("v-flite-mix-b", [*W_GROWTH, 1.0, *W_CONFLICT], voice="awb", wpm=150, engine="flite", condition="pink10",
         video=WIDE_VIDEO_B, fps=15, split="heldout"),
)  # fmt: skip
WIDE: dict[str, Case] = {c.name: c for c in (*wide_cases(), *WIDE_VIDEO_CASES)}


# ---- audio ----------------------------------------------------------------------------------


def need(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise RuntimeError(f"{tool} is needed to make test media (apt-get install {tool})")
    return path


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2
        return (
            np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64) / 32768
        )


def write_wav(path: Path, x: np.ndarray) -> None:
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def synthesise(text: str, *, engine: Engine, voice: str, wpm: int, out: Path) -> None:
    """One phrase to a WAV. Rate: espeak-ng takes words per minute; festival and flite take a
    duration stretch, set to 175 / wpm (their default pace is about 190-230 WPM)."""
    stretch = f"{175 / wpm:.3f}"
    if engine == "espeak-ng":
        cmd = [need("espeak-ng"), "-v", voice, "-s", str(wpm), "-w", str(out), text]
    elif engine == "festival":
        txt = out.with_suffix(".txt")
        txt.write_text(text)
        cmd = [need("text2wave"), "-eval", f"(voice_{voice})", "-eval",
               f"(Parameter.set 'Duration_Stretch {stretch})", str(txt), "-o", str(out)]  # fmt: skip
    else:
        cmd = [need("flite"), "-voice", voice, "--setf", f"duration_stretch={stretch}", "-t",
               text, "-o", str(out)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)


def speak(
    text: str, *, voice: str, wpm: int, tmp: Path, engine: Engine = "espeak-ng"
) -> np.ndarray:
    """TTS -> sox (16 kHz mono 16-bit) -> trimmed float array."""
    raw, conv = tmp / "raw.wav", tmp / "conv.wav"
    synthesise(text, engine=engine, voice=voice, wpm=wpm, out=raw)
    subprocess.run([need("sox"), str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(conv)],
                   check=True, capture_output=True)  # fmt: skip
    x = trim(read_wav(conv))
    gap = longest_gap(x)
    if gap > MAX_INTERNAL_GAP_S:
        raise ValueError(f"{engine} left a {gap:.2f} s internal pause in {text!r}")
    return x


def trim(x: np.ndarray, *, frame_s: float = 0.01, below_peak_db: float = 40.0) -> np.ndarray:
    """Cut leading/trailing non-speech: 10 ms frames quieter than the loudest frame by 40 dB.
    (festival pads its output with -65 to -75 dBFS noise, so a sample threshold will not do.)"""
    n = int(frame_s * SR)
    frames = x[: x.size - x.size % n].reshape(-1, n)
    db = 20 * np.log10(np.sqrt((frames**2).mean(axis=1)) + 1e-12)
    loud = np.flatnonzero(db > max(db.max() - below_peak_db, -55.0))
    return x[loud[0] * n : (loud[-1] + 1) * n]


def longest_gap(x: np.ndarray, *, frame_s: float = 0.01) -> float:
    n = int(frame_s * SR)
    frames = x[: x.size - x.size % n].reshape(-1, n)
    quiet = np.sqrt((frames**2).mean(axis=1)) < 10 ** (-50 / 20)
    best = run = 0
    for q in quiet:
        run = run + 1 if q else 0
        best = max(best, run)
    return best * frame_s


def words_of(text: str) -> list[tuple[str, bool]]:
    """(word, is_filler) for each spoken word; {multi word} fillers give one entry per word."""
    out: list[tuple[str, bool]] = []
    for m in re.finditer(r"\{([^}]*)\}|([^\s{}]+)", text):
        if m.group(1) is not None:
            out.extend((w, True) for w in m.group(1).split())
        else:
            out.append((m.group(2), False))
    return [(w, f) for w, f in out if re.search(r"[A-Za-z]", w)]


def build_audio(case: Case, tmp: Path) -> tuple[np.ndarray, dict[str, Any]]:
    parts: list[np.ndarray] = [np.zeros(int(LEAD_IN_S * SR))]
    t = LEAD_IN_S
    phrases: list[dict[str, Any]] = []
    pauses: list[dict[str, Any]] = []
    fillers: list[dict[str, Any]] = []
    counted = 0
    last_text = ""
    for item in case.script:
        if isinstance(item, float | int):
            d = float(item)
            after_end = last_text.rstrip().endswith(SENTENCE_END)
            pauses.append({"start": round(t, 4), "end": round(t + d, 4), "duration": d,
                           "afterSentenceEnd": after_end})  # fmt: skip
            parts.append(np.zeros(round(d * SR)))
            t += round(d * SR) / SR
            continue
        spoken = re.sub(r"[{}]", "", item)
        clip = speak(spoken, voice=case.voice, wpm=case.wpm, tmp=tmp, engine=case.engine)
        dur = clip.size / SR
        phrases.append({"start": round(t, 4), "end": round(t + dur, 4), "text": spoken})
        for m in re.finditer(r"\{([^}]*)\}", item):
            kind = m.group(1).lower()
            kind = "I mean" if kind == "i mean" else kind
            fillers.append({"word": kind, "start": round(t, 4), "end": round(t + dur, 4)})
        counted += sum(1 for w, is_f in words_of(item) if not (is_f and w.lower() in VOCAL))
        parts.append(clip)
        t += dur
        last_text = spoken
    parts.append(np.zeros(int(TAIL_S * SR)))
    x = np.concatenate(parts) * 0.6
    speech = np.concatenate([x[int(p["start"] * SR) : int(p["end"] * SR)] for p in phrases])
    p_speech = float(np.mean(speech**2))
    if case.snr_db is not None:
        rng = np.random.default_rng(7)
        noise = rng.standard_normal(x.size) * np.sqrt(p_speech / 10 ** (case.snr_db / 10))
        x = x + noise
    x = apply_condition(x, case.condition, p_speech=p_speech, tmp=tmp)
    speaking = sum(p["end"] - p["start"] for p in phrases) + sum(
        p["duration"] for p in pauses if p["duration"] < 0.5
    )
    truth = {
        "duration": round(x.size / SR, 4),
        "phrases": phrases,
        "pauses": [p for p in pauses if p["duration"] >= 0.5],
        "fillers": fillers,
        "countedWords": counted,
        "speakingTime": round(speaking, 4),
        "wpm": round(counted / speaking * 60, 3),
        "snrDb": case.snr_db if case.condition == "clean" else CONDITION_SNR.get(case.condition),
        "condition": case.condition,
    }
    return x, truth


# ---- acoustic conditions --------------------------------------------------------------------

CONDITION_SNR: dict[str, float] = {"white10": 10.0, "pink10": 10.0, "babble10": 10.0}
BABBLE_TALKERS = (("en-us", 160), ("en-gb", 140), ("en-us+f3", 175), ("en-gb-x-rp", 150),
                  ("en-us+m3", 135), ("en-gb-scotland", 165))  # fmt: skip


def _scaled(noise: np.ndarray, *, p_speech: float, snr_db: float) -> np.ndarray:
    return noise * np.sqrt(p_speech / 10 ** (snr_db / 10) / float(np.mean(noise**2)))


def pink_noise(n: int, *, seed: int) -> np.ndarray:
    """1/f power noise by shaping white noise's spectrum."""
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec /= np.sqrt(np.maximum(f, 20.0))
    return np.fft.irfft(spec, n)


def babble(n: int, *, tmp: Path, seed: int) -> np.ndarray:
    """Six espeak-ng talkers reading other scripts at once, each starting at a random offset."""
    rng = np.random.default_rng(seed)
    texts = [
        " ".join(
            p
            for s in (*WIDE_SCRIPTS.values(), TEAM_STORY, CONFLICT_STORY, WHY_US)
            for p in s
            if isinstance(p, str)
        )
        .replace("{", "")
        .replace("}", "")
    ]
    mix = np.zeros(n)
    for k, (voice, wpm) in enumerate(BABBLE_TALKERS):
        talker = speak_long(texts[0], voice=voice, wpm=wpm, tmp=tmp, tag=f"b{k}")
        talker = np.tile(talker, int(np.ceil((n + SR * 30) / talker.size)))
        off = int(rng.integers(0, talker.size - n))
        seg = talker[off : off + n]
        mix += seg / (np.sqrt(np.mean(seg**2)) + 1e-9)
    return mix


def speak_long(text: str, *, voice: str, wpm: int, tmp: Path, tag: str) -> np.ndarray:
    """A whole text, untrimmed (the babble bed: its own pauses are fine there)."""
    raw, conv = tmp / f"{tag}.wav", tmp / f"{tag}c.wav"
    synthesise(text, engine="espeak-ng", voice=voice, wpm=wpm, out=raw)
    subprocess.run([need("sox"), str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(conv)],
                   check=True, capture_output=True)  # fmt: skip
    return read_wav(conv)


def room_impulse(*, rt60: float = 0.5, seed: int = 5) -> np.ndarray:
    """Direct path plus exponentially decaying noise (60 dB down after `rt60` s)."""
    rng = np.random.default_rng(seed)
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * 0.35
    tail[: int(0.005 * SR)] = 0.0
    tail[0] = 1.0
    return tail


def apply_condition(x: np.ndarray, cond: Condition, *, p_speech: float, tmp: Path) -> np.ndarray:
    """The clean mix under one acoustic condition (seeded, so a case is reproducible)."""
    if cond == "clean":
        return x
    if cond == "white10":
        noise = np.random.default_rng(17).standard_normal(x.size)
        return x + _scaled(noise, p_speech=p_speech, snr_db=10)
    if cond == "pink10":
        return x + _scaled(pink_noise(x.size, seed=19), p_speech=p_speech, snr_db=10)
    if cond == "babble10":
        return x + _scaled(babble(x.size, tmp=tmp, seed=23), p_speech=p_speech, snr_db=10)
    if cond == "reverb":
        h = room_impulse()
        n = x.size + h.size - 1
        wet = np.fft.irfft(np.fft.rfft(x, n) * np.fft.rfft(h, n), n)[: x.size]
        return wet * np.sqrt(np.mean(x**2) / np.mean(wet**2))
    # telephone: 300-3400 Hz band, 8 kHz mu-law, back to 16 kHz
    src, narrow, back = tmp / "tel_in.wav", tmp / "tel_8k.wav", tmp / "tel_out.wav"
    write_wav(src, x)
    subprocess.run([need("sox"), str(src), "-r", "8000", "-e", "u-law", str(narrow), "sinc",
                    "300-3400"], check=True, capture_output=True)  # fmt: skip
    subprocess.run([need("sox"), str(narrow), "-r", str(SR), "-e", "signed", "-b", "16",
                    str(back)], check=True, capture_output=True)  # fmt: skip
    y = read_wav(back)
    return np.pad(y, (0, max(0, x.size - y.size)))[: x.size]


# ---- video ----------------------------------------------------------------------------------

W, H = 640, 480


def _backdrop() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    bg = np.empty((H, W, 3), dtype=np.float64)
    bg[..., 0] = 150 + 40 * xx / W  # B
    bg[..., 1] = 160 + 30 * yy / H  # G
    bg[..., 2] = 170 - 20 * xx / W  # R
    bg[300:, :] = (95, 105, 120)  # a desk
    bg[60:200, 420:600] = (60, 90, 120)  # a picture on the wall
    return bg


_FACE_BOX = (77, 66, 95, 95)
"""The astronaut's face box inside the head-and-shoulders crop (Haar, full resolution)."""
_NOSE = (125.0, 128.0)
_EYES_Y = 102.0


def _yawed(crop: np.ndarray, yaw: float) -> np.ndarray:
    """Turn the head by `yaw` degrees: a head ellipsoid plus a nose bump as a depth map,
    rotated about the vertical axis and projected orthographically (inverse-mapped by
    fixed-point iteration). Outside the head nothing moves. A proxy for a real turn: the nose
    leaves the eye midline (by about 0.2 tan(yaw) eye distances) and the face narrows."""
    import cv2

    if yaw == 0:
        return crop
    h, w = crop.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy, a, b = 125.0, 115.0, 62.0, 82.0
    th = np.radians(yaw)

    def depth_and_mask(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r2 = ((x - cx) / a) ** 2 + ((yy - cy) / b) ** 2
        z = a * 0.6 * np.sqrt(np.clip(1 - r2, 0, None))
        z += 6.0 * np.exp(-((x - _NOSE[0]) ** 2 / 162 + (yy - _NOSE[1] + 6) ** 2 / 392))
        return z, np.clip(1.6 * (1 - r2), 0, 1)

    src = xx.copy()
    for _ in range(6):
        z, m = depth_and_mask(src)
        # forward model: x' = x + z sin(th) - (1 - cos th)(x - cx) m
        src = xx - z * np.sin(th) + (1 - np.cos(th)) * (src - cx) * m
    return cv2.remap(
        crop, src.astype(np.float32), yy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )


def _portrait(*, face_px: int = 0, yaw: float = 0.0) -> tuple[np.ndarray, tuple[float, float]]:
    """Astronaut head-and-shoulders crop (BGR, float) and the face centre within it."""
    import cv2
    from skimage import data

    img = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    crop = _yawed(img[0:420, 100:380].astype(np.float32), yaw).astype(np.float64)
    scale = (face_px or 109) / _FACE_BOX[2]
    crop = np.asarray(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    x, y, w, h = _FACE_BOX
    return crop, ((x + w / 2) * scale, (y + h / 2) * scale)


def _paste(frame: np.ndarray, img: np.ndarray, *, x: int, y: int) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = img[y0 - y : y1 - y, x0 - x : x1 - x]


def _centre(seg: VideoSegment) -> tuple[float, float]:
    if seg.cx is not None or seg.cy is not None:
        return seg.cx if seg.cx is not None else W / 2, seg.cy if seg.cy is not None else 200.0
    return (90.0 if seg.kind == "offcentre" else W / 2), 200.0


def facing_truth(seg: VideoSegment) -> bool | None:
    """Facing the camera: |yaw| <= 20 degrees yes, >= 40 no, between: not scored."""
    if abs(seg.yaw) <= 20:
        return True
    return False if abs(seg.yaw) >= 40 else None


def build_video(case: Case, *, duration: float, audio: Path, out: Path) -> dict[str, Any]:
    import cv2

    assert case.video is not None
    fps = case.fps
    bg = _backdrop()
    rng = np.random.default_rng(11)
    n = int(np.ceil(duration * fps))
    bounds, t = [], 0.0
    for seg in case.video:
        bounds.append((t, min(duration, t + seg.seconds), seg))
        t += seg.seconds
        if t >= duration:
            break
    portraits = {seg: _portrait(face_px=seg.face_px, yaw=seg.yaw) for _, _, seg in bounds}
    proc = subprocess.Popen(
        [need("ffmpeg"), "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
         "-s", f"{W}x{H}", "-r", str(fps), "-i", "-", "-i", str(audio), "-c:v", "libx264",
         "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a",
         "64k", "-shortest", str(out)],
        stdin=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    for i in range(n):
        ts = i / fps
        seg = next((s for a, b, s in bounds if a <= ts < b), bounds[-1][2])
        frame = bg.copy()
        cx, cy = _centre(seg)
        if seg.kind in ("face", "offcentre", "dark"):
            portrait, (fcx, fcy) = portraits[seg]
            jx, jy = 3 * np.sin(2 * np.pi * 0.3 * ts), 2 * np.sin(2 * np.pi * 0.2 * ts)
            _paste(frame, portrait, x=int(cx - fcx + jx), y=int(cy - fcy + jy))
        if seg.gesture:
            hx = int(520 + 60 * np.sin(2 * np.pi * 1.2 * ts))
            hy = int(400 + 40 * np.cos(2 * np.pi * 1.2 * ts))
            cv2.ellipse(frame, (hx, hy), (38, 26), 30, 0, 360, (120, 160, 215), -1)
        if seg.roll:
            rot = cv2.getRotationMatrix2D((cx, cy), seg.roll, 1.0)
            frame = cv2.warpAffine(frame, rot, (W, H), borderMode=cv2.BORDER_REFLECT)
        if seg.kind == "dark":
            frame *= 0.1
        frame += rng.normal(0, 2.0, frame.shape)
        proc.stdin.write(np.clip(frame, 0, 255).astype(np.uint8).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("ffmpeg failed to write the test video")
    seconds = []
    for s in range(int(np.ceil(duration))):
        mid = s + 0.5
        inside = [(a, b, seg) for a, b, seg in bounds if a <= mid < b]
        a, b, seg = inside[0] if inside else bounds[-1]
        face = seg.kind in ("face", "offcentre")
        seconds.append({
            "second": s,
            "face": face,
            "centred": face and seg.kind == "face" and _centre(seg) == (W / 2, 200.0),
            "facing": facing_truth(seg) if face else None,
            "facePx": (seg.face_px or 109) if face else None,
            "roll": seg.roll,
            "yaw": seg.yaw,
            "dark": seg.kind == "dark",
            "gesture": seg.gesture,
            "pure": a <= s and s + 1 <= b,  # the whole second lies inside one segment
        })  # fmt: skip
    return {"fps": fps, "width": W, "height": H, "seconds": seconds}


# ---- entry points ---------------------------------------------------------------------------


@dataclass
class Built:
    wav: Path
    truth: dict[str, Any]
    mp4: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def build(case: Case, out_dir: Path) -> Built:
    """Make (or reuse, keyed by the case's content hash) the case's files under out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"{case.name}-{case.key()}"
    wav, js, mp4 = stem.with_suffix(".wav"), stem.with_suffix(".json"), stem.with_suffix(".mp4")
    if js.exists() and wav.exists() and (case.video is None or mp4.exists()):
        return Built(wav=wav, truth=json.loads(js.read_text()), mp4=mp4 if case.video else None)
    with tempfile.TemporaryDirectory() as tmp:
        x, truth = build_audio(case, Path(tmp))
        write_wav(wav, x)
        if case.video is not None:
            truth["video"] = build_video(case, duration=truth["duration"], audio=wav, out=mp4)
    truth["case"] = {"name": case.name, "engine": case.engine, "voice": case.voice,
                     "wpm": case.wpm, "condition": case.condition, "split": case.split}  # fmt: skip
    js.write_text(json.dumps(truth, indent=1))
    return Built(wav=wav, truth=truth, mp4=mp4 if case.video else None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--case", action="append", help="a case name (repeatable)")
    ap.add_argument("--wide", action="store_true", help="the whole engine x condition matrix")
    args = ap.parse_args(argv)
    every = CASES | WIDE
    unknown = sorted(set(args.case or ()) - set(every))
    if unknown:
        ap.error(f"unknown case(s): {', '.join(unknown)}")
    for name in args.case or sorted(WIDE if args.wide else CASES):
        built = build(every[name], args.out)
        print(f"{name}: {built.wav}" + (f" {built.mp4}" if built.mp4 else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

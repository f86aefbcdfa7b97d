"""Synthetic interview media with exact ground truth, for tests and the accuracy bench.

Speech: espeak-ng speaks each scripted phrase; sox resamples it to 16 kHz mono; we trim each
clip's own leading/trailing silence and join clips with exactly the scripted silences, so the
ground-truth pauses are known to the sample. Fillers are marked in the script as {um},
{you know}, ... and recorded with the time span of the phrase that holds them. Optional white
noise at a set SNR (seeded, reproducible).

Video: frames built from scikit-image's `astronaut.png` (a face photo that ships inside the
package) on a plain synthetic backdrop: segments with a centred face, an off-centre face, no
face, or darkness, optionally with a moving "hand" blob for gesture motion; muxed with the
speech by ffmpeg into an H.264/AAC mp4.

Test-media only: needs Debian's espeak-ng, sox and ffmpeg (the pipeline itself needs none).

    functions/venv/bin/python scripts/make_test_media.py --out /tmp/media [--case NAME]
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

GENERATOR_VERSION = "3"
SR = 16_000
LEAD_IN_S = 0.6
TAIL_S = 0.8
MAX_INTERNAL_GAP_S = 0.45
"""espeak's own comma/period pauses stay under this, so every pause >= 0.5 s is scripted."""
SENTENCE_END = tuple(".?!;:")
VOCAL = {"um", "uh", "er"}

Script = list[str | float]
"""Phrases (with {filler} marks) and pauses in seconds, in order."""

VideoKind = Literal["face", "offcentre", "noface", "dark"]


@dataclass(frozen=True)
class VideoSegment:
    seconds: float
    kind: VideoKind
    gesture: bool = False


@dataclass(frozen=True)
class Case:
    name: str
    script: Script
    voice: str = "en-us"
    wpm: int = 150
    snr_db: float | None = None
    video: tuple[VideoSegment, ...] | None = None
    fps: int = 15

    def key(self) -> str:
        blob = json.dumps([GENERATOR_VERSION, asdict(self)], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


# ---- scripts --------------------------------------------------------------------------------

TEAM_STORY: Script = [
    "So, {um}, in my last role I led a small team of four engineers.",
    1.0,
    "We had to migrate the billing system, {uh}, without any downtime.",
    0.8,
    "{Like}, the old code was, {you know}, really fragile.",
    1.4,
    "I like working with old code, but this was {sort of} a mess.",
    0.9,
    "{I mean}, nobody had touched it in years.",
    3.5,
    "What I mean is that we had no tests at all.",
    0.9,
    "So we wrote a kind of safety net first, {um}, with contract tests, and then we",
    0.7,
    "{er}, moved the traffic over one customer at a time.",
    1.2,
    "It took three months, and it was {kind of} stressful, but we shipped it.",
]

CONFLICT_STORY: Script = [
    "{Uh}, the hardest conflict I had was with a product manager.",
    1.1,
    "She wanted the feature in two weeks, and I thought it needed six.",
    0.6,
    "So I, {um}, wrote down every risk I could see.",
    2.4,
    "Then we sat together and, {you know}, cut the scope in half.",
    0.9,
    "Do you know what happened next?",
    1.0,
    "We shipped the smaller version on time, and users loved it.",
    1.6,
    "{Like}, honestly, it was the best outcome for everyone.",
    0.8,
    "I learned that data beats opinions, {I mean}, almost every time.",
]

WHY_US: Script = [
    "I want to join your company because the mission matters to me.",
    0.9,
    "I have spent five years building tools for small businesses.",
    1.3,
    "{Um}, I think the next step for me is a larger product,",
    0.6,
    "{uh}, with real scale, and a team that cares about quality.",
    1.0,
    "Your engineering blog was, {sort of}, the reason I applied.",
    4.0,
    "I would like to grow into a technical lead role here.",
]

FAST_NO_FILLERS: Script = [
    "Thank you for the question.",
    0.7,
    "My biggest strength is that I explain complex systems in simple words.",
    1.0,
    "In my current job I run the onboarding sessions for every new engineer.",
    0.8,
    "People often tell me that the diagrams I draw are the first ones they understand.",
    1.5,
    "That matters because a team that shares a mental model ships faster.",
    0.9,
    "It also means fewer late night incidents and calmer releases.",
]

FILLER_HEAVY: Script = [
    "{Um}, so, {uh}, my weakness is, {like}, public speaking.",
    0.9,
    "{You know}, when I present, I {kind of} rush.",
    1.2,
    "{Er}, I have been, {um}, practising with a coach.",
    0.7,
    "{I mean}, it is getting better, {sort of}.",
    2.6,
    "{Uh}, last month I gave a talk to, {like}, eighty people.",
    1.0,
    "And, {um}, it went well, {you know}?",
]

LEXICAL_NOT_FILLERS: Script = [
    "I like the way your team works.",
    0.8,
    "It looks like a great fit for my skills.",
    0.9,
    "What kind of projects would I lead in the first year?",
    1.1,
    "Do you know when the platform team was started?",
    0.7,
    "That is what I mean by ownership of the product.",
    1.3,
    "I would like to learn more about the sort of problems you solve.",
]

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


def speak(text: str, *, voice: str, wpm: int, tmp: Path) -> np.ndarray:
    """espeak-ng -> sox (16 kHz mono 16-bit) -> trimmed float array."""
    raw, conv = tmp / "raw.wav", tmp / "conv.wav"
    subprocess.run([need("espeak-ng"), "-v", voice, "-s", str(wpm), "-w", str(raw), text],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([need("sox"), str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(conv)],
                   check=True, capture_output=True)  # fmt: skip
    x = read_wav(conv)
    loud = np.flatnonzero(np.abs(x) > 1e-3)
    x = x[loud[0] : loud[-1] + 1]
    gap = longest_gap(x)
    if gap > MAX_INTERNAL_GAP_S:
        raise ValueError(f"espeak left a {gap:.2f} s internal pause in {text!r}")
    return x


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
        clip = speak(spoken, voice=case.voice, wpm=case.wpm, tmp=tmp)
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
    if case.snr_db is not None:
        speech = np.concatenate([x[int(p["start"] * SR) : int(p["end"] * SR)] for p in phrases])
        p_speech = float(np.mean(speech**2))
        rng = np.random.default_rng(7)
        noise = rng.standard_normal(x.size) * np.sqrt(p_speech / 10 ** (case.snr_db / 10))
        x = x + noise
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
        "snrDb": case.snr_db,
    }
    return x, truth


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


def _portrait() -> tuple[np.ndarray, tuple[float, float]]:
    """Astronaut head-and-shoulders crop (BGR, float) and the face centre within it."""
    import cv2
    from skimage import data

    img = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    crop = img[0:420, 100:380].astype(np.float64)  # face box at (77, 66, 95, 95) in crop
    scale = 1.15
    crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return crop, ((77 + 47.5) * scale, (66 + 47.5) * scale)


def _paste(frame: np.ndarray, img: np.ndarray, *, x: int, y: int) -> None:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = img[y0 - y : y1 - y, x0 - x : x1 - x]


def build_video(case: Case, *, duration: float, audio: Path, out: Path) -> dict[str, Any]:
    import cv2

    assert case.video is not None
    fps = case.fps
    bg = _backdrop()
    portrait, (fcx, fcy) = _portrait()
    rng = np.random.default_rng(11)
    n = int(np.ceil(duration * fps))
    bounds, t = [], 0.0
    for seg in case.video:
        bounds.append((t, min(duration, t + seg.seconds), seg))
        t += seg.seconds
        if t >= duration:
            break
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
        if seg.kind in ("face", "offcentre", "dark"):
            cx = W / 2 if seg.kind != "offcentre" else 90.0
            cy = 200.0
            jx, jy = 3 * np.sin(2 * np.pi * 0.3 * ts), 2 * np.sin(2 * np.pi * 0.2 * ts)
            _paste(frame, portrait, x=int(cx - fcx + jx), y=int(cy - fcy + jy))
        if seg.gesture:
            hx = int(520 + 60 * np.sin(2 * np.pi * 1.2 * ts))
            hy = int(400 + 40 * np.cos(2 * np.pi * 1.2 * ts))
            cv2.ellipse(frame, (hx, hy), (38, 26), 30, 0, 360, (120, 160, 215), -1)
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
        seconds.append({
            "second": s,
            "face": seg.kind in ("face", "offcentre"),
            "centred": seg.kind == "face",
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
    truth["case"] = {"name": case.name, "voice": case.voice, "wpm": case.wpm}
    js.write_text(json.dumps(truth, indent=1))
    return Built(wav=wav, truth=truth, mp4=mp4 if case.video else None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    args = ap.parse_args(argv)
    for name in args.case or sorted(CASES):
        built = build(CASES[name], args.out)
        print(f"{name}: {built.wav}" + (f" {built.mp4}" if built.mp4 else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

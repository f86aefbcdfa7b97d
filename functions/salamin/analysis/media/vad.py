"""Voice activity: Silero VAD (the v6 ONNX model bundled in faster-whisper), our own segmenting.

We take Silero's per-frame speech probabilities (512 samples = 32 ms at 16 kHz) and segment
them with hysteresis, without the padding faster-whisper adds for transcription, because the
segment edges are measurements here (pause lengths, word-start snapping, SNR frames):

* a segment opens on the first frame with p >= `THRESHOLD` (0.5);
* it closes at the first frame with p < `NEG_THRESHOLD` (0.35) that starts a run of such
  frames lasting at least `MIN_SILENCE_S` (0.2 s); shorter dips stay inside the segment;
* segments shorter than `MIN_SPEECH_S` (0.1 s) are dropped as clicks;
* on band-limited audio (telephone) Silero is less sure of speech everywhere: when the 95th
  percentile of the probabilities is below 1, both thresholds scale down with it
  (`thresholds_for`), never under `MIN_THRESHOLD`.

Pauses (see `verbal`) are the gaps between these segments.

Under noise, and babble above all, Silero hears the noise as speech and bridges pauses. So the
VAD's input is first denoised with `noisereduce` (non-stationary spectral gating, a running
noise estimate over `DENOISE_TIME_CONSTANT_S`); the recogniser keeps the original audio, since
denoised input lost words under pink noise (see the project's notes on accuracy levers).

Two energy checks then correct Silero frame by frame (`energy_adjusted`, both relative to this
recording's own levels, so neither fires where it cannot tell):

* *rescue*: a frame at least `RESCUE_ABOVE_FLOOR_DB` (15 dB) over the recording's floor (10th
  percentile frame power) and within `RESCUE_BELOW_TOP_DB` (15 dB) of its speech level (90th
  percentile), with p >= `RESCUE_MIN_P`, is speech. Silero gives 0.15-0.45 to some synthetic
  voices on 300-3400 Hz audio and to sustained "um"/"er" vowels, which split phrases into false
  pauses; with noise at 10 dB the 15 dB margin over the floor is never reached, so it is inert;
* *gate*: a frame of the denoised audio quieter than floor + `GATE_SHARE` (0.3) of the
  floor-to-speech range (floor here: the 20th percentile) is not speech. Babble is speech to
  Silero, so it bridged pauses; after denoising the pauses are still 10+ dB under the talker.

Both were chosen on the accuracy bench's tuning split (`bench/analysis_accuracy.py --split
tune`): tune pause F1 0.948 -> 1.00, worst speaking-time error 18% -> 3.9%.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from salamin.analysis.media.audio import SAMPLE_RATE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

FRAME_SAMPLES = 512
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
THRESHOLD = 0.5
NEG_THRESHOLD = 0.35
MIN_SILENCE_S = 0.2
MIN_SPEECH_S = 0.1
MIN_THRESHOLD = 0.25
ADAPT_RATIO = 0.55
"""threshold = clamp(ADAPT_RATIO × p95, MIN_THRESHOLD, THRESHOLD); tuned on the bench's tuning
split (bench/analysis_accuracy.py --split tune), never on its held-out voices."""
DENOISE = True
DENOISE_TIME_CONSTANT_S = 2.0
ENERGY_CHECKS = True
RESCUE_ABOVE_FLOOR_DB = 15.0
RESCUE_BELOW_TOP_DB = 15.0
RESCUE_MIN_P = 0.05
GATE_SHARE = 0.3
GATE_FLOOR_PERCENTILE = 20.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def speech_probabilities(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """One Silero speech probability per 32 ms frame (the last frame zero-padded)."""
    import numpy as np
    from faster_whisper.vad import get_vad_model

    pad = (-samples.size) % FRAME_SAMPLES
    padded = np.pad(samples, (0, pad)) if pad else samples
    probs = get_vad_model()(np.ascontiguousarray(padded, dtype=np.float32))
    return np.asarray(probs, dtype=np.float32).reshape(-1)


def segments_from_probabilities(
    probs: npt.NDArray[np.float32] | npt.NDArray[np.float64] | list[float],
    *,
    frame_s: float = FRAME_S,
    threshold: float = THRESHOLD,
    neg_threshold: float = NEG_THRESHOLD,
    min_silence_s: float = MIN_SILENCE_S,
    min_speech_s: float = MIN_SPEECH_S,
) -> list[Segment]:
    """Hysteresis segmentation (see module docstring). Pure: unit-testable on made-up lists."""
    spans: list[tuple[int, int]] = []
    min_silence_frames = max(1, round(min_silence_s / frame_s))
    min_speech_frames = max(1, round(min_speech_s / frame_s))
    in_speech = False
    start = 0
    quiet_from: int | None = None
    n = len(probs)
    for i in range(n):
        p = float(probs[i])
        if not in_speech:
            if p >= threshold:
                in_speech, start, quiet_from = True, i, None
            continue
        if p >= threshold:
            quiet_from = None
        elif p < neg_threshold:
            if quiet_from is None:
                quiet_from = i
            if i - quiet_from + 1 >= min_silence_frames:
                spans.append((start, quiet_from))
                in_speech, quiet_from = False, None
    if in_speech:
        end = quiet_from if quiet_from is not None else n
        spans.append((start, end))
    return [Segment(a * frame_s, b * frame_s) for a, b in spans if b - a >= min_speech_frames]


def denoised(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Non-stationary spectral gating (for the VAD's input only)."""
    import noisereduce
    import numpy as np

    out = noisereduce.reduce_noise(
        y=samples, sr=SAMPLE_RATE, stationary=False, time_constant_s=DENOISE_TIME_CONSTANT_S,
        n_jobs=1,
    )  # fmt: skip
    return np.asarray(out, dtype=np.float32)


def thresholds_for(probs: npt.NDArray[np.float32] | list[float]) -> tuple[float, float]:
    """(open, close) thresholds for this recording (see module docstring). Pure."""
    ranked = sorted(float(p) for p in probs)
    if not ranked:
        return THRESHOLD, NEG_THRESHOLD
    p95 = ranked[min(len(ranked) - 1, int(0.95 * len(ranked)))]
    open_ = min(THRESHOLD, max(MIN_THRESHOLD, ADAPT_RATIO * p95))
    return open_, open_ * NEG_THRESHOLD / THRESHOLD


def frame_db(samples: npt.NDArray[np.float32], *, frames: int) -> npt.NDArray[np.float64]:
    """Power (dBFS) of each 512-sample frame, `frames` long (zero-padded like the VAD's input)."""
    import numpy as np

    x = np.zeros(frames * FRAME_SAMPLES, dtype=np.float64)
    n = min(samples.size, x.size)
    x[:n] = samples[:n]
    power = np.mean(x.reshape(frames, FRAME_SAMPLES) ** 2, axis=1)
    return np.asarray(10 * np.log10(power + 1e-12))


def energy_adjusted(
    probs: npt.NDArray[np.float32],
    *,
    raw_db: npt.NDArray[np.float64],
    clean_db: npt.NDArray[np.float64],
    open_: float,
) -> npt.NDArray[np.float64]:
    """Silero's probabilities after the rescue and the gate (see module docstring). Pure.
    (float64: a rescued frame must compare >= `open_` exactly, float32 would round it under.)"""
    import numpy as np

    p = np.asarray(probs, dtype=np.float64).copy()
    if p.size == 0:
        return p
    floor, top = np.percentile(raw_db, 10), np.percentile(raw_db, 90)
    loud = (raw_db > floor + RESCUE_ABOVE_FLOOR_DB) & (raw_db > top - RESCUE_BELOW_TOP_DB)
    p = np.where(loud & (p >= RESCUE_MIN_P), np.maximum(p, open_), p)
    floor, top = np.percentile(clean_db, GATE_FLOOR_PERCENTILE), np.percentile(clean_db, 90)
    return np.asarray(np.where(clean_db < floor + GATE_SHARE * (top - floor), 0.0, p))


def detect_speech(
    samples: npt.NDArray[np.float32],
) -> tuple[list[Segment], npt.NDArray[np.float32]]:
    """Speech segments (clipped to the audio length) and Silero's per-frame probabilities."""
    clean = denoised(samples) if DENOISE else samples
    probs = speech_probabilities(clean)
    duration = samples.size / SAMPLE_RATE
    open_, close = thresholds_for(probs)
    adjusted: npt.NDArray[np.float32] | npt.NDArray[np.float64] = probs
    if ENERGY_CHECKS:
        adjusted = energy_adjusted(
            probs,
            raw_db=frame_db(samples, frames=probs.size),
            clean_db=frame_db(clean, frames=probs.size),
            open_=open_,
        )
    segs = [
        Segment(s.start, min(s.end, duration))
        for s in segments_from_probabilities(adjusted, threshold=open_, neg_threshold=close)
        if s.start < duration
    ]
    return segs, probs

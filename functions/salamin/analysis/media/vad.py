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
    probs: npt.NDArray[np.float32] | list[float],
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


def detect_speech(
    samples: npt.NDArray[np.float32],
) -> tuple[list[Segment], npt.NDArray[np.float32]]:
    """Speech segments (clipped to the audio length) and the per-frame probabilities."""
    probs = speech_probabilities(denoised(samples) if DENOISE else samples)
    duration = samples.size / SAMPLE_RATE
    open_, close = thresholds_for(probs)
    segs = [
        Segment(s.start, min(s.end, duration))
        for s in segments_from_probabilities(probs, threshold=open_, neg_threshold=close)
        if s.start < duration
    ]
    return segs, probs

"""Voice activity: Silero VAD (the v6 ONNX model bundled in faster-whisper), our own segmenting.

We take Silero's per-frame speech probabilities (512 samples = 32 ms at 16 kHz) and segment
them with hysteresis, without the padding faster-whisper adds for transcription, because the
segment edges are measurements here (pause lengths, word-start snapping, SNR frames):

* a segment opens on the first frame with p >= `THRESHOLD` (0.5);
* it closes at the first frame with p < `NEG_THRESHOLD` (0.35) that starts a run of such
  frames lasting at least `MIN_SILENCE_S` (0.2 s); shorter dips stay inside the segment;
* segments shorter than `MIN_SPEECH_S` (0.1 s) are dropped as clicks.

Pauses (see `verbal`) are the gaps between these segments.
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


def detect_speech(
    samples: npt.NDArray[np.float32],
) -> tuple[list[Segment], npt.NDArray[np.float32]]:
    """Speech segments (clipped to the audio length) and the per-frame probabilities."""
    probs = speech_probabilities(samples)
    duration = samples.size / SAMPLE_RATE
    segs = [
        Segment(s.start, min(s.end, duration))
        for s in segments_from_probabilities(probs)
        if s.start < duration
    ]
    return segs, probs

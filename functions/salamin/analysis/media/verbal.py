"""Verbal measurements from the word-timed transcript and voice-activity segments.

Definitions (all times in seconds of the recording):

* **Word timings** come from Whisper, whose word starts after a silence land 0.3-0.5 s early
  (and ends run into the silence). `snap_words` moves a start that lies in non-speech onto the
  next voice-activity onset (at most `MAX_SNAP_S` = 0.8 s later), and an end in non-speech back
  to the previous offset.
* **Pause**: a gap between consecutive voice-activity segments of at least `MIN_PAUSE_S`
  (0.5 s). Shorter gaps are ordinary rhythm between words and phrases. Silence before the first
  and after the last speech is not a pause. Kinds:
    - *strategic*: 0.5-2.0 s right after a sentence end (last word ends in . ? ! ; or :);
    - *hesitation*: 0.5-2.0 s anywhere else (mid-sentence, or after a filler);
    - *long*: over 2.0 s up to `AWKWARD_MIN_S` (3.0 s);
    - *awkward*: over 3.0 s (the spec's awkwardSilences).
* **Speaking time**: total length of the speech regions, i.e. voice-activity segments merged
  across gaps shorter than a pause. So it is the time from first to last speech minus pauses.
* **Counted words**: recognised tokens containing a letter, except the vocal fillers um, uh, er
  (and their spellings). Lexical fillers (like, you know, ...) are words and are counted.
* **WPM** = weighted counted words / speaking time × 60, where a word counts
  min(1, probability / `FULL_WORD_P`) (0.5): under noise the recogniser splits one word it
  mishears into several it is unsure of ("leap a ship" for "leadership"), and each of those
  counted as a whole word pushed WPM up by up to 19% on the accuracy bench (tuning split,
  worst clip 18.7% -> 10.2%, mean 4.8% -> 3.7%; `wordCount` stays the plain count).
  **Variability** = population std of the WPM of
  10 s windows (`PACE_WINDOW_S`) that hold at least 4 s of speaking time; a window's words are
  those whose midpoint falls in it.
* **Fillers**: see `detect_fillers` for the rules that tell a filler "like" from "I like it".
* **Clarity proxies**: SNR from speech vs non-speech frame power; loudness steadiness as the
  std of 0.5 s speech-block dBFS; recogniser confidence as the mean word probability.
* **Pitch**: Praat autocorrelation pitch (75-500 Hz, voicing threshold 0.6, octave-jump cost
  0.5), voiced frames inside speech segments only, spread in semitones around the median.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from salamin.analysis.media import scoring
from salamin.analysis.media.models import (
    Clarity,
    FillerOccurrence,
    FillerTypeCount,
    FillerWords,
    PaceWindow,
    PauseEvidence,
    Pauses,
    SpeakingPace,
    Tonality,
    WordTiming,
)
from salamin.analysis.media.vad import FRAME_S, Segment

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MAX_SNAP_S = 0.8
MIN_PAUSE_S = 0.5
STRATEGIC_MAX_S = 2.0
AWKWARD_MIN_S = 3.0
PACE_WINDOW_S = 10.0
PACE_WINDOW_MIN_SPEECH_S = 4.0
FULL_WORD_P = 0.5
"""A counted word the recogniser gives at least this probability counts as one whole word."""
FILLER_GAP_S = 0.3
"""A silence this long next to a word counts as a boundary, like a comma."""

VOCAL_FILLERS = {
    "um": "um",
    "umm": "um",
    "uhm": "um",
    "mm": "um",
    "hmm": "um",
    "uh": "uh",
    "uhh": "uh",
    "er": "er",
    "err": "er",
    "erm": "er",
}
SENTENCE_END = tuple(".?!;:")
BOUNDARY_PUNCT = tuple(",.?!;:-…")

# "like" after these is a verb or a comparison ("would like", "looks like"), even with a
# boundary after it ("I would like, um, to ...").
_LIKE_NOT_AFTER = {
    "would", "do", "did", "don't", "didn't", "really", "also", "not", "to", "might", "may",
    "could", "should", "will", "look", "looks", "looked", "feel", "feels", "felt", "seem",
    "seems", "sounds", "just", "more", "much", "anything", "something", "nothing", "i'd",
    "we'd", "you'd", "they'd",
}  # fmt: skip
# After a subject it is the verb ("I like it") unless a boundary follows it: the recogniser
# often drops the comma before ("where I like, built ...") but keeps the pause after.
_LIKE_SUBJECTS = {"i", "you", "we", "they", "he", "she", "it", "people"}
# ...and before these, with no comma after "like", it is usually "such as"/comparison.
_LIKE_NOT_BEFORE = {"a", "an", "the", "this", "that", "my", "your", "his", "her", "our", "their"}
_YOU_KNOW_NOT_AFTER = {
    "do", "did", "don't", "didn't", "if", "what", "how", "as", "whether", "would", "might",
    "let", "may", "could", "should", "will", "that",
}  # fmt: skip
# ..."you know" before these, with no boundary after it, opens a question or clause
# ("you know what we learned?", "you know how it goes").
_YOU_KNOW_NOT_BEFORE = {
    "what", "how", "why", "where", "who", "when", "which", "whether", "if", "that", "the",
    "a", "an", "about", "him", "her", "them", "it", "this", "me", "us",
}  # fmt: skip
_I_MEAN_NOT_BEFORE = {"it", "to", "that"}
_I_MEAN_NOT_AFTER = {"what", "which", "that", "do", "did", "don't", "didn't"}
_DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "what", "some", "any", "every", "one",
    "which", "no", "same", "another", "each", "whatever", "my", "your", "our", "their",
}  # fmt: skip

_WORD_RE = re.compile(r"[^\w']+")


def norm(word: str) -> str:
    """Lower-case, surrounding punctuation removed ("Um," -> "um", "don't." -> "don't")."""
    return _WORD_RE.sub("", word.lower().replace("’", "'")).strip("'")


def ends_with(word: str, chars: tuple[str, ...]) -> bool:
    stripped = word.rstrip().rstrip('"”')
    return bool(stripped) and stripped.endswith(chars)


def is_counted_word(word: str) -> bool:
    """Counted for WPM: has a letter and is not a vocal filler (um, uh, er)."""
    n = norm(word)
    return any(c.isalpha() for c in n) and n not in VOCAL_FILLERS


# ---- word timing ----------------------------------------------------------------------------


def _segment_index(starts: list[float], segments: Sequence[Segment], t: float) -> int | None:
    i = bisect.bisect_right(starts, t) - 1
    if i >= 0 and segments[i].start <= t <= segments[i].end:
        return i
    return None


def snap_words(
    words: Sequence[WordTiming], segments: Sequence[Segment], *, max_shift: float = MAX_SNAP_S
) -> list[WordTiming]:
    """Move word edges that sit in non-speech onto the nearest voice-activity edge."""
    if not segments:
        return list(words)
    starts = [s.start for s in segments]
    out: list[WordTiming] = []
    for idx, w in enumerate(words):
        start, end, snapped = w.start, w.end, False
        if _segment_index(starts, segments, start) is None:
            nxt = bisect.bisect_right(starts, start)
            if nxt < len(segments) and segments[nxt].start - start <= max_shift:
                onset = segments[nxt].start
                if onset >= end:  # the whole word sat in the silence: move it bodily
                    limit = words[idx + 1].start if idx + 1 < len(words) else math.inf
                    end = max(onset + 0.05, min(end + (onset - start), limit))
                start, snapped = onset, True
        if _segment_index(starts, segments, end) is None:
            prev = bisect.bisect_right(starts, end) - 1
            if prev >= 0 and start < segments[prev].end < end:
                end, snapped = segments[prev].end, True
        out.append(w.model_copy(update={"start": start, "end": end, "snapped": snapped}))
    return out


# ---- pauses ---------------------------------------------------------------------------------


def speech_regions(segments: Sequence[Segment], *, min_pause: float = MIN_PAUSE_S) -> list[Segment]:
    """Segments merged across gaps shorter than a pause: the spans counted as speaking time."""
    regions: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if regions and seg.start - regions[-1].end < min_pause:
            regions[-1] = Segment(regions[-1].start, max(regions[-1].end, seg.end))
        else:
            regions.append(seg)
    return regions


def _word_before(words: Sequence[WordTiming], t: float) -> WordTiming | None:
    """The last word that starts before `t` (allowing its end to overrun `t` a little)."""
    best = None
    for w in words:
        if w.start < t and w.end <= t + 0.3:
            best = w
        elif w.start >= t:
            break
    return best


def classify_pause(duration: float, *, after_sentence_end: bool) -> str:
    if duration > AWKWARD_MIN_S:
        return "awkward"
    if duration > STRATEGIC_MAX_S:
        return "long"
    return "strategic" if after_sentence_end else "hesitation"


def detect_pauses(
    segments: Sequence[Segment], words: Sequence[WordTiming], *, min_pause: float = MIN_PAUSE_S
) -> list[PauseEvidence]:
    """Gaps of at least `min_pause` between speech segments, classified by length and context."""
    pauses: list[PauseEvidence] = []
    ordered = sorted(segments, key=lambda s: s.start)
    for a, b in itertools.pairwise(ordered):
        gap = b.start - a.end
        if gap < min_pause:
            continue
        before = _word_before(words, a.end + 1e-6)
        after_end = bool(
            before is not None
            and ends_with(before.word, SENTENCE_END)
            and norm(before.word) not in VOCAL_FILLERS
        )
        pauses.append(
            PauseEvidence(
                start=round(a.end, 3),
                end=round(b.start, 3),
                duration=round(gap, 3),
                kind=classify_pause(gap, after_sentence_end=after_end),  # type: ignore[arg-type]
                afterSentenceEnd=after_end,
            )
        )
    return pauses


def summarise_pauses(pauses: Sequence[PauseEvidence], *, speaking_time: float) -> Pauses:
    kinds = Counter(p.kind for p in pauses)
    durations = [p.duration for p in pauses]
    minutes = speaking_time / 60 if speaking_time > 0 else 0.0
    return Pauses(
        count=len(pauses),
        averagePauseLength=round(sum(durations) / len(durations), 3) if durations else None,
        longestPause=round(max(durations), 3) if durations else None,
        strategicPauses=kinds["strategic"],
        hesitationPauses=kinds["hesitation"],
        longPauses=kinds["long"],
        awkwardSilences=kinds["awkward"],
        perMinute=round(len(pauses) / minutes, 3) if minutes else 0.0,
        score=scoring.pause_score(
            hesitations=kinds["hesitation"] + kinds["long"],
            awkward=kinds["awkward"],
            strategic=kinds["strategic"],
            speaking_time=speaking_time,
        ),
    )


# ---- fillers --------------------------------------------------------------------------------


def detect_fillers(
    words: Sequence[WordTiming], *, gap: float = FILLER_GAP_S
) -> list[FillerOccurrence]:
    """Filler occurrences. Rules, on the transcript's punctuation and timing:

    * um/uh/er (and spellings like "umm", "erm") are always fillers;
    * "like" is a filler when set off by a comma or pause after it, or before it, unless the
      word before (with no boundary between) makes it a verb or comparison ("would like",
      "looks like"; a subject only with no boundary after: "I like it" but "where I like,
      built"), or (with no boundary after it) a determiner follows ("like the");
    * "you know" is a filler when set off by a boundary on either side, unless it is a question
      or clause ("do you know", "if you know", "as you know", or with no boundary after it
      "you know what we learned?");
    * "I mean" likewise, unless "what I mean", or followed without a boundary by "it"/"to";
    * "sort of"/"kind of" (and "sorta"/"kinda") are fillers unless a determiner precedes them
      ("a kind of tool", "that sort of thing").

    A boundary is the utterance edge, punctuation on the word, or a silence of `gap` seconds.
    """
    n = len(words)
    toks = [norm(w.word) for w in words]

    def boundary_before(i: int) -> bool:
        return (
            i == 0
            or ends_with(words[i - 1].word, BOUNDARY_PUNCT)
            or words[i].start - words[i - 1].end >= gap
        )

    def boundary_after(j: int) -> bool:
        return (
            j == n - 1
            or ends_with(words[j].word, BOUNDARY_PUNCT)
            or words[j + 1].start - words[j].end >= gap
        )

    def prev(i: int) -> str:
        return toks[i - 1] if i > 0 else ""

    def nxt(j: int) -> str:
        return toks[j + 1] if j + 1 < n else ""

    found: list[FillerOccurrence] = []

    def add(kind: str, i: int, j: int) -> None:
        text = " ".join(w.word for w in words[i : j + 1])
        found.append(FillerOccurrence(word=kind, text=text, start=words[i].start, end=words[j].end))

    i = 0
    while i < n:
        t = toks[i]
        pair = (t, nxt(i))
        if t in VOCAL_FILLERS:
            add(VOCAL_FILLERS[t], i, i)
        elif t == "like":
            after, before = boundary_after(i), boundary_before(i)
            governed = not before and (
                prev(i) in _LIKE_NOT_AFTER or (prev(i) in _LIKE_SUBJECTS and not after)
            )  # "would like", "looks like", "I like it"
            comparison = not after and nxt(i) in _LIKE_NOT_BEFORE  # "like the others"
            if (after or before) and not governed and not comparison:
                add("like", i, i)
        elif pair == ("you", "know"):
            after, before = boundary_after(i + 1), boundary_before(i)
            governed = not before and prev(i) in _YOU_KNOW_NOT_AFTER  # "do you know"
            clause = not after and nxt(i + 1) in _YOU_KNOW_NOT_BEFORE  # "you know what ...?"
            if (before or after) and not governed and not clause:
                add("you know", i, i + 1)
                i += 1
        elif pair == ("i", "mean"):
            after, before = boundary_after(i + 1), boundary_before(i)
            governed = not before and prev(i) in _I_MEAN_NOT_AFTER  # "what I mean"
            literal = not after and nxt(i + 1) in _I_MEAN_NOT_BEFORE  # "I mean it"
            if (before or after) and not governed and not literal:
                add("I mean", i, i + 1)
                i += 1
        elif pair in (("sort", "of"), ("kind", "of")):
            if prev(i) not in _DETERMINERS:
                add(f"{t} of", i, i + 1)
                i += 1
        elif t in ("sorta", "kinda") and prev(i) not in _DETERMINERS:
            add("sort of" if t == "sorta" else "kind of", i, i)
        i += 1
    return found


MERGE_SLACK_S = 1.0
"""A second recogniser's filler within this of a first-recogniser filler is the same one."""


def merge_fillers(
    primary: Sequence[FillerOccurrence],
    secondary: Sequence[FillerOccurrence],
    *,
    primary_words: Sequence[WordTiming],
    slack: float = MERGE_SLACK_S,
) -> list[FillerOccurrence]:
    """The primary recogniser's fillers plus the secondary's that it did not hear.

    A secondary filler is added only when no primary filler lies within `slack` seconds (the
    two recognisers time the same "um" up to ~0.5 s apart) and the primary transcript has no
    word with the same text near it (then the primary heard that word and judged it, e.g.
    "I like it", and its context rules win)."""

    def near(a0: float, a1: float, b0: float, b1: float) -> bool:
        return a0 < b1 + slack and a1 > b0 - slack

    out = list(primary)
    for f in secondary:
        if any(near(f.start, f.end, p.start, p.end) for p in primary):
            continue
        head = norm(f.text.split()[0]) if f.text.split() else ""
        if any(
            near(f.start, f.end, w.start, w.end) and norm(w.word) == head for w in primary_words
        ):
            continue
        out.append(f)
    return sorted(out, key=lambda f: f.start)


def summarise_fillers(fillers: Sequence[FillerOccurrence], *, speaking_time: float) -> FillerWords:
    counts = Counter(f.word for f in fillers)
    freq = len(fillers) / (speaking_time / 60) if speaking_time > 0 else 0.0
    return FillerWords(
        count=len(fillers),
        frequency=round(freq, 3),
        types=[FillerTypeCount(word=w, count=c) for w, c in counts.most_common()],
        timestamps=[round(f.start, 3) for f in fillers],
        score=scoring.filler_score(freq),
    )


# ---- pace -----------------------------------------------------------------------------------


def word_weight(word: WordTiming) -> float:
    """How much one counted word adds to the pace count (see module docstring)."""
    return min(1.0, word.probability / FULL_WORD_P)


def _overlap(a0: float, a1: float, regions: Sequence[Segment]) -> float:
    return sum(max(0.0, min(a1, r.end) - max(a0, r.start)) for r in regions)


def measure_pace(
    words: Sequence[WordTiming], regions: Sequence[Segment]
) -> tuple[SpeakingPace | None, list[PaceWindow], str | None]:
    """SpeakingPace, the per-window evidence, or None and the reason."""
    speaking = sum(r.duration for r in regions)
    counted = [w for w in words if is_counted_word(w.word)]
    if speaking < 1.0 or not counted:
        return None, [], "under one second of speech with recognisable words"
    weighted = sum(word_weight(w) for w in counted)
    wpm = weighted / speaking * 60
    windows: list[PaceWindow] = []
    t0, t_end = regions[0].start, regions[-1].end
    timed = sorted(((w.start + w.end) / 2, word_weight(w)) for w in counted)
    mids = [m for m, _ in timed]
    cumulative = list(itertools.accumulate((wt for _, wt in timed), initial=0.0))
    t = t0
    while t < t_end:
        t1 = t + PACE_WINDOW_S
        speak = _overlap(t, t1, regions)
        if speak >= PACE_WINDOW_MIN_SPEECH_S:
            lo, hi = bisect.bisect_left(mids, t), bisect.bisect_left(mids, t1)
            windows.append(
                PaceWindow(
                    start=round(t, 3),
                    end=round(t1, 3),
                    words=hi - lo,
                    speakingTime=round(speak, 3),
                    wpm=round((cumulative[hi] - cumulative[lo]) / speak * 60, 2),
                )
            )
        t = t1
    std = cv = None
    if len(windows) >= 2:
        rates = [w.wpm for w in windows]
        mean = sum(rates) / len(rates)
        std = math.sqrt(sum((r - mean) ** 2 for r in rates) / len(rates))
        cv = std / mean if mean > 0 else None
    pace = SpeakingPace(
        averageWPM=round(wpm, 2),
        variability=round(std, 2) if std is not None else None,
        variabilityCV=round(cv, 4) if cv is not None else None,
        wordCount=len(counted),
        weightedWordCount=round(weighted, 2),
        speakingTime=round(speaking, 3),
        optimalRange=scoring.OPTIMAL_WPM,
        score=scoring.pace_score(wpm),
    )
    return pace, windows, None


# ---- clarity --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Power:
    speech: float
    noise: float
    method: str


def _frame_power(samples: npt.NDArray[np.float32], frame: int) -> npt.NDArray[np.float64]:
    import numpy as np

    n = samples.size // frame
    x = samples[: n * frame].astype(np.float64).reshape(n, frame)
    return np.asarray(np.mean(x * x, axis=1))


def measure_clarity(
    samples: npt.NDArray[np.float32],
    *,
    segments: Sequence[Segment],
    words: Sequence[WordTiming],
    sample_rate: int = 16_000,
) -> Clarity:
    """SNR, speech level, loudness steadiness and recogniser confidence, with their scores.

    SNR: mean power of 32 ms frames inside speech segments vs frames at least 0.1 s away from
    any speech. With under 0.3 s of such non-speech, the quietest 10% of frames stand in for
    the noise floor (`snrMethod` says which). Noise power is floored at -100 dBFS and SNR is
    capped at 60 dB (digital silence would otherwise give infinity).
    """
    import numpy as np

    frame = int(FRAME_S * sample_rate)
    power = _frame_power(samples, frame)
    times = (np.arange(power.size) + 0.5) * FRAME_S
    in_speech = np.zeros(power.size, dtype=bool)
    near_speech = np.zeros(power.size, dtype=bool)
    for s in segments:
        in_speech |= (times >= s.start) & (times < s.end)
        near_speech |= (times >= s.start - 0.1) & (times < s.end + 0.1)
    quiet = ~near_speech
    snr = level = None
    method = None
    floor = 10 ** (-100 / 10)
    if in_speech.any():
        p_speech = float(power[in_speech].mean())
        if quiet.sum() * FRAME_S >= 0.3:
            p_noise, method = float(power[quiet].mean()), "silence-frames"
        else:
            p_noise = float(np.percentile(power, 10))
            method = "quietest-frames"
        p_noise = max(p_noise, floor)
        snr = min(60.0, 10 * math.log10(max(p_speech - p_noise, floor) / p_noise))
        level = 10 * math.log10(max(p_speech, floor))
    # Loudness steadiness over 0.5 s blocks of speech.
    block_db: list[float] = []
    block = int(0.5 * sample_rate)
    for s in segments:
        a, b = int(s.start * sample_rate), int(s.end * sample_rate)
        for k in range(a, b - block // 2, block):
            chunk = samples[k : min(k + block, b)].astype(np.float64)
            if chunk.size >= block // 2:
                block_db.append(10 * math.log10(max(float(np.mean(chunk * chunk)), floor)))
    loud_std = float(np.std(block_db)) if len(block_db) >= 3 else None
    confidence = sum(w.probability for w in words) / len(words) if words else None

    noise_score = scoring.snr_score(snr) if snr is not None else None
    volume_score = scoring.volume_score(level_dbfs=level, loudness_std_db=loud_std)
    pron_score = scoring.recognizer_score(confidence) if confidence is not None else None
    parts = [s for s in (noise_score, volume_score, pron_score) if s is not None]
    return Clarity(
        snrDb=round(snr, 2) if snr is not None else None,
        snrMethod=method,  # type: ignore[arg-type]
        speechLevelDbfs=round(level, 2) if level is not None else None,
        loudnessStdDb=round(loud_std, 2) if loud_std is not None else None,
        recognizerConfidence=round(confidence, 4) if confidence is not None else None,
        noiseScore=noise_score,
        volumeScore=volume_score,
        pronunciationScore=pron_score,
        score=round(sum(parts) / len(parts), 1) if parts else None,
    )


HIGH_BAND_HZ = 4000.0


def high_band_db(
    samples: npt.NDArray[np.float32], *, segments: Sequence[Segment], sample_rate: int = 16_000
) -> float | None:
    """Power above `HIGH_BAND_HZ` in speech frames relative to all their power, in dB (floored
    at -100). Telephone audio (300-3400 Hz) has next to none; None without a full speech frame."""
    import numpy as np

    frame = 512
    starts = [
        k
        for s in segments
        for k in range(int(s.start * sample_rate), int(s.end * sample_rate) - frame + 1, frame)
        if k + frame <= samples.size
    ]
    if not starts:
        return None
    chunks = np.stack([samples[k : k + frame] for k in starts]).astype(np.float64)
    power = (np.abs(np.fft.rfft(chunks * np.hanning(frame), axis=1)) ** 2).sum(axis=0)
    total = float(power.sum())
    if total <= 0:
        return None
    high = float(power[np.fft.rfftfreq(frame, 1 / sample_rate) >= HIGH_BAND_HZ].sum())
    return round(max(-100.0, 10 * math.log10(max(high / total, 1e-10))), 2)


# ---- pitch ----------------------------------------------------------------------------------

PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 500.0
MIN_VOICED_S = 1.0


def measure_pitch(
    samples: npt.NDArray[np.float32], *, segments: Sequence[Segment], sample_rate: int = 16_000
) -> tuple[Tonality | None, str | None]:
    """Pitch spread in semitones over voiced frames inside speech; None + reason if too little."""
    import numpy as np
    import parselmouth

    snd = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=sample_rate)
    pitch = snd.to_pitch_ac(
        time_step=0.01,
        pitch_floor=PITCH_FLOOR_HZ,
        pitch_ceiling=PITCH_CEILING_HZ,
        voicing_threshold=0.6,
        octave_jump_cost=0.5,
    )
    f0 = np.asarray(pitch.selected_array["frequency"], dtype=np.float64)
    times = np.asarray(pitch.xs(), dtype=np.float64)
    keep = f0 > 0
    mask = np.zeros(f0.size, dtype=bool)
    for s in segments:
        mask |= (times >= s.start) & (times < s.end)
    voiced = f0[keep & mask]
    voiced_time = voiced.size * 0.01
    if voiced_time < MIN_VOICED_S:
        return None, f"only {voiced_time:.2f} s of voiced speech (need {MIN_VOICED_S:.0f} s)"
    median = float(np.median(voiced))
    st = 12 * np.log2(voiced / median)
    st = st[np.abs(st) <= 12]  # an octave away from the median is a tracking error
    std = float(np.std(st))
    rng = float(np.percentile(st, 90) - np.percentile(st, 10))
    return (
        Tonality(
            pitchMedianHz=round(median, 1),
            pitchStdSemitones=round(std, 3),
            pitchRangeSemitones=round(rng, 3),
            voicedTime=round(voiced_time, 2),
            label=scoring.pitch_label(std),  # type: ignore[arg-type]
            score=scoring.pitch_score(std),
        ),
        None,
    )

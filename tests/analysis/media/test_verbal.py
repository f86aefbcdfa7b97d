"""Filler, pause, pace and snapping logic on made-up word lists; clarity and pitch on synthetic
signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from salamin.analysis.media import verbal
from salamin.analysis.media.models import WordTiming
from salamin.analysis.media.vad import Segment


def words(
    text: str, *, start: float = 0.0, step: float = 0.3, gaps: dict[int, float] | None = None
):
    """Words 0.25 s long every `step` s; `gaps` adds extra silence before word index i."""
    out, t = [], start
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(WordTiming(word=w, start=round(t, 3), end=round(t + 0.25, 3), probability=0.9))
        t += step
    return out


def kinds(text: str, **kw) -> list[str]:
    return [f.word for f in verbal.detect_fillers(words(text, **kw))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("So, um, I think uh we shipped it.", ["um", "uh"]),
        ("Umm, erm, it was er fine.", ["um", "er", "er"]),
        ("Like, the code was, like, fragile.", ["like", "like"]),
        ("I like working with people.", []),
        ("Where I like, built it.", ["like"]),
        ("I would like, um, to join.", ["um"]),
        ("I'd like to say so.", []),
        ("I would like to join. It looks like fun.", []),
        ("He is, like the others, careful.", []),
        ("It was fine. Like, honestly.", ["like"]),
        ("It was, you know, really hard.", ["you know"]),
        ("Do you know what happened next?", []),
        ("You know what we learned?", []),
        ("Mentoring, you know, people.", ["you know"]),
        ("As you know, we ship weekly.", []),
        ("I mean, nobody touched it.", ["I mean"]),
        ("What I mean is simple.", []),
        ("I mean it.", []),
        ("It was sort of hard and kind of slow.", ["sort of", "kind of"]),
        ("A kind of tool for that sort of thing.", []),
        ("It was kinda weird.", ["kind of"]),
    ],
)
def test_detect_fillers(text, expected):
    assert kinds(text) == expected


def test_a_pause_marks_a_filler_like_even_without_punctuation():
    assert kinds("we were like ready", gaps={3: 0.6}) == ["like"]
    assert kinds("we were like ready") == []


def test_filler_evidence_has_text_and_times():
    found = verbal.detect_fillers(words("Well you know, fine", start=1.0))
    assert [(f.word, f.text, f.start, f.end) for f in found] == [
        ("you know", "you know,", 1.3, 1.85)
    ]


def test_summarise_fillers_counts_types_and_rate():
    found = verbal.detect_fillers(words("um so um like, yes you know, uh"))
    s = verbal.summarise_fillers(found, speaking_time=30)
    assert s.count == 5
    assert s.frequency == 10.0  # 5 in half a minute
    assert (s.types[0].word, s.types[0].count) == ("um", 2)
    assert s.timestamps == [f.start for f in found]
    assert s.score == pytest.approx(18.2)


def test_counted_words_exclude_vocal_fillers_only():
    assert [verbal.is_counted_word(w) for w in ["Um,", "uh", "like,", "know", "--", "team."]] == [
        False, False, True, True, False, True,
    ]  # fmt: skip


def test_snap_moves_an_early_start_onto_the_vad_onset_and_clips_a_late_end():
    segs = [Segment(0.0, 2.0), Segment(3.0, 5.0)]
    ws = [
        WordTiming(word="team.", start=1.6, end=2.4, probability=0.9),  # end runs into silence
        WordTiming(word="Like,", start=2.6, end=3.3, probability=0.9),  # start 0.4 s early
        WordTiming(word="so", start=3.5, end=3.7, probability=0.9),  # inside speech: untouched
    ]
    out = verbal.snap_words(ws, segs)
    assert [(w.start, w.end, w.snapped) for w in out] == [
        (1.6, 2.0, True),
        (3.0, 3.3, True),
        (3.5, 3.7, False),
    ]


def test_snap_leaves_a_start_far_from_any_onset():
    out = verbal.snap_words([WordTiming(word="x", start=1.0, end=1.2, probability=1)],
                            [Segment(3.0, 4.0)])  # fmt: skip
    assert (out[0].start, out[0].snapped) == (1.0, False)


def test_snap_moves_a_word_that_sat_entirely_in_silence():
    ws = [WordTiming(word="um", start=2.5, end=2.7, probability=0.9),
          WordTiming(word="we", start=3.4, end=3.6, probability=0.9)]  # fmt: skip
    out = verbal.snap_words(ws, [Segment(0.0, 2.0), Segment(3.0, 4.0)])
    assert (out[0].start, out[0].end) == (3.0, 3.2)


def test_pauses_are_gaps_of_half_a_second_classified_by_length_and_sentence_end():
    segs = [Segment(0, 2), Segment(2.3, 4), Segment(5, 6), Segment(7, 8), Segment(10.5, 11),
            Segment(15, 16), Segment(17, 18)]  # fmt: skip
    ws = [
        WordTiming(word="team.", start=3.5, end=4.0, probability=1),  # before the 1.0 s gap
        WordTiming(word="and", start=5.5, end=6.0, probability=1),  # mid-sentence 1.0 s gap
        WordTiming(word="done.", start=7.5, end=8.0, probability=1),  # 2.5 s: long
        WordTiming(word="ok.", start=10.6, end=11.0, probability=1),  # 4.0 s: awkward
        WordTiming(word="um,", start=15.5, end=16.0, probability=1),  # after a filler
    ]
    pauses = verbal.detect_pauses(segs, ws)
    assert [(p.start, p.end, p.kind) for p in pauses] == [
        (4, 5, "strategic"),
        (6, 7, "hesitation"),
        (8, 10.5, "long"),
        (11, 15, "awkward"),
        (16, 17, "hesitation"),
    ]
    s = verbal.summarise_pauses(pauses, speaking_time=60)
    assert (s.count, s.strategicPauses, s.hesitationPauses, s.longPauses, s.awkwardSilences) == (
        5, 1, 2, 1, 1,
    )  # fmt: skip
    assert s.averagePauseLength == pytest.approx((1 + 1 + 2.5 + 4 + 1) / 5, abs=1e-3)
    assert s.longestPause == 4
    assert s.score == 25  # 100 - 15*3 - 30*1


def test_no_pauses_gives_none_average_not_a_made_up_number():
    s = verbal.summarise_pauses([], speaking_time=20)
    assert (s.count, s.averagePauseLength, s.longestPause) == (0, None, None)


def test_speech_regions_merge_across_short_gaps():
    regions = verbal.speech_regions([Segment(0, 1), Segment(1.3, 2), Segment(3, 4)])
    assert regions == [Segment(0, 2), Segment(3, 4)]


def test_pace_counts_words_over_speaking_time_and_window_spread():
    # 20 s of speech in two regions: 40 words in the first 10 s, 20 in the next 10 s.
    regions = [Segment(0, 10), Segment(12, 22)]
    ws = [
        WordTiming(word="w", start=i * 0.25, end=i * 0.25 + 0.2, probability=1) for i in range(40)
    ]
    ws += [
        WordTiming(word="w", start=12 + i * 0.5, end=12.3 + i * 0.5, probability=1)
        for i in range(20)
    ]
    ws.append(WordTiming(word="um", start=21.0, end=21.2, probability=1))  # not counted
    pace, windows, reason = verbal.measure_pace(ws, regions)
    assert reason is None and pace is not None
    assert pace.wordCount == 60
    assert pace.speakingTime == 20
    assert pace.averageWPM == 180
    assert [w.wpm for w in windows] == [240, 120]
    assert pace.variability == 60
    assert pace.variabilityCV == pytest.approx(60 / 180, abs=1e-4)
    assert pace.score == 66.7


def test_words_the_recogniser_is_unsure_of_count_in_part_toward_pace():
    # 10 s of speech: 20 sure words, and one misheard word split into 3 tokens at p 0.25.
    regions = [Segment(0, 10)]
    ws = [WordTiming(word="w", start=i * 0.4, end=i * 0.4 + 0.3, probability=0.95)
          for i in range(20)]  # fmt: skip
    ws += [WordTiming(word=t, start=8.5 + i * 0.2, end=8.6 + i * 0.2, probability=0.25)
           for i, t in enumerate(("leap", "a", "ship"))]  # fmt: skip
    pace, windows, _ = verbal.measure_pace(ws, regions)
    assert pace is not None
    assert pace.wordCount == 23  # the plain count is still reported
    assert pace.weightedWordCount == 21.5  # 20 + 3 x 0.5
    assert pace.averageWPM == 129  # 21.5 words / 10 s, not 138 from 23
    assert [(w.words, w.wpm) for w in windows] == [(23, 129)]


def test_pace_is_absent_without_speech():
    pace, windows, reason = verbal.measure_pace([], [Segment(0, 0.5)])
    assert pace is None and windows == [] and reason


SR = 16_000


def _tone(freqs: list[float], seconds_each: float, amp: float = 0.3) -> np.ndarray:
    """Harmonic voiced-like signal stepping through `freqs`."""
    parts = []
    for f in freqs:
        t = np.arange(int(seconds_each * SR)) / SR
        parts.append(sum(amp / k * np.sin(2 * np.pi * f * k * t) for k in range(1, 6)))
    return np.concatenate(parts).astype(np.float32)


def test_clarity_measures_snr_level_steadiness_and_confidence():
    rng = np.random.default_rng(0)
    speech = _tone([150.0], 3.0)
    x = np.concatenate([np.zeros(SR), speech, np.zeros(SR)]).astype(np.float32)
    p_speech = float(np.mean(speech.astype(np.float64) ** 2))
    noise_power = p_speech / 10 ** (20 / 10)  # 20 dB SNR
    x = x + (rng.standard_normal(x.size) * np.sqrt(noise_power)).astype(np.float32)
    ws = [WordTiming(word="a", start=1.2, end=1.5, probability=0.8),
          WordTiming(word="b", start=2.0, end=2.5, probability=0.6)]  # fmt: skip
    c = verbal.measure_clarity(x, segments=[Segment(1.0, 4.0)], words=ws)
    assert c.snrMethod == "silence-frames"
    assert c.snrDb == pytest.approx(20, abs=1.0)
    assert c.speechLevelDbfs == pytest.approx(10 * np.log10(p_speech + noise_power), abs=0.3)
    assert c.loudnessStdDb is not None and c.loudnessStdDb < 0.5  # a steady tone
    assert c.recognizerConfidence == pytest.approx(0.7)
    assert c.pronunciationScore == 50


def test_pitch_spread_in_semitones_on_known_tones():
    steady, reason = verbal.measure_pitch(_tone([150.0], 2.0), segments=[Segment(0, 2)])
    assert reason is None and steady is not None
    assert steady.pitchMedianHz == pytest.approx(150, abs=1)
    assert steady.pitchStdSemitones < 0.1
    assert steady.label == "monotone"
    # Half the time at 150 Hz, half at 200 Hz: 4.98 semitones apart, so std ~ 2.49 st.
    two, _ = verbal.measure_pitch(_tone([150.0, 200.0], 1.5), segments=[Segment(0, 3)])
    assert two is not None
    assert two.pitchStdSemitones == pytest.approx(2.49, abs=0.15)
    assert two.label == "moderate"


def test_pitch_ignores_voicing_outside_speech_segments_and_needs_a_second():
    x = _tone([150.0], 2.0)
    result, reason = verbal.measure_pitch(x, segments=[Segment(0.0, 0.5)])
    assert result is None and "voiced" in (reason or "")


# ---- fillers from a second recogniser -------------------------------------------------------


def test_a_filler_only_the_second_recogniser_heard_is_added() -> None:
    base = words("Or, when it works, the team is fast.")
    tiny = words("Er, when it works, the team is fast.")
    merged = verbal.merge_fillers(
        verbal.detect_fillers(base), verbal.detect_fillers(tiny), primary_words=base
    )
    assert [(f.word, f.start) for f in merged] == [("er", 0.0)]


def test_the_same_filler_timed_differently_is_counted_once() -> None:
    base = words("So, um, I joined a team.")
    tiny = words("So, um, I joined a team.", start=0.6)  # tiny.en times it 0.6 s later
    merged = verbal.merge_fillers(
        verbal.detect_fillers(base), verbal.detect_fillers(tiny), primary_words=base
    )
    assert [f.word for f in merged] == ["um"]


def test_the_first_recogniser_judging_the_same_word_wins() -> None:
    base = words("I like that we both listened.")  # "like" as a verb
    tiny = words("I, like, that we both listened.")
    assert verbal.detect_fillers(tiny)  # tiny's punctuation would call it a filler
    merged = verbal.merge_fillers(
        verbal.detect_fillers(base), verbal.detect_fillers(tiny), primary_words=base
    )
    assert merged == []


def test_high_band_share_tells_telephone_band_audio_from_full_band() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(32_000) / 16_000
    narrow = (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)  # all below 4 kHz
    broad = (0.1 * rng.standard_normal(t.size)).astype(np.float32)  # flat: half above 4 kHz
    speech = [Segment(0.0, 2.0)]
    narrow_db = verbal.high_band_db(narrow, segments=speech)
    assert narrow_db is not None and narrow_db < -45
    assert verbal.high_band_db(broad, segments=speech) == pytest.approx(-3.0, abs=0.5)
    assert verbal.high_band_db(broad, segments=[]) is None
    assert verbal.high_band_db(broad, segments=[Segment(1.99, 2.0)]) is None  # no whole frame

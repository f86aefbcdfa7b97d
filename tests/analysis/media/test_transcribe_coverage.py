"""The second transcription pass: speech that Whisper skipped after a long pause."""

from __future__ import annotations

from salamin.analysis.media.transcribe import RecognisedWord, uncovered_regions


def word(start: float, end: float) -> RecognisedWord:
    return RecognisedWord(word="x", start=start, end=end, probability=0.9)


def test_speech_with_words_on_it_is_covered() -> None:
    speech = [(0.5, 4.0), (5.0, 8.5)]
    assert uncovered_regions(speech, [word(0.6, 1.0), word(5.2, 5.6)]) == []


def test_skipped_speech_after_a_long_pause_is_found_and_nearby_spans_join() -> None:
    speech = [(0.5, 4.0), (11.9, 16.4), (17.2, 19.9), (25.0, 25.1)]
    regions = uncovered_regions(speech, [word(0.6, 3.9)])
    # 16.4 -> 17.2 is under the 1 s join gap; 25.0-25.1 is too short to count as speech
    assert regions == [(11.9, 19.9)]


def test_no_voice_activity_means_no_second_pass() -> None:
    assert uncovered_regions([], []) == []

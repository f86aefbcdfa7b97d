"""The second transcription pass: speech that Whisper skipped after a long pause."""

from __future__ import annotations

from salamin.analysis.media.transcribe import (
    RecognisedWord,
    clean_text,
    speech_words,
    uncovered_regions,
)


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


# ---- what Whisper writes that is not speech -------------------------------------------------


def said(*tokens: str) -> list[RecognisedWord]:
    return [
        RecognisedWord(word=t, start=i * 0.4, end=i * 0.4 + 0.3, probability=0.9)
        for i, t in enumerate(tokens)
    ]


def texts(words: list[RecognisedWord]) -> list[str]:
    return [w.word for w in words]


def test_blank_audio_split_over_two_tokens_is_not_counted_as_words() -> None:
    words = said("I", "like", "that", "we", "both", "listened.", "[BLANK", "_AUDIO]")
    assert texts(speech_words(words)) == ["I", "like", "that", "we", "both", "listened."]


def test_single_token_annotations_go_but_a_spoken_parenthesis_stays() -> None:
    words = said("[Music]", "(laughs)", "so", "(which", "was", "hard)", "*sigh*", "ok")
    assert texts(speech_words(words)) == ["so", "(which", "was", "hard)", "ok"]


def test_an_unclosed_bracket_is_kept_as_a_word() -> None:
    words = said("[so", "we", "shipped", "it", "in", "two", "weeks")
    assert texts(speech_words(words)) == texts(words)


def test_a_decoding_loop_keeps_one_copy() -> None:
    words = said("we", "thought", "the", "slope", "and", "the", "slope", "and", "the", "slope",
                 "and", "the", "slope.", "I")  # fmt: skip
    assert texts(speech_words(words)) == ["we", "thought", "the", "slope", "and", "I"]


def test_a_speaker_repeating_a_word_or_restarting_twice_is_left_alone() -> None:
    words = said("I", "I", "think", "we", "should", "we", "should", "try")
    assert texts(speech_words(words)) == texts(words)


def test_annotations_are_removed_from_the_text() -> None:
    assert clean_text("I like that. [BLANK_AUDIO]") == "I like that."
    assert clean_text("So (laughs) it worked (which was hard).") == "So it worked (which was hard)."

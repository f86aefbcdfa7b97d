"""Content metrics: Gemini through the double, and the transparent fallback."""

from __future__ import annotations

import math

import pytest

from salamin.analysis.content import (
    ContentJudgement,
    analyze_content,
)
from salamin.gateways.gemini import GeminiGateway
from scripts.doubles.gemini_double import GeminiDouble

QUESTION = "Tell me about a time you reduced customer churn."

STAR = (
    "In my last role at a logistics startup, our team was facing a 9% monthly churn rate. "
    "My task was to find out why customers were leaving and fix it within one quarter. "
    "First, I analysed 300 cancellation surveys and I interviewed twelve customers. "
    "Next, I proposed a new onboarding flow, and I led a team of four engineers to build it. "
    "After that, I set up a weekly dashboard so that we could track activation. "
    "As a result, churn dropped from 9% to 4% in three months, and we saved about 200 "
    "thousand dollars a year. What I learned is that talking to customers early beats guessing."
)

RAMBLE = (
    "Um so yeah, I mean, there was this thing, you know, with the customers and stuff. "
    "Like, they were kind of unhappy, I guess, and um we talked about it a lot. "
    "And, uh, it was sort of a big deal, basically. People had opinions and whatever. "
    "I mean it was fine I think, you know, things got better or something. "
    "Yeah, so, um, that's kind of it, basically, it was a learning experience and stuff."
)

JUDGEMENT = {
    "structureClarity": {
        "introduction": 80,
        "bodyOrganization": 70,
        "conclusion": 60,
        "transitions": 50,
        "score": 65,
    },
    "relevance": {"questionAlignment": 90, "exampleQuality": 80, "detailLevel": 70, "score": 80},
    "storytelling": {"narrative": 60, "engagement": 60, "clarity": 60, "impact": 60, "score": 70},
    "technicalAccuracy": None,
}


def test_star_answer_beats_rambling_answer_in_fallback() -> None:
    star = analyze_content(transcript=STAR, words=None, questions=[QUESTION], gemini=None)
    ramble = analyze_content(transcript=RAMBLE, words=None, questions=[QUESTION], gemini=None)
    for result in (star, ramble):
        assert result.source == "fallback" and result.fallbackReason == "not_configured"
        assert result.metrics.storytelling and result.metrics.storytelling.source == "fallback"
    s, r = star.metrics, ramble.metrics
    assert s.storytelling and r.storytelling and s.structureClarity and r.structureClarity
    assert s.storytelling.score is not None and r.storytelling.score is not None
    assert s.storytelling.score > r.storytelling.score + 30
    assert s.structureClarity.score is not None and r.structureClarity.score is not None
    assert s.structureClarity.score > r.structureClarity.score
    assert s.storytelling.narrative == 100.0  # all four STAR parts
    assert r.storytelling.clarity == 0.0  # 18 fillers/hedges in 76 words: 1 - 10 * 0.24 < 0
    assert star.signals and star.signals.starPartsPresent == [
        "situation",
        "task",
        "action",
        "result",
    ]
    assert ramble.signals and ramble.signals.fillersAndHedges >= 15


def test_fallback_leaves_technical_accuracy_out_with_reason() -> None:
    r = analyze_content(transcript=STAR, words=None, questions=None, gemini=None)
    tech = r.metrics.technicalAccuracy
    assert tech is not None and tech.score is None and tech.correctness is None
    assert tech.unavailableReason and "model" in tech.unavailableReason
    # Without questions the alignment sub-score is absent too, and the group says why.
    assert r.metrics.relevance and r.metrics.relevance.questionAlignment is None
    assert r.metrics.relevance.unavailableReason == "no questions were supplied"
    assert r.metrics.relevance.score is not None


def test_fallback_confidence_follows_length_and_stays_below_model_ceiling() -> None:
    short = analyze_content(
        transcript="I led the project.", words=None, questions=None, gemini=None
    )
    longer = analyze_content(transcript=STAR * 3, words=None, questions=None, gemini=None)
    assert short.signals and longer.signals
    assert short.confidence == pytest.approx(60 * math.sqrt(4 / 300), abs=0.05)
    assert longer.confidence == 60.0  # >= 300 words: the fallback ceiling
    assert short.confidence is not None and short.confidence < longer.confidence


def test_no_speech_is_unavailable_not_zero() -> None:
    r = analyze_content(transcript="  ", words=None, questions=[QUESTION], gemini=None)
    assert r.source is None and r.confidence is None
    assert r.metrics.structureClarity is None and r.metrics.score is None
    assert r.metrics.unavailableReason == "no speech was transcribed"


def test_detail_level_band() -> None:
    words_70 = " ".join(["word"] * 70)
    words_200 = " ".join(["word"] * 200)
    r70 = analyze_content(transcript=words_70, words=None, questions=None, gemini=None)
    r200 = analyze_content(transcript=words_200, words=None, questions=None, gemini=None)
    assert r70.metrics.relevance and r70.metrics.relevance.detailLevel == 50.0  # (70-20)/100
    assert r200.metrics.relevance and r200.metrics.relevance.detailLevel == 100.0


def test_timed_words_split_answers_at_silences_and_align_per_question() -> None:
    first = ["we", "reduced", "churn", "for", "customers"]
    second = ["i", "designed", "the", "onboarding", "flow"]
    words: list[dict[str, object]] = [
        {"word": w, "start": i * 0.5, "end": i * 0.5 + 0.4} for i, w in enumerate(first)
    ]
    offset = len(first) * 0.5 + 6.0  # a 6.1 s silence between the answers
    words += [
        {"word": w, "start": offset + i * 0.5, "end": offset + i * 0.5 + 0.4}
        for i, w in enumerate(second)
    ]
    r = analyze_content(
        transcript=" ".join(first + second),
        words=words,
        questions=["How did you reduce churn?", "Describe the onboarding design."],
        gemini=None,
    )
    assert r.signals and r.signals.answerCount == 2
    # Each answer uses its own question's keywords -> full alignment per question.
    assert r.metrics.relevance and r.metrics.relevance.questionAlignment == 100.0


def test_model_judgement_through_the_double(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    r = analyze_content(
        transcript=STAR, words=None, questions=[QUESTION], target_role="PM", gemini=gemini
    )
    assert r.source == "model" and r.fallbackReason is None
    m = r.metrics
    for group in (m.structureClarity, m.relevance, m.storytelling):
        assert group is not None and group.source == "model"
        assert group.score is not None and 0 <= group.score <= 100
    (req,) = gemini_double.requests
    assert QUESTION in req.prompt_text and "Target role: PM" in req.prompt_text
    assert "churn" in req.prompt_text
    assert "technicalAccuracy" in req.body["generationConfig"]["responseSchema"]["properties"]
    assert r.confidence is not None and 0 < r.confidence <= 90


def test_model_scores_are_copied_and_confidence_uses_consistency(
    gemini: GeminiGateway, gemini_double: GeminiDouble
) -> None:
    gemini_double.queue_json(JUDGEMENT)
    r = analyze_content(transcript=STAR, words=None, questions=[QUESTION], gemini=gemini)
    m = r.metrics
    assert m.structureClarity and m.structureClarity.introduction == 80
    assert m.relevance and m.relevance.score == 80
    tech = m.technicalAccuracy
    assert tech and tech.score is None and tech.source == "model" and tech.unavailableReason
    assert m.score == pytest.approx((65 + 80 + 70) / 3, abs=0.05)
    # |65-65| + |80-80| + |70-60| over 3 groups -> mean gap 10/3 -> consistency 0.9667
    assert r.signals
    expected = 90 * math.sqrt(min(1, r.signals.wordCount / 300)) * (1 - (10 / 3) / 100)
    assert r.confidence == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (lambda d: d.queue_malformed(), "malformed"),
        (lambda d: d.queue_json({"structureClarity": {"introduction": 500}}), "schema_invalid"),
        (lambda d: [d.queue_rate_limit(), d.queue_rate_limit()], "rate_limited"),
        (lambda d: [d.queue_server_error(), d.queue_server_error()], "server_error"),
        (lambda d: d.queue_hang(3), "timeout"),
    ],
)
def test_model_failures_fall_back_and_are_labelled(
    gemini: GeminiGateway, gemini_double: GeminiDouble, script: object, kind: str
) -> None:
    script(gemini_double)  # type: ignore[operator]
    r = analyze_content(transcript=STAR, words=None, questions=[QUESTION], gemini=gemini)
    assert r.source == "fallback"
    assert r.fallbackReason == kind
    assert r.metrics.storytelling and r.metrics.storytelling.source == "fallback"
    assert r.confidence is not None and r.confidence <= 60


def test_judgement_schema_is_what_the_model_is_asked_for() -> None:
    """Sub-scores are bounded integers; technical accuracy may be null."""
    schema = ContentJudgement.model_json_schema()
    assert set(schema["required"]) == {"structureClarity", "relevance", "storytelling"}

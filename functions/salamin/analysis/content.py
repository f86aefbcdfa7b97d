"""Content metrics: how well the answers are built, judged by Gemini or by a visible heuristic.

Gemini gets the transcript and the questions and returns scores through a pydantic response
schema (`ContentJudgement`); the result is labelled `source="model"`. When no gateway is
configured or the call fails for any reason, `fallback_content` scores the transcript with the
documented phrase counts below and labels it `source="fallback"` with a lower confidence.
Technical accuracy needs domain knowledge, so the fallback leaves it out with a reason.

Fallback formulas (A = number of answers, N = words; each answer is scored, then averaged):

* answers: one per question; with timed words they are split at the A-1 longest silences
  (or at silences >= 4 s when questions are unknown); without timing, into A equal parts.
* structureClarity.introduction = 100 if the answer's opening (first 25 %, at least 20 words)
  has a framing/context phrase, else 0.
* structureClarity.conclusion  = 100 if its closing (last 25 %, >= 20 words) has a result or
  summary phrase, else 0.
* structureClarity.bodyOrganization = 100 * (STAR parts whose first mention follows the
  previous part's) / 4.
* structureClarity.transitions = 100 * min(1, transition phrases per 100 words / 3).
* relevance.questionAlignment = 100 * min(1, share of question keywords used / 0.6); per
  question when the answers could be matched to questions. Absent without questions.
* relevance.exampleQuality = 100 * min(1, (example phrases + situation phrases) / A).
* relevance.detailLevel = 100 for 120-300 words per answer, falling linearly to 0 at 20 and
  at 600 words (about 1-2 minutes of speech is the usual target).
* storytelling.narrative = 100 * (STAR parts present) / 4.
* storytelling.engagement = 100 * min(1, first-person actions ("I led", "we shipped") per
  100 words / 2).
* storytelling.clarity = 100 * max(0, 1 - 10 * (fillers + hedges) / N).
* storytelling.impact = 100 * min(1, quantities mentioned (numbers, %, "doubled") / (2 A)).
* each group score = mean of its sub-scores.

Confidence (0-100): length = min(1, N / 300) (about two minutes of answers).
model = 90 * sqrt(length) * consistency, where consistency = 1 - mean |group score - mean of
its sub-scores| / 100 (a self-contradicting answer is trusted less);
fallback = 60 * sqrt(length): phrase counting never earns more than 60.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from salamin.analysis.overall import mean_or_none
from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from salamin.models.analysis import (
    ContentMetrics,
    Relevance,
    Storytelling,
    StructureClarity,
    TechnicalAccuracy,
)

log = logging.getLogger(__name__)

# ---- phrase lists (lower-case, matched on word boundaries) ----------------------------------

# fmt: off
SITUATION = (
    "when i was", "at my previous", "at my last", "in my previous", "in my last",
    "in my current", "back in", "at the time", "the situation", "our team was",
    "we were facing", "the context", "a time when", "there was a time",
)
TASK = (
    "my task", "i was responsible", "i was tasked", "my role was", "my job was",
    "the goal was", "our goal was", "i needed to", "i had to", "the challenge was",
    "the objective", "we needed to",
)
ACTION = (
    "i decided", "i implemented", "i led", "i built", "i created", "i organized",
    "i organised", "i designed", "i proposed", "i introduced", "i set up", "i wrote",
    "i started", "i worked with", "i reached out", "i analyzed", "i analysed", "so i",
    "i took", "i rewrote", "i migrated",
)
RESULT = (
    "as a result", "the result", "resulted in", "which led to", "this led to", "in the end",
    "the outcome", "we achieved", "we delivered", "we reduced", "we increased", "we improved",
    "i reduced", "i increased", "i improved", "we saved", "we grew", "we cut",
)
TRANSITIONS = (
    "first", "firstly", "second", "secondly", "third", "next", "after that", "afterwards",
    "finally", "however", "because", "therefore", "so that", "as a result", "for example",
    "for instance", "in addition", "meanwhile", "in summary", "to summarize", "to summarise",
    "overall",
)
FRAMING = (
    *SITUATION, "let me", "i'd like to", "i would like to", "in my experience",
    "a good example", "one example", "the short answer", "to answer",
)
CLOSING = (
    *RESULT, "in summary", "to summarize", "to summarise", "overall", "what i learned",
    "i learned", "the lesson", "looking back", "in hindsight", "that's why", "which is why",
)
EXAMPLES = (
    "for example", "for instance", "such as", "specifically", "one time", "in one case",
    "in one project",
)
FILLERS_HEDGES = (
    "um", "uh", "erm", "er", "uhm", "hmm", "you know", "kind of", "sort of", "i mean",
    "basically", "i guess", "or something", "and stuff", "whatever",
)
QUANTITY_WORDS = frozenset({
    "%", "percent", "percentage", "twice", "double", "doubled", "tripled", "half", "halved",
    "hundred", "hundreds", "thousand", "thousands", "million", "millions", "billion", "dozen",
})
_IRREGULAR_PAST = frozenset({
    "built", "led", "wrote", "ran", "made", "took", "drove", "set", "brought", "found", "won",
    "grew", "cut", "shipped", "sold", "taught", "spoke", "chose", "began", "rebuilt",
})
_STOPWORDS = frozenset({
    "about", "after", "again", "also", "been", "before", "being", "could", "describe", "does",
    "doing", "from", "have", "having", "into", "just", "more", "most", "other", "over", "please",
    "should", "some", "such", "tell", "than", "that", "their", "them", "then", "there", "these",
    "they", "this", "those", "through", "time", "very", "walk", "want", "were", "what", "when",
    "where", "which", "while", "with", "would", "your", "you're", "yours",
})
# fmt: on
_STAR = (("situation", SITUATION), ("task", TASK), ("action", ACTION), ("result", RESULT))

LENGTH_FULL_WORDS = 300
MODEL_CONFIDENCE_CEILING = 90.0
FALLBACK_CONFIDENCE_CEILING = 60.0
ANSWER_GAP_S = 4.0
MAX_PROMPT_CHARS = 24_000

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|%")


# ---- result types ---------------------------------------------------------------------------


class ContentSignals(BaseModel):
    """The raw counts behind the fallback scores; also evidence for insights."""

    wordCount: int
    answerCount: int
    wordsPerAnswer: float
    starPartsPresent: list[str]
    """STAR parts mentioned anywhere, e.g. ["situation", "action"]."""
    transitions: int
    examples: int
    quantities: int
    personalActions: int
    fillersAndHedges: int
    questionKeywordShare: float | None = None


class ContentAnalysisResult(BaseModel):
    metrics: ContentMetrics
    confidence: float | None
    """0-100, see module docstring; None when nothing could be analysed."""
    source: Literal["model", "fallback"] | None
    fallbackReason: str | None = None
    """Why the model was not used: "not_configured" or the GeminiUnavailable kind."""
    signals: ContentSignals | None = None


_Sub = Annotated[int, Field(ge=0, le=100)]


class _StructureJudgement(BaseModel):
    introduction: _Sub
    bodyOrganization: _Sub
    conclusion: _Sub
    transitions: _Sub
    score: _Sub


class _RelevanceJudgement(BaseModel):
    questionAlignment: _Sub
    exampleQuality: _Sub
    detailLevel: _Sub
    score: _Sub


class _StorytellingJudgement(BaseModel):
    narrative: _Sub
    engagement: _Sub
    clarity: _Sub
    impact: _Sub
    score: _Sub


class _TechnicalJudgement(BaseModel):
    correctness: _Sub
    depth: _Sub
    breadth: _Sub
    score: _Sub


class ContentJudgement(BaseModel):
    """The response schema Gemini fills. Integers 0-100."""

    structureClarity: _StructureJudgement
    relevance: _RelevanceJudgement
    storytelling: _StorytellingJudgement
    technicalAccuracy: _TechnicalJudgement | None = Field(
        default=None,
        description="null when the answers make no technical claims that can be checked",
    )


SYSTEM_PROMPT = (
    "You are an experienced interview coach scoring the content of a candidate's spoken "
    "answers. Judge only what is in the transcript; do not reward delivery (it is measured "
    "elsewhere). All scores are integers 0-100 where 50 is a typical mid-level candidate and "
    "90+ is exceptional. Each group's `score` is your overall judgement of that group. "
    "structureClarity: opening that frames the answer, organised body, clear conclusion, "
    "transitions. relevance: answers the question asked, quality of examples, right level of "
    "detail. storytelling: situation-task-action-result narrative, engagement, clarity, "
    "measurable impact. Set technicalAccuracy to null when the answers make no technical "
    "claims that can be checked; otherwise judge correctness, depth and breadth for the role."
)


# ---- entry point ----------------------------------------------------------------------------


def analyze_content(
    *,
    transcript: str,
    words: Sequence[Any] | None = None,
    questions: list[str] | None = None,
    target_role: str | None = None,
    gemini: GeminiGateway | None = None,
) -> ContentAnalysisResult:
    """Content metrics from Gemini when available, else from the transparent fallback.

    `words` are timed recogniser words (objects or mappings with `word`/`text`, `start`,
    `end` in seconds); they only help split the transcript into answers.
    """
    tokens, starts, ends = _tokens(transcript, words)
    if not tokens:
        return ContentAnalysisResult(
            metrics=ContentMetrics(unavailableReason="no speech was transcribed"),
            confidence=None,
            source=None,
        )
    questions = [q for q in (questions or []) if q.strip()]
    segments = _segments(tokens, starts, ends, answer_count=len(questions) or None)
    signals = _signals(tokens, segments, questions)
    if gemini is None:
        return fallback_content(tokens, segments, questions, signals, reason="not_configured")
    try:
        judgement = gemini.generate_structured(
            prompt=build_prompt(transcript, questions=questions, target_role=target_role),
            system=SYSTEM_PROMPT,
            schema=ContentJudgement,
        )
    except GeminiUnavailable as exc:
        log.warning("content analysis falling back: gemini %s", exc.kind)
        return fallback_content(tokens, segments, questions, signals, reason=exc.kind)
    return _from_judgement(judgement, signals)


def build_prompt(transcript: str, *, questions: list[str], target_role: str | None) -> str:
    text = transcript.strip()
    note = ""
    if len(text) > MAX_PROMPT_CHARS:
        text, note = text[:MAX_PROMPT_CHARS], " (truncated)"
    asked = "\n".join(f"{i}. {q}" for i, q in enumerate(questions, 1)) or "(not recorded)"
    return (
        f"Target role: {target_role or 'not specified'}\n\n"
        f"Questions asked:\n{asked}\n\n"
        f"Candidate's answers, verbatim from speech recognition{note}:\n"
        f'"""\n{text}\n"""\n\n'
        "Score the content of these answers."
    )


# ---- model path -----------------------------------------------------------------------------


def _from_judgement(j: ContentJudgement, signals: ContentSignals) -> ContentAnalysisResult:
    tech = (
        TechnicalAccuracy(source="model", **j.technicalAccuracy.model_dump())
        if j.technicalAccuracy is not None
        else TechnicalAccuracy(
            source="model", unavailableReason="the answers make no checkable technical claims"
        )
    )
    structure = StructureClarity(source="model", **j.structureClarity.model_dump())
    relevance = Relevance(source="model", **j.relevance.model_dump())
    story = Storytelling(source="model", **j.storytelling.model_dump())
    groups: list[BaseModel] = [j.structureClarity, j.relevance, j.storytelling]
    if j.technicalAccuracy is not None:
        groups.append(j.technicalAccuracy)
    gaps = []
    for g in groups:
        values = g.model_dump()
        score = values.pop("score")
        gaps.append(abs(score - sum(values.values()) / len(values)))
    consistency = 1 - (sum(gaps) / len(gaps)) / 100
    confidence = MODEL_CONFIDENCE_CEILING * _length_factor(signals.wordCount) * consistency
    metrics = ContentMetrics(
        structureClarity=structure,
        relevance=relevance,
        storytelling=story,
        technicalAccuracy=tech,
        score=_round(mean_or_none([structure.score, relevance.score, story.score, tech.score])),
    )
    return ContentAnalysisResult(
        metrics=metrics, confidence=round(confidence, 1), source="model", signals=signals
    )


# ---- fallback -------------------------------------------------------------------------------


def fallback_content(
    tokens: list[str],
    segments: list[tuple[int, int]],
    questions: list[str],
    signals: ContentSignals,
    *,
    reason: str,
) -> ContentAnalysisResult:
    """Score the transcript with the module-docstring formulas; label it `fallback`."""
    per_answer = [_answer_scores(tokens[a:b]) for a, b in segments]
    n = len(tokens)
    answers = len(segments)

    def avg(key: str) -> float:
        return sum(s[key] for s in per_answer) / len(per_answer)

    transitions = 100 * min(1.0, (signals.transitions / n * 100) / 3)
    structure = _group(
        StructureClarity,
        introduction=avg("introduction"),
        bodyOrganization=avg("bodyOrganization"),
        conclusion=avg("conclusion"),
        transitions=transitions,
    )
    alignment = _question_alignment(tokens, segments, questions)
    example_hits = signals.examples + _count(tokens, SITUATION)
    relevance = _group(
        Relevance,
        questionAlignment=alignment,
        exampleQuality=100 * min(1.0, example_hits / answers),
        detailLevel=_band(signals.wordsPerAnswer),
        unavailable_reason=None if alignment is not None else "no questions were supplied",
    )
    story = _group(
        Storytelling,
        narrative=avg("narrative"),
        engagement=100 * min(1.0, (signals.personalActions / n * 100) / 2),
        clarity=100 * max(0.0, 1 - 10 * signals.fillersAndHedges / n),
        impact=100 * min(1.0, signals.quantities / (2 * answers)),
    )
    tech = TechnicalAccuracy(
        source="fallback",
        unavailableReason="technical accuracy needs a model judgement; the model was unavailable",
    )
    metrics = ContentMetrics(
        structureClarity=structure,
        relevance=relevance,
        storytelling=story,
        technicalAccuracy=tech,
        score=_round(mean_or_none([structure.score, relevance.score, story.score])),
    )
    confidence = FALLBACK_CONFIDENCE_CEILING * _length_factor(n)
    return ContentAnalysisResult(
        metrics=metrics,
        confidence=round(confidence, 1),
        source="fallback",
        fallbackReason=reason,
        signals=signals,
    )


def _group(cls: type[Any], *, unavailable_reason: str | None = None, **subs: float | None) -> Any:
    rounded = {k: _round(v) for k, v in subs.items()}
    return cls(
        source="fallback",
        unavailableReason=unavailable_reason,
        score=_round(mean_or_none(list(subs.values()))),
        **rounded,
    )


def _answer_scores(tokens: list[str]) -> dict[str, float]:
    edge = min(len(tokens), max(20, len(tokens) // 4))
    opening, closing = tokens[:edge], tokens[-edge:]
    firsts = [_first(tokens, phrases) for _, phrases in _STAR]
    present = [p for p in firsts if p is not None]
    in_order, last = 0, -1
    for pos in firsts:
        if pos is not None and pos > last:
            in_order, last = in_order + 1, pos
    return {
        "introduction": 100.0 if _count(opening, FRAMING) else 0.0,
        "conclusion": 100.0 if _count(closing, CLOSING) else 0.0,
        "bodyOrganization": 100 * in_order / 4,
        "narrative": 100 * len(present) / 4,
    }


def _question_alignment(
    tokens: list[str], segments: list[tuple[int, int]], questions: list[str]
) -> float | None:
    if not questions:
        return None
    if len(segments) == len(questions):
        shares = [
            _keyword_share(q, tokens[a:b]) for q, (a, b) in zip(questions, segments, strict=True)
        ]
        known = [s for s in shares if s is not None]
        share = sum(known) / len(known) if known else None
    else:
        share = _keyword_share(" ".join(questions), tokens)
    return None if share is None else 100 * min(1.0, share / 0.6)


def _keyword_share(question: str, tokens: list[str]) -> float | None:
    """Share of the question's content words (prefix-matched, 5 chars) used in the answer."""
    keys = {t[:5] for t in _TOKEN.findall(question.lower()) if len(t) >= 4 and t not in _STOPWORDS}
    if not keys:
        return None
    used = {t[:5] for t in tokens}
    return len(keys & used) / len(keys)


def _band(words_per_answer: float) -> float:
    if 120 <= words_per_answer <= 300:
        return 100.0
    if words_per_answer < 120:
        return 100 * max(0.0, (words_per_answer - 20) / 100)
    return 100 * max(0.0, (600 - words_per_answer) / 300)


# ---- text helpers ---------------------------------------------------------------------------


def _signals(
    tokens: list[str], segments: list[tuple[int, int]], questions: list[str]
) -> ContentSignals:
    present = [name for name, phrases in _STAR if _first(tokens, phrases) is not None]
    return ContentSignals(
        wordCount=len(tokens),
        answerCount=len(segments),
        wordsPerAnswer=round(len(tokens) / len(segments), 1),
        starPartsPresent=present,
        transitions=_count(tokens, TRANSITIONS),
        examples=_count(tokens, EXAMPLES),
        quantities=sum(1 for t in tokens if t in QUANTITY_WORDS or any(c.isdigit() for c in t)),
        personalActions=sum(
            1
            for a, b in itertools.pairwise(tokens)
            if a in ("i", "we") and (b in _IRREGULAR_PAST or (len(b) > 4 and b.endswith("ed")))
        ),
        fillersAndHedges=_count(tokens, FILLERS_HEDGES),
        questionKeywordShare=(
            None if not questions else _round_share(_keyword_share(" ".join(questions), tokens))
        ),
    )


def _round_share(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _phrase_positions(tokens: list[str], phrases: Sequence[str]) -> list[int]:
    positions: list[int] = []
    for phrase in phrases:
        parts = phrase.split()
        k = len(parts)
        positions.extend(i for i in range(len(tokens) - k + 1) if tokens[i : i + k] == parts)
    return positions


def _count(tokens: list[str], phrases: Sequence[str]) -> int:
    return len(_phrase_positions(tokens, phrases))


def _first(tokens: list[str], phrases: Sequence[str]) -> int | None:
    positions = _phrase_positions(tokens, phrases)
    return min(positions) if positions else None


def _word_field(word: Any, *names: str) -> Any:
    for name in names:
        value = word.get(name) if isinstance(word, Mapping) else getattr(word, name, None)
        if value is not None:
            return value
    return None


def _tokens(
    transcript: str, words: Sequence[Any] | None
) -> tuple[list[str], list[float] | None, list[float] | None]:
    """Normalised tokens; with timed words, each token carries its word's start/end."""
    if words:
        tokens: list[str] = []
        starts: list[float] = []
        ends: list[float] = []
        for w in words:
            text = _word_field(w, "word", "text") or ""
            start = _word_field(w, "start")
            end = _word_field(w, "end")
            for t in _TOKEN.findall(str(text).lower().replace("\u2019", "'")):
                tokens.append(t)
                starts.append(float(start) if start is not None else math.nan)
                ends.append(float(end) if end is not None else math.nan)
        if tokens and not any(math.isnan(s) for s in starts + ends):
            return tokens, starts, ends
        if tokens:
            return tokens, None, None
    return _TOKEN.findall(transcript.lower().replace("\u2019", "'")), None, None


def _segments(
    tokens: list[str],
    starts: list[float] | None,
    ends: list[float] | None,
    *,
    answer_count: int | None,
) -> list[tuple[int, int]]:
    """Split tokens into answers: by silences when timed, else into equal parts."""
    n = len(tokens)
    if starts is not None and ends is not None and n > 1:
        gaps = sorted(((starts[i] - ends[i - 1], i) for i in range(1, n)), reverse=True)
        if answer_count:
            cuts = sorted(i for _, i in gaps[: answer_count - 1])
        else:
            cuts = sorted(i for gap, i in gaps if gap >= ANSWER_GAP_S)
    else:
        parts = max(1, min(answer_count or 1, n))
        cuts = [round(n * k / parts) for k in range(1, parts)]
    bounds = [0, *cuts, n]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _length_factor(word_count: int) -> float:
    return math.sqrt(min(1.0, word_count / LENGTH_FULL_WORDS))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)

"""The Gemini double for the narrative tests (its answers are synthetic, never judgements)."""

from collections.abc import Iterator

import pytest

from salamin.gateways.gemini import GeminiGateway
from scripts.doubles.gemini_double import GeminiDouble


@pytest.fixture(scope="module")
def gemini_double() -> Iterator[GeminiDouble]:
    with GeminiDouble() as double:
        yield double


@pytest.fixture
def gemini(gemini_double: GeminiDouble) -> GeminiGateway:
    gemini_double.reset()
    return GeminiGateway("test-key", base_url=gemini_double.url, timeout_s=2, sleep=lambda _s: None)

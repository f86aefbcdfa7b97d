"""Fixtures shared by the analysis tests: the local Gemini double and a gateway on it."""

from collections.abc import Iterator

import pytest

from salamin.gateways.gemini import GeminiGateway
from scripts.doubles.gemini_double import GeminiDouble


@pytest.fixture(scope="session")
def gemini_double() -> Iterator[GeminiDouble]:
    """The local Gemini test double (synthetic answers), shared by the analysis tests."""
    with GeminiDouble() as double:
        yield double


@pytest.fixture
def gemini(gemini_double: GeminiDouble) -> GeminiGateway:
    """A gateway on the double: short timeout, no real sleeping between retries."""
    gemini_double.reset()
    return GeminiGateway(
        "test-key", base_url=gemini_double.url, timeout_s=0.5, sleep=lambda _s: None
    )

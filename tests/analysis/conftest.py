"""Make `salamin` (functions/) and `scripts` (repo root) importable when run standalone."""

import sys
from collections.abc import Iterator
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT, _ROOT / "functions"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))


import pytest  # noqa: E402
from salamin.gateways.gemini import GeminiGateway  # noqa: E402

from scripts.doubles.gemini_double import GeminiDouble  # noqa: E402


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

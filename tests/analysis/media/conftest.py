"""Generated test media, made once per session and cached under .runtime/test-media/ (ignored
by git) keyed by the case's content hash. Needs espeak-ng, sox and ffmpeg (Debian packages);
tests that need generated media skip when they are missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.make_test_media import Built, Case, VideoSegment, build

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".runtime" / "test-media"

SHORT = Case(
    name="pytest_short",
    script=[
        "So, {um}, I led the migration of our billing system.",
        1.0,
        "{Like}, the old code was, {you know}, fragile.",
        3.2,
        "We wrote tests first, and it worked.",
    ],
    voice="en-us",
    wpm=150,
    snr_db=30,
    video=(VideoSegment(7, "face"), VideoSegment(100, "noface")),
    fps=10,
)


@pytest.fixture(scope="session")
def short_media() -> Built:
    missing = [t for t in ("espeak-ng", "sox", "ffmpeg") if shutil.which(t) is None]
    if missing:
        pytest.skip(f"test-media tools missing: {', '.join(missing)}")
    return build(SHORT, CACHE)

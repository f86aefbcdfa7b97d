"""Suite-wide fixtures. The emulator suite starts once per session (scripts/stack.py), only
when a test asks for it; each emulator test then starts from empty data."""

from __future__ import annotations

import fcntl
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "functions", ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from scripts.stack import Endpoints, Stack  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """One suite per test session. A machine-wide lock makes a second concurrent pytest session
    wait for the first instead of failing on busy ports."""
    lock_path = (
        Path(tempfile.gettempdir()) / "salamin-emulator-suite.lock"
    )  # machine-wide: ports are
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                "\n[tests] another test session holds the emulator suite; waiting ...",
                file=sys.stderr,
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        s = Stack()
        s.start()
        os.environ.update(s.endpoints.client_env())
        try:
            yield s
        finally:
            s.stop()


@pytest.fixture
def endpoints(stack: Stack) -> Endpoints:
    return stack.endpoints


@pytest.fixture
def emulators(stack: Stack) -> Stack:
    """Empty Firestore, Auth and Storage for this test."""
    stack.reset_data()
    return stack


@pytest.fixture
def db(emulators: Stack):  # type: ignore[no-untyped-def]
    from salamin.core import firebase

    return firebase.db()


@pytest.fixture
def bucket(emulators: Stack):  # type: ignore[no-untyped-def]
    from salamin.core import firebase

    return firebase.bucket()

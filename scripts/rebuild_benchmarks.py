"""Recompute every benchmark aggregate from advancedAnalyses, with a progress bar.

    functions/venv/bin/python scripts/rebuild_benchmarks.py            # against the emulators
    GOOGLE_CLOUD_PROJECT=<project> functions/venv/bin/python scripts/rebuild_benchmarks.py

Run it while no analyses are completing (see salamin.benchmarks.rebuild).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "functions"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

BAR = 30


def bar(done: int, total: int, stage: str) -> None:
    """One self-overwriting stderr line: [#####.....] 12/40 folding analyses."""
    filled = BAR * done // total if total else BAR
    end = "\n" if done >= total else ""
    print(
        f"\r[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} {stage}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def main() -> int:
    from salamin.benchmarks.rebuild import rebuild
    from salamin.core import firebase
    from salamin.core.clock import SystemClock

    report = rebuild(firebase.db(), clock=SystemClock(), progress=bar)
    print(
        f"rebuilt: {report.analyses} complete analyses, {report.folded} folded, "
        f"{report.cohorts} cohorts, {report.published}/{report.industries} industries published"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

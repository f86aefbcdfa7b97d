"""Cold-start cost of `functions/main.py`, with and without the media-analysis libraries.

    functions/venv/bin/python bench/import_time.py [--runs 7]

Each figure is the median over fresh interpreter processes (so nothing is cached in memory
between runs): `import main` alone, which must not load the heavy libraries, and `import main`
followed by what the analysis worker imports (numpy, PyAV, OpenCV, parselmouth, faster-whisper).
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parent.parent / "functions"
HEAVY = ("numpy", "av", "cv2", "parselmouth", "faster_whisper", "ctranslate2", "onnxruntime")
PROBE = """
import sys, time, json
t = time.perf_counter(); import main; base = time.perf_counter() - t
loaded = [m for m in {heavy!r} if m in sys.modules]
t = time.perf_counter()
import numpy, av, cv2, parselmouth, faster_whisper
heavy = time.perf_counter() - t
print(json.dumps({{"main": base, "heavy": heavy, "loaded": loaded}}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    rows = []
    for i in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(heavy=HEAVY)],
            cwd=FUNCTIONS,
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"[{i + 1}/{args.runs}] main {rows[-1]['main'] * 1000:.0f} ms", file=sys.stderr)
    main_ms = statistics.median(r["main"] for r in rows) * 1000
    heavy_ms = statistics.median(r["heavy"] for r in rows) * 1000
    leaked = sorted({m for r in rows for m in r["loaded"]})
    print(f"import main                         median {main_ms:7.0f} ms")
    print(
        f"  + analysis libraries (lazy)       median {heavy_ms:7.0f} ms  (paid by the worker only)"
    )
    print(f"heavy modules loaded by main alone: {leaked or 'none'}")
    print(
        json.dumps(
            {
                "runs": args.runs,
                "main_ms": round(main_ms),
                "analysis_libs_ms": round(heavy_ms),
                "heavy_loaded_by_main": leaked,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

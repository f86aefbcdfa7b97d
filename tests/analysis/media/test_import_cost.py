"""Importing the pipeline must not load the heavy media libraries (cold-start cost)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ["numpy", "av", "cv2", "faster_whisper", "ctranslate2", "onnxruntime", "parselmouth"]


def test_pipeline_import_is_lazy():
    code = (
        "import json, sys; import salamin.analysis.media.pipeline; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "functions"), "PATH": "/usr/bin:/bin"},
    )
    assert json.loads(out.stdout) == []

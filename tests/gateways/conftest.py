"""Make `salamin` (functions/) and `scripts` (repo root) importable when run standalone."""

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
for _p in (_ROOT, _ROOT / "functions"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

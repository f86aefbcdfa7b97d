"""Structured logs: one JSON object per line, which Cloud Logging parses into fields."""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

Severity = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def log(event: str, *, severity: Severity = "INFO", **fields: Any) -> None:
    record = {"severity": severity, "message": event, **fields}
    print(json.dumps(record, default=str), file=sys.stderr if severity == "ERROR" else sys.stdout)

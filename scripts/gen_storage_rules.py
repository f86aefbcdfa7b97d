"""Write storage.rules' upload-limits fragment from the constants the functions check.

    functions/venv/bin/python scripts/gen_storage_rules.py          # rewrite the fragment
    functions/venv/bin/python scripts/gen_storage_rules.py --check  # exit 1 if it is stale

The offline Storage emulator (gcp-storage-emulator) does not execute rules, so the rules cannot
be tested by uploading. Instead the only numbers and lists in them come from the code:

- recordings (`recordings/{uid}/{fileName}`, written by the client in production): the file-name
  pattern, audio/video content types, the extensions each may carry and the size cap of
  `salamin.uploads.recordings` (the same checks `createRecordingUpload` makes);
- expert documents: no client write at all; `uploadVerificationDocument` is the only writer and
  checks `salamin.marketplace.onboarding.applications.ALLOWED_CONTENT_TYPES` (and the bytes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from salamin.analysis.media.audio import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS  # noqa: E402
from salamin.uploads import recordings  # noqa: E402

RULES = ROOT / "storage.rules"
BEGIN = "// BEGIN GENERATED upload limits"
END = "// END GENERATED upload limits"


def _list(values: frozenset[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in sorted(values)) + "]"


def _extensions(values: frozenset[str]) -> str:
    """A rules regex (RE2, whole string) for a name ending in one of `values` (`.wav`...)."""
    return "'.*[.](" + "|".join(sorted(v.removeprefix(".") for v in values)) + ")'"


def _name_pattern() -> str:
    pattern = recordings.FILE_NAME_PATTERN
    assert pattern.startswith("^") and pattern.endswith("$") and "'" not in pattern
    return "'" + pattern[1:-1] + "'"  # rules' matches() is anchored to the whole string


def fragment(indent: str = "    ") -> str:
    """The generated block, marker lines included."""
    lines = [
        f"{BEGIN}: scripts/gen_storage_rules.py writes this block from",
        "// salamin.uploads.recordings (the checks createRecordingUpload makes). Do not edit.",
        "function recordingFits(fileName, contentType, size) {",
        f"  return size >= 1 && size <= {recordings.MAX_RECORDING_BYTES}",
        f"    && fileName.matches({_name_pattern()})",
        f"    && ((contentType in {_list(recordings.AUDIO_TYPES)}",
        f"         && fileName.lower().matches({_extensions(AUDIO_EXTENSIONS)}))",
        f"        || (contentType in {_list(recordings.VIDEO_TYPES)}",
        f"            && fileName.lower().matches({_extensions(VIDEO_EXTENSIONS)})));",
        "}",
        END,
    ]
    return "\n".join(indent + line for line in lines) + "\n"


def render(text: str) -> str:
    """`text` with its generated block replaced (markers must be there, once each)."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start or text.count(BEGIN) != 1 or text.count(END) != 1:
        raise SystemExit(f"{RULES.name}: expected one '{BEGIN}' ... '{END}' block")
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.index("\n", end) + 1
    indent = text[line_start:start]
    return text[:line_start] + fragment(indent) + text[line_end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if storage.rules is stale")
    args = parser.parse_args(argv)
    current = RULES.read_text()
    wanted = render(current)
    if args.check:
        if wanted != current:
            print(f"{RULES.name} is stale: run scripts/gen_storage_rules.py", file=sys.stderr)
            return 1
        return 0
    RULES.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

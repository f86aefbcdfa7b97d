"""Measure an interview recording and print the measurement JSON (with evidence) to stdout.

    functions/venv/bin/python scripts/analyze_media.py --audio answer.wav [--video answer.mp4]
    functions/venv/bin/python scripts/analyze_media.py --video answer.mp4   # audio from its track

Progress lines go to stderr. Exit status 2 with the error code and message on stderr when the
media cannot be analysed (unsupported, corrupt, silent, too long).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions"))

from salamin.analysis.media.pipeline import measure
from salamin.core.errors import SalaminError


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio", type=Path, help="audio file (wav, mp3, m4a, webm, ...)")
    ap.add_argument("--video", type=Path, help="video file (mp4, webm, mov, ...)")
    ap.add_argument("--language", default="en", help="spoken language code, or 'auto'")
    ap.add_argument("--indent", type=int, default=2)
    args = ap.parse_args(argv)
    if args.audio is None and args.video is None:
        ap.error("give --audio, --video or both")
    try:
        result = measure(
            audio_path=args.audio,
            video_path=args.video,
            progress=_progress,
            language=None if args.language == "auto" else args.language,
        )
    except SalaminError as exc:
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    print(result.model_dump_json(indent=args.indent or None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

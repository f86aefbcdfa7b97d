"""Analyse an interview recording with the same pipeline as the `runAdvancedAnalysis` worker and
print the analysis JSON to stdout: metrics, insights, recommendations, confidence, sources, the
raw measurements, the transcript and an `evidence` section (word timings, fillers, pauses,
per-second face presence).

    functions/venv/bin/python scripts/analyze_media.py --audio answer.wav [--video answer.mp4]
    functions/venv/bin/python scripts/analyze_media.py --video answer.mp4   # audio from its track
    ... [--question "Tell me about a conflict"]... [--target-role "Backend engineer"]

Content judgement comes from Gemini when GEMINI_API_KEY is set (GEMINI_BASE_URL may point at the
local double); otherwise the transcript-based fallback runs and is labelled `fallback`.
Progress lines go to stderr. Exit status 2 with the error code and message on stderr when the
media cannot be analysed (unsupported, corrupt, silent, too long).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions"))

from salamin.analysis.service import analyze_local_files
from salamin.core.errors import SalaminError
from salamin.gateways.gemini import GeminiGateway


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction * 100:5.1f}%] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--audio", type=Path, help="audio file (wav, mp3, m4a, webm, ...)")
    ap.add_argument("--video", type=Path, help="video file (mp4, webm, mov, ...)")
    ap.add_argument("--language", default="en", help="spoken language code, or 'auto'")
    ap.add_argument("--question", action="append", default=[], help="interview question (repeat)")
    ap.add_argument("--target-role", default=None)
    ap.add_argument("--indent", type=int, default=2)
    args = ap.parse_args(argv)
    if args.audio is None and args.video is None:
        ap.error("give --audio, --video or both")
    try:
        result = analyze_local_files(
            audio_path=args.audio,
            video_path=args.video,
            questions=args.question or None,
            target_role=args.target_role,
            gemini=GeminiGateway.from_env(),
            progress=_progress,
            language=None if args.language == "auto" else args.language,
        )
    except SalaminError as exc:
        print(f"error ({exc.code}): {exc.message}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=args.indent or None, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

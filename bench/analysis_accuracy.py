"""Accuracy and speed of the media measurement pipeline on synthetic media with ground truth.

    functions/venv/bin/python bench/analysis_accuracy.py [--out DIR] [--case NAME ...]
    functions/venv/bin/python bench/analysis_accuracy.py --import-time

Cases come from `scripts/make_test_media.py` (espeak-ng speech with scripted fillers and
pauses, astronaut-photo video). Figures, per case and overall:

* WPM error %: |measured − true| / true, true = counted script words / speaking time (the
  same definitions as `salamin.analysis.media.verbal`).
* Filler precision/recall: a detected filler matches an unmatched scripted one of the same
  type (uh and er count as one type: they are one sound) whose phrase span, widened by
  0.3 s each side, contains the detected start. One-to-one, greedy in time order.
* Pause F1: a detected pause matches a scripted one when both its start and end are within
  `PAUSE_TOL_S` (0.25 s). Mean boundary error is reported for matched pauses.
* Pause sentence-end agreement: share of matched pauses whose "after a sentence end" flag
  (which decides strategic vs hesitation) agrees with the script's punctuation.
* Face-presence accuracy: per second wholly inside one video segment and not dark,
  pipeline `present` vs scripted face (centred or off-centre).
* RTF: processing seconds / media seconds, with the speech model already loaded (its one-off
  load time is reported separately). Audio-only runs on the WAV; audio+video on the MP4.

Prints a table, then one JSON line with everything.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from scripts.make_test_media import CASES, build  # noqa: E402

PAUSE_TOL_S = 0.25
FILLER_SLACK_S = 0.3
TYPE_ALIAS = {"er": "uh"}


def _t(kind: str) -> str:
    return TYPE_ALIAS.get(kind, kind)


def filler_pr(detected: list[dict[str, Any]], truth: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(true positives, detected, scripted)."""
    used = [False] * len(truth)
    tp = 0
    for d in sorted(detected, key=lambda f: f["start"]):
        for i, g in enumerate(truth):
            if used[i] or _t(g["word"]) != _t(d["word"]):
                continue
            if g["start"] - FILLER_SLACK_S <= d["start"] <= g["end"] + FILLER_SLACK_S:
                used[i] = True
                tp += 1
                break
    return tp, len(detected), len(truth)


def pause_match(
    detected: list[dict[str, Any]], truth: list[dict[str, Any]]
) -> tuple[int, int, int, list[float], int]:
    """(tp, detected, scripted, boundary errors, matched with the same strategic/not kind)."""
    used = [False] * len(truth)
    tp, errs, kind_ok = 0, [], 0
    for d in detected:
        for i, g in enumerate(truth):
            if used[i]:
                continue
            es, ee = abs(d["start"] - g["start"]), abs(d["end"] - g["end"])
            if es <= PAUSE_TOL_S and ee <= PAUSE_TOL_S:
                used[i] = True
                tp += 1
                errs += [es, ee]
                kind_ok += int(d["afterSentenceEnd"] == g["afterSentenceEnd"])
                break
    return tp, len(detected), len(truth), errs, kind_ok


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def run(out_dir: Path, names: list[str]) -> dict[str, Any]:
    from salamin.analysis.media import transcribe
    from salamin.analysis.media.pipeline import measure

    t0 = time.perf_counter()
    transcribe.load_model()
    load_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    tot = {"ftp": 0, "fdet": 0, "fgt": 0, "ptp": 0, "pdet": 0, "pgt": 0, "face_ok": 0,
           "face_n": 0, "kind_ok": 0, "audio_s": 0.0, "audio_proc": 0.0, "av_s": 0.0, "av_proc": 0.0}  # fmt: skip
    errs_all: list[float] = []
    wpm_errs: list[float] = []
    for name in names:
        case = CASES[name]
        built = build(case, out_dir)
        truth = built.truth
        t1 = time.perf_counter()
        m = measure(audio_path=built.wav)
        proc = time.perf_counter() - t1
        tot["audio_s"] += truth["duration"]
        tot["audio_proc"] += proc
        row: dict[str, Any] = {"case": name, "duration": truth["duration"]}
        pace = m.verbal.speakingPace if m.verbal else None
        wpm = pace.averageWPM if pace else None
        row["wpmTrue"] = truth["wpm"]
        row["wpm"] = wpm
        if wpm is not None:
            err = abs(wpm - truth["wpm"]) / truth["wpm"] * 100
            row["wpmErrPct"] = round(err, 2)
            wpm_errs.append(err)
        dets = [f.model_dump() for f in m.evidence.fillers]
        tp, nd, ng = filler_pr(dets, truth["fillers"])
        row.update(fillerTP=tp, fillerDetected=nd, fillerScripted=ng)
        ptp, pnd, png, perr, kind_ok = pause_match(
            [p.model_dump() for p in m.evidence.pauses], truth["pauses"]
        )
        row.update(pauseTP=ptp, pauseDetected=pnd, pauseScripted=png, pauseKindOk=kind_ok)
        errs_all += perr
        tot["kind_ok"] += kind_ok
        row["rtfAudio"] = round(proc / truth["duration"], 4)
        for k, v in (("ftp", tp), ("fdet", nd), ("fgt", ng), ("ptp", ptp), ("pdet", pnd),
                     ("pgt", png)):  # fmt: skip
            tot[k] += v
        if built.mp4 is not None:
            t2 = time.perf_counter()
            mv = measure(video_path=built.mp4)
            proc_v = time.perf_counter() - t2
            tot["av_s"] += truth["duration"]
            tot["av_proc"] += proc_v
            row["rtfAudioVideo"] = round(proc_v / truth["duration"], 4)
            row["stagesAudioVideo"] = mv.processingSeconds
            pred = {s.second: s for s in mv.evidence.facePresence}
            ok = n = dark_ok = dark_n = 0
            for s in truth["video"]["seconds"]:
                p = pred.get(s["second"])
                if p is None or not s["pure"]:
                    continue
                if s["dark"]:
                    dark_n += 1
                    dark_ok += int(p.present is None)
                    continue
                n += 1
                ok += int(p.present is not None and p.present == s["face"])
            tot["face_ok"] += ok
            tot["face_n"] += n
            row.update(faceSecondsOk=ok, faceSeconds=n, darkSecondsOk=dark_ok, darkSeconds=dark_n)
            nv = mv.nonVerbal
            lit = [s for s in truth["video"]["seconds"] if not s["dark"]]
            row["eyeContactPct"] = nv.eyeContact.percentage if nv and nv.eyeContact else None
            row["eyeContactTruePct"] = round(100 * sum(s["centred"] for s in lit) / len(lit), 1)
            row["gestureActiveShare"] = nv.gestures.activeShare if nv and nv.gestures else None
            row["gestureTrueShare"] = round(sum(s["gesture"] for s in lit) / len(lit), 3)
        rows.append(row)
        _print_row(row)
    summary = {
        "modelLoadS": round(load_s, 2),
        "wpmErrPctMean": round(sum(wpm_errs) / len(wpm_errs), 2) if wpm_errs else None,
        "wpmErrPctMax": round(max(wpm_errs), 2) if wpm_errs else None,
        "fillerPrecision": _ratio(tot["ftp"], tot["fdet"]),
        "fillerRecall": _ratio(tot["ftp"], tot["fgt"]),
        "pausePrecision": _ratio(tot["ptp"], tot["pdet"]),
        "pauseRecall": _ratio(tot["ptp"], tot["pgt"]),
        "pauseSentenceEndAgreement": _ratio(tot["kind_ok"], tot["ptp"]),
        "pauseBoundaryErrS": round(sum(errs_all) / len(errs_all), 3) if errs_all else None,
        "faceSecondAccuracy": _ratio(tot["face_ok"], tot["face_n"]),
        "rtfAudioOnly": _ratio(tot["audio_proc"], tot["audio_s"]),
        "rtfAudioVideo": _ratio(tot["av_proc"], tot["av_s"]),
        "cpuThreads": transcribe.cpu_threads(),
    }
    pp, pr = tot["ptp"] / max(1, tot["pdet"]), tot["ptp"] / max(1, tot["pgt"])
    summary["pauseF1"] = round(2 * pp * pr / (pp + pr), 4) if pp and pr else None
    return {"summary": summary, "cases": rows}


def _print_row(row: dict[str, Any]) -> None:
    parts = [f"{row['case']:<22} {row['duration']:6.1f}s",
             f"wpm {row.get('wpm')} (true {row['wpmTrue']}, err {row.get('wpmErrPct')}%)",
             f"fillers {row['fillerTP']}/{row['fillerDetected']} det, {row['fillerScripted']} gt",
             f"pauses {row['pauseTP']}/{row['pauseDetected']} det, {row['pauseScripted']} gt",
             f"rtf {row['rtfAudio']}"]  # fmt: skip
    if "rtfAudioVideo" in row:
        parts.append(
            f"| video: face {row['faceSecondsOk']}/{row['faceSeconds']} s, dark "
            f"{row['darkSecondsOk']}/{row['darkSeconds']}, eye {row['eyeContactPct']}% "
            f"(true {row['eyeContactTruePct']}%), gesture {row['gestureActiveShare']} "
            f"(true {row['gestureTrueShare']}), rtf a+v {row['rtfAudioVideo']}"
        )
    print("  ".join(parts), file=sys.stderr)


IMPORT_SNIPPETS = {
    "pipeline": "import salamin.analysis.media.pipeline",
    "pipeline+heavy": "import salamin.analysis.media.pipeline, numpy, av, faster_whisper, cv2, "
    "parselmouth",
    "heavy-only": "import numpy, av, faster_whisper, cv2, parselmouth",
}


def import_times(repeats: int = 3) -> dict[str, float]:
    """Best-of-N wall-clock seconds of a fresh interpreter running each import (minus bare
    interpreter start-up)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "functions"))
    out: dict[str, float] = {}

    def best(code: str) -> float:
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, env=env)
            times.append(time.perf_counter() - t)
        return min(times)

    base = best("pass")
    out["interpreter"] = round(base, 3)
    for name, code in IMPORT_SNIPPETS.items():
        out[name] = round(best(code) - base, 3)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "media")
    ap.add_argument("--case", choices=sorted(CASES), action="append")
    ap.add_argument("--import-time", action="store_true", help="only measure import cost")
    ap.add_argument("--beam", type=int, help="override the recogniser beam size")
    args = ap.parse_args(argv)
    if args.import_time:
        times = import_times()
        for k, v in times.items():
            print(f"{k:<16} {v * 1000:8.1f} ms", file=sys.stderr)
        print(json.dumps({"importSeconds": times}))
        return 0
    if args.beam:
        from salamin.analysis.media import transcribe

        transcribe.BEAM_SIZE = args.beam
    result = run(args.out, args.case or sorted(CASES))
    for k, v in result["summary"].items():
        print(f"{k:<20} {v}", file=sys.stderr)
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

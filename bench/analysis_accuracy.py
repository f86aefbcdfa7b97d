"""Accuracy and speed of the media measurement pipeline on synthetic media with ground truth.

    nice -n 10 functions/venv/bin/python bench/analysis_accuracy.py            # the full wide set
    nice -n 10 functions/venv/bin/python bench/analysis_accuracy.py --quick    # development subset
    functions/venv/bin/python bench/analysis_accuracy.py --split heldout       # one split only
    functions/venv/bin/python bench/analysis_accuracy.py --legacy              # the 7 old cases
    functions/venv/bin/python bench/analysis_accuracy.py --import-time

Cases come from `scripts/make_test_media.py`: 3 TTS engines (espeak-ng, festival, flite) x 3
voices at slow/medium/fast rates x 6 conditions (clean; 10 dB white, pink, babble; reverb;
telephone), with scripted fillers, decoy non-fillers and pauses, plus two astronaut-photo videos
(small, off-centre, rolled and turned faces, face-absent and dark spans). One voice per engine
is held out (`split: heldout`): thresholds are tuned with `--split tune` only, and both splits
are reported. Measures, per clip, per engine, per condition, per split, and the worst group:

* WPM error %: |measured − true| / true, true = counted script words / speaking time (the
  same definitions as `salamin.analysis.media.verbal`).
* Filler precision/recall: a detected filler matches an unmatched scripted one of the same
  type (uh and er count as one type: they are one sound) whose phrase span, widened by
  0.3 s each side, overlaps the detected filler's span (a recogniser's start can land up to
  0.5 s early in the lead-in silence). One-to-one, greedy in time order.
* Pause F1: a detected pause matches a scripted one when both its start and end are within
  `PAUSE_TOL_S` (0.25 s). Mean boundary error is reported for matched pauses.
* Pause sentence-end agreement: share of matched pauses whose "after a sentence end" flag
  (which decides strategic vs hesitation) agrees with the script's punctuation.
* Face-presence accuracy: per second wholly inside one video segment and not dark,
  pipeline `present` vs scripted face (centred or off-centre).
* RTF: processing seconds / media seconds, with the speech model already loaded (its one-off
  load time is reported separately). Audio-only runs on the WAV; audio+video on the MP4. On a
  shared machine wall time is inflated by other load, so `cpuRtfAudioVideo` also reports this
  process's CPU seconds (all threads) / media seconds: on dedicated cores the wall-clock RTF
  cannot exceed it (it would equal it on one core), whatever the machine's other load.
* Dark seconds: a wholly dark second must come back `present=None` with a `cannotTell` reason.
* Facing: per second with a face and a scored yaw (|yaw| <= 20 faces the camera, >= 40 does
  not), the pipeline's `facing` against it.
* Confidence: Spearman correlation, per clip, of `audioConfidence` with the clip's error (the
  worst of WPM error / 5%, (1 - filler F1) / 0.1, (1 - pause F1) / 0.05) and with each error;
  of `videoConfidence` with the face-second error. Negative is what a confidence should give.

Progress on stderr, then tables on stderr, then one JSON line with everything on stdout.
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

from scripts.make_test_media import CASES, WIDE, WIDE_VIDEO_CASES, Built, Case, build, wide_cases  # noqa: E402

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
            if d["start"] <= g["end"] + FILLER_SLACK_S and d["end"] >= g["start"] - FILLER_SLACK_S:
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


def _f1(tp: int, det: int, gt: int) -> float | None:
    if not det and not gt:
        return None
    p, r = (tp / det if det else 0.0), (tp / gt if gt else 0.0)
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


def score_clip(built: Built, m: Any) -> dict[str, Any]:
    """Every audio measure of one clip against its truth."""
    truth = built.truth
    case = truth.get("case", {})
    row: dict[str, Any] = {
        "case": case.get("name"), "engine": case.get("engine", "espeak-ng"),
        "voice": case.get("voice"), "condition": case.get("condition", "clean"),
        "split": case.get("split", "tune"), "duration": truth["duration"],
    }  # fmt: skip
    pace = m.verbal.speakingPace if m.verbal else None
    wpm = pace.averageWPM if pace else None
    row["wpmTrue"], row["wpm"] = truth["wpm"], wpm
    row["wpmErrPct"] = round(abs(wpm - truth["wpm"]) / truth["wpm"] * 100, 2) if wpm else 100.0
    tp, nd, ng = filler_pr([f.model_dump() for f in m.evidence.fillers], truth["fillers"])
    row.update(fillerTP=tp, fillerDetected=nd, fillerScripted=ng)
    ptp, pnd, png, perr, kind_ok = pause_match(
        [p.model_dump() for p in m.evidence.pauses], truth["pauses"]
    )
    row.update(pauseTP=ptp, pauseDetected=pnd, pauseScripted=png, pauseKindOk=kind_ok,
               pauseErrSum=round(sum(perr), 4), pauseErrN=len(perr),
               pauseF1=_f1(ptp, pnd, png), fillerF1=_f1(tp, nd, ng),
               audioConfidence=m.signalQuality.audioConfidence,
               snrDb=m.signalQuality.snrDb, highBandDb=m.signalQuality.highBandDb,
               speechS=m.signalQuality.speechDuration,
               recognizer=m.signalQuality.meanRecognizerConfidence)  # fmt: skip
    row["missedFillers"] = _missed(m, truth)
    return row


def _missed(m: Any, truth: dict[str, Any]) -> list[str]:
    """Scripted fillers not found and detections not scripted (for reading the failures)."""
    dets = [f.model_dump() for f in m.evidence.fillers]
    out = []
    for g in truth["fillers"]:
        if filler_pr(dets, [g])[0] == 0:
            out.append(f"miss {g['word']}@{g['start']:.1f}")
    for d in dets:
        if filler_pr([d], truth["fillers"])[0] == 0:
            out.append(f"false {d['word']}:{d['text']}@{d['start']:.1f}")
    return out


def score_video(built: Built, mv: Any) -> dict[str, Any]:
    """Per-second face presence, facing and dark ("cannot tell") against the video truth."""
    pred = {s.second: s for s in mv.evidence.facePresence}
    ok = n = dark_ok = dark_n = facing_ok = facing_n = 0
    misses: list[str] = []
    for s in built.truth["video"]["seconds"]:
        p = pred.get(s["second"])
        if p is None or not s["pure"]:
            continue
        if s["dark"]:
            dark_n += 1
            dark_ok += int(p.present is None and bool(p.cannotTell))
            continue
        n += 1
        good = p.present is not None and p.present == s["face"]
        ok += int(good)
        if not good:
            misses.append(f"face@{s['second']}:{p.present}")
        if s["face"] and s.get("facing") is not None and p.facing is not None:
            facing_n += 1
            facing_ok += int(p.facing == s["facing"])
            if p.facing != s["facing"]:
                misses.append(f"facing@{s['second']}(yaw {s['yaw']}):{p.facing}")
    nv = mv.nonVerbal
    return {
        "faceSecondsOk": ok, "faceSeconds": n, "darkSecondsOk": dark_ok, "darkSeconds": dark_n,
        "facingSecondsOk": facing_ok, "facingSeconds": facing_n,
        "eyeContactPct": nv.eyeContact.percentage if nv and nv.eyeContact else None,
        "videoConfidence": mv.signalQuality.videoConfidence, "videoMisses": misses,
    }  # fmt: skip


MEASURES = ("wpmErrPct", "fillerPrecision", "fillerRecall", "pauseF1", "rtfAudio")


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled measures over a group of clips (fillers and pauses pooled, WPM error: worst)."""
    s = {k: sum(r.get(k, 0) or 0 for r in rows) for k in (
        "fillerTP", "fillerDetected", "fillerScripted", "pauseTP", "pauseDetected",
        "pauseScripted", "pauseKindOk", "pauseErrSum", "pauseErrN", "duration", "procAudio",
        "faceSecondsOk", "faceSeconds", "darkSecondsOk", "darkSeconds", "facingSecondsOk",
        "facingSeconds")}  # fmt: skip
    wpm = [r["wpmErrPct"] for r in rows]
    out = {
        "clips": len(rows),
        "wpmErrPctMean": round(sum(wpm) / len(wpm), 2) if wpm else None,
        "wpmErrPct": round(max(wpm), 2) if wpm else None,
        "fillerPrecision": _ratio(s["fillerTP"], s["fillerDetected"]),
        "fillerRecall": _ratio(s["fillerTP"], s["fillerScripted"]),
        "pauseF1": _f1(s["pauseTP"], s["pauseDetected"], s["pauseScripted"]),
        "pauseSentenceEndAgreement": _ratio(s["pauseKindOk"], s["pauseTP"]),
        "pauseBoundaryErrS": _ratio(s["pauseErrSum"], s["pauseErrN"]),
        "rtfAudio": _ratio(s["procAudio"], s["duration"]),
    }
    if s["faceSeconds"]:
        out["faceSecondAccuracy"] = _ratio(s["faceSecondsOk"], s["faceSeconds"])
        out["facingAccuracy"] = _ratio(s["facingSecondsOk"], s["facingSeconds"])
        out["darkCannotTell"] = _ratio(s["darkSecondsOk"], s["darkSeconds"])
    return out


WORSE_IS_HIGHER = {"wpmErrPct", "rtfAudio", "rtfAudioVideo", "pauseBoundaryErrS"}


def worst(groups: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """For each measure, the worst group value and which group it was."""
    out: dict[str, Any] = {}
    keys = {k for g in groups.values() for k, v in g.items() if isinstance(v, float)}
    for k in sorted(keys):
        vals = [(v[k], name) for name, v in groups.items() if v.get(k) is not None]
        if vals:
            val, name = max(vals) if k in WORSE_IS_HIGHER else min(vals)
            out[k] = {"value": val, "group": name}
    return out


def spearman(xs: list[float], ys: list[float]) -> float | None:
    """Rank correlation (average ranks for ties); None under 4 pairs or with a constant side."""
    if len(xs) < 4:
        return None

    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(v):
            j = i
            while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sx = sum((a - mx) ** 2 for a in rx) ** 0.5
    sy = sum((b - my) ** 2 for b in ry) ** 0.5
    return round(sxy / (sx * sy), 3) if sx and sy else None


def clip_error(row: dict[str, Any]) -> float:
    """One audio error per clip: the worst of WPM error / 5%, 1 − filler F1, 1 − pause F1,
    each scaled so that 1.0 is "misses its target" (5%, 0.9, 0.95)."""
    parts = [row["wpmErrPct"] / 5]
    if row.get("fillerF1") is not None:
        parts.append((1 - row["fillerF1"]) / 0.1)
    if row.get("pauseF1") is not None:
        parts.append((1 - row["pauseF1"]) / 0.05)
    return max(parts)


def confidence_report(rows: list[dict[str, Any]], video: list[dict[str, Any]]) -> dict[str, Any]:
    """Spearman correlation of each confidence with measured error per clip (want negative)."""
    a = [r for r in rows if r.get("audioConfidence") is not None]
    conf = [float(r["audioConfidence"]) for r in a]
    out: dict[str, Any] = {
        "audioVsClipError": spearman(conf, [clip_error(r) for r in a]),
        "audioVsWpmErr": spearman(conf, [r["wpmErrPct"] for r in a]),
        "audioVsFillerMiss": spearman(conf, [1 - (r["fillerF1"] or 0) for r in a]),
        "audioVsPauseMiss": spearman(conf, [1 - (r["pauseF1"] or 0) for r in a]),
        "clips": len(a),
    }
    v = [r for r in video if r.get("videoConfidence") is not None and r["faceSeconds"]]
    out["videoVsFaceError"] = spearman(
        [float(r["videoConfidence"]) for r in v],
        [1 - r["faceSecondsOk"] / r["faceSeconds"] for r in v],
    )
    out["videoClips"] = len(v)
    return out


def _cpu() -> float:
    """This process's CPU seconds (user + system, all threads)."""
    t = os.times()
    return t.user + t.system


def _marginals(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Pooled measures per engine and per condition (the groups a worst case is taken over)."""
    out = {}
    for key in ("engine", "condition"):
        for val in sorted({r[key] for r in rows}):
            out[f"{key}:{val}"] = aggregate([r for r in rows if r[key] == val])
    return out


def run(out_dir: Path, cases: list[Case]) -> dict[str, Any]:
    from salamin.analysis.media import transcribe
    from salamin.analysis.media.pipeline import measure

    t0 = time.perf_counter()
    transcribe.load_model()
    if transcribe.SECOND_RECOGNISER:
        transcribe.load_second_model()
    load_s = time.perf_counter() - t0
    rows: list[dict[str, Any]] = []
    video_rows: list[dict[str, Any]] = []
    av_s = av_proc = av_cpu = 0.0
    for i, case in enumerate(cases):
        built = build(case, out_dir)
        t1 = time.perf_counter()
        m = measure(audio_path=built.wav)
        proc = time.perf_counter() - t1
        row = score_clip(built, m)
        side = out_dir / "_evidence" / f"{case.name}-{case.key()}.json"
        side.parent.mkdir(parents=True, exist_ok=True)
        side.write_text(m.model_dump_json())  # to re-score text rules without re-recognising
        row["procAudio"] = round(proc, 3)
        row["rtfAudio"] = round(proc / built.truth["duration"], 4)
        if built.mp4 is not None:
            t2, c2 = time.perf_counter(), _cpu()
            mv = measure(video_path=built.mp4)
            proc_v = time.perf_counter() - t2
            cpu_v = _cpu() - c2
            av_cpu += cpu_v
            av_s += built.truth["duration"]
            av_proc += proc_v
            vrow = score_video(built, mv)
            vrow.update(case=case.name, split=case.split, duration=built.truth["duration"],
                        rtfAudioVideo=round(proc_v / built.truth["duration"], 4),
                        cpuRtfAudioVideo=round(cpu_v / built.truth["duration"], 4),
                        stagesAudioVideo=mv.processingSeconds)  # fmt: skip
            video_rows.append(vrow)
            row.update({k: v for k, v in vrow.items() if k.startswith(("face", "dark", "facing"))})
        rows.append(row)
        _print_row(row, i + 1, len(cases))
    by_engine = {e: aggregate([r for r in rows if r["engine"] == e])
                 for e in sorted({r["engine"] for r in rows})}  # fmt: skip
    by_condition = {c: aggregate([r for r in rows if r["condition"] == c])
                    for c in sorted({r["condition"] for r in rows})}  # fmt: skip
    by_split = {s: aggregate([r for r in rows if r["split"] == s])
                for s in sorted({r["split"] for r in rows})}  # fmt: skip
    cells = {f"{r['engine']}/{r['condition']}": aggregate(
        [x for x in rows if x["engine"] == r["engine"] and x["condition"] == r["condition"]])
        for r in rows}  # fmt: skip
    overall = aggregate(rows)
    if av_s:
        overall["rtfAudioVideo"] = round(av_proc / av_s, 4)
        overall["cpuRtfAudioVideo"] = round(av_cpu / av_s, 4)
    summary = {
        "modelLoadS": round(load_s, 2),
        "cpuThreads": transcribe.cpu_threads(),
        "overall": overall,
        "worstByEngineOrCondition": worst(_marginals(rows)),
        "worstCell": worst(cells),
        "bySplit": by_split,
        "worstBySplit": {s: worst(_marginals([r for r in rows if r["split"] == s]))
                         for s in by_split},
        "video": aggregate(video_rows and [r for r in rows if "faceSeconds" in r]) if video_rows else None,
        "confidence": confidence_report(rows, video_rows),
    }  # fmt: skip
    return {"summary": summary, "byEngine": by_engine, "byCondition": by_condition,
            "cells": cells, "cases": rows, "videoCases": video_rows}  # fmt: skip


def _print_row(row: dict[str, Any], i: int, n: int) -> None:
    parts = [f"[{i}/{n}] {row['case']:<32} {row['duration']:5.1f}s",
             f"wpm err {row.get('wpmErrPct')}%",
             f"fillers {row['fillerTP']}/{row['fillerDetected']}/{row['fillerScripted']}",
             f"pauses {row['pauseTP']}/{row['pauseDetected']}/{row['pauseScripted']}",
             f"conf {row.get('audioConfidence')} rtf {row['rtfAudio']}"]  # fmt: skip
    if "faceSeconds" in row:
        parts.append(
            f"| face {row['faceSecondsOk']}/{row['faceSeconds']} facing "
            f"{row['facingSecondsOk']}/{row['facingSeconds']} dark "
            f"{row['darkSecondsOk']}/{row['darkSeconds']}"
        )
    if row.get("missedFillers"):
        parts.append(" ".join(row["missedFillers"]))
    print("  ".join(parts), file=sys.stderr)


def print_tables(result: dict[str, Any]) -> None:
    cols = ("clips", "wpmErrPct", "fillerPrecision", "fillerRecall", "pauseF1", "rtfAudio")
    print(f"{'group':<22}" + "".join(f"{c:>16}" for c in cols), file=sys.stderr)
    for title in ("byEngine", "byCondition"):
        for name, agg in result[title].items():
            cells = "".join(f"{agg.get(c)!s:>16}" for c in cols)
            print(f"{name:<22}{cells}", file=sys.stderr)
    for name, agg in result["summary"]["bySplit"].items():
        cells = "".join(f"{agg.get(c)!s:>16}" for c in cols)
        print(f"{'split:' + name:<22}{cells}", file=sys.stderr)
    for k, v in result["summary"]["worstByEngineOrCondition"].items():
        print(f"worst {k:<26} {v['value']} ({v['group']})", file=sys.stderr)
    print(f"video {result['summary']['video']}", file=sys.stderr)
    print(f"confidence {result['summary']['confidence']}", file=sys.stderr)


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
    ap.add_argument("--case", action="append", help="a case name (repeatable)")
    ap.add_argument("--quick", action="store_true", help="a small subset for development")
    ap.add_argument("--legacy", action="store_true", help="the original 7 espeak-ng cases")
    ap.add_argument("--split", choices=("tune", "heldout"), help="only one split")
    ap.add_argument("--import-time", action="store_true", help="only measure import cost")
    ap.add_argument("--beam", type=int, help="override the recogniser beam size")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                    help="override a module constant, e.g. verbal.FILLER_GAP_S=0.2")  # fmt: skip
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
    for item in args.set:
        _override(item)
    every = CASES | WIDE
    if args.case:
        cases = [every[n] for n in args.case]
    elif args.legacy:
        cases = list(CASES.values())
    elif args.quick:
        cases = [*wide_cases(quick=True), WIDE_VIDEO_CASES[0]]
    else:
        cases = list(WIDE.values())
    if args.split:
        cases = [c for c in cases if c.split == args.split]
    result = run(args.out, cases)
    print_tables(result)
    print(json.dumps(result, separators=(",", ":")))
    return 0


def _override(item: str) -> None:
    import importlib

    target, value = item.split("=", 1)
    module, name = target.rsplit(".", 1)
    mod = importlib.import_module(f"salamin.analysis.media.{module}")
    old = getattr(mod, name)
    setattr(mod, name, type(old)(value) if not isinstance(old, bool) else value == "1")
    print(f"override {target}: {old!r} -> {getattr(mod, name)!r}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())

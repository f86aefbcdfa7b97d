"""measure(audio, video) -> MediaMeasurement: every verbal and non-verbal figure we can measure.

Audio comes from `audio_path`, or from the video's own track when only `video_path` is given.
Stages: decode (PyAV) -> voice activity (Silero) -> word-timed transcript (faster-whisper)
-> word-edge snapping -> pace, fillers, pauses, clarity, pitch -> video frames (OpenCV).
Importing this module is cheap; the heavy libraries load on the first call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from salamin.analysis.media.errors import SilentMedia
from salamin.analysis.media.models import (
    Absence,
    Evidence,
    MediaMeasurement,
    SignalQuality,
    SpeechSegment,
    Transcript,
    VerbalMeasurement,
    WordTiming,
)
from salamin.core.errors import InvalidArgument

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

PIPELINE_VERSION = "media-1 (whisper-base int8, silero-v6, praat ac, haar frontalface)"
MIN_SPEECH_S = 0.5

Progress = Callable[[float, str], None]

NOT_MEASURABLE: dict[str, str] = {
    "verbal.clarity.articulation": (
        "no articulation measure; the recogniser-confidence and SNR proxies are reported instead"
    ),
    "verbal.tonality.confidence": "a listener judgement, not an acoustic measurement",
    "verbal.tonality.enthusiasm": "a listener judgement, not an acoustic measurement",
    "verbal.tonality.professionalism": "a listener judgement, not an acoustic measurement",
    "verbal.tonality.authenticity": "a listener judgement, not an acoustic measurement",
}
NOT_MEASURABLE_VIDEO: dict[str, str] = {
    "nonVerbal.eyeContact.naturalness": "a judgement; only the facing-camera share is measured",
    "nonVerbal.facialExpressions": "needs an expression model; only a face detector is bundled",
    "nonVerbal.posture.uprightness": "needs body-pose landmarks; no pose model is bundled",
    "nonVerbal.posture.openness": "needs body-pose landmarks; no pose model is bundled",
    "nonVerbal.gestures.appropriateness": "a judgement; only motion outside the face is measured",
    "nonVerbal.gestures.naturalness": "a judgement; only motion outside the face is measured",
    "nonVerbal.overallPresence": "a judgement, not a measurement",
}


class _Stages:
    """Progress reporting over [lo, hi] slices, plus wall-clock timing per stage."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()
        self._last = (-1.0, "")

    def report(self, fraction: float, message: str) -> None:
        """Forward to the callback when the message changes or progress moves by 2 points."""
        fraction = round(min(1.0, max(0.0, fraction)), 4)
        if self.progress and (message != self._last[1] or fraction - self._last[0] >= 0.02):
            self._last = (fraction, message)
            self.progress(fraction, message)

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(now - self._t, 3)
        self._t = now


def measure(
    audio_path: str | Path | None = None,
    video_path: str | Path | None = None,
    *,
    progress: Progress | None = None,
    language: str | None = "en",
) -> MediaMeasurement:
    """Measure a recording. Raises `InvalidArgument` subclasses for unusable media."""
    from salamin.analysis.media.audio import (
        AUDIO_EXTENSIONS,
        VIDEO_EXTENSIONS,
        check_extension,
        decode_audio,
    )

    if audio_path is None and video_path is None:
        raise InvalidArgument.at("audio", "give an audio or a video file")
    audio = Path(audio_path) if audio_path is not None else None
    video = Path(video_path) if video_path is not None else None
    if audio is not None:
        check_extension(audio, field="audio", allowed=AUDIO_EXTENSIONS | VIDEO_EXTENSIONS)
    if video is not None:
        from salamin.analysis.media.video import probe

        check_extension(video, field="video", allowed=VIDEO_EXTENSIONS)
        probe(video, field_name="video")

    stages = _Stages(progress)
    audio_span = 0.7 if video is not None else 1.0
    absent: list[Absence] = []
    evidence = Evidence()
    verbal: VerbalMeasurement | None = None
    transcript: Transcript | None = None
    quality: dict[str, object] = {}
    media_duration = 0.0
    source: str = "none"

    stages.report(0.0, "decoding audio")
    decoded = None
    if audio is not None:
        decoded = decode_audio(audio, field="audio")
        source = "audio"
    elif video is not None:
        from salamin.analysis.media.errors import NoAudioTrack

        try:
            decoded = decode_audio(video, field="video")
            source = "video"
        except NoAudioTrack:
            absent.append(Absence(metric="verbal", reason="the video has no audio track"))
    stages.done("decode")

    if decoded is not None:
        media_duration = decoded.duration
        verbal, transcript, evidence, audio_quality, audio_absent = _measure_audio(
            decoded.samples,
            stages=stages,
            span=audio_span,
            language=language,
            field="audio" if source == "audio" else "video",
        )
        absent.extend(audio_absent)
        quality.update(audio_quality)

    has_video = video is not None
    nonverbal = None
    if video is not None:
        from salamin.analysis.media.video import analyse_video

        stages.report(audio_span, "analysing video frames")
        result = analyse_video(
            video,
            on_progress=lambda f: stages.report(
                audio_span + (1 - audio_span) * 0.98 * f, "analysing video frames"
            ),
        )
        stages.done("video")
        nonverbal = result.measurement
        evidence.facePresence = result.seconds
        absent.extend(result.absences)
        media_duration = max(media_duration, result.duration)
        absent.extend(Absence(metric=k, reason=v) for k, v in NOT_MEASURABLE_VIDEO.items())
        from salamin.analysis.media import scoring

        quality.update(
            faceFrameShare=result.face_share,
            meanLuminance=result.mean_luminance,
            sampledFrames=result.sampled_frames,
            darkFrameShare=result.dark_share,
            videoConfidence=(
                scoring.video_confidence(
                    usable_s=result.usable_seconds,
                    face_share=result.face_share,
                    mean_luminance=result.mean_luminance,
                )
                if result.face_share is not None and result.mean_luminance is not None
                else None
            ),
        )
    else:
        absent.append(Absence(metric="nonVerbal", reason="no video provided"))

    stages.report(1.0, "done")
    return MediaMeasurement(
        pipelineVersion=PIPELINE_VERSION,
        audioSource=source,  # type: ignore[arg-type]
        hasVideo=has_video,
        verbal=verbal,
        nonVerbal=nonverbal,
        transcript=transcript,
        signalQuality=SignalQuality(mediaDuration=round(media_duration, 3), **quality),  # type: ignore[arg-type]
        evidence=evidence,
        absent=absent,
        processingSeconds=stages.timings,
    )


def _measure_audio(
    samples: npt.NDArray[np.float32],
    *,
    stages: _Stages,
    span: float,
    language: str | None,
    field: str,
) -> tuple[VerbalMeasurement, Transcript, Evidence, dict[str, object], list[Absence]]:
    from salamin.analysis.media import scoring, transcribe, vad, verbal

    absent: list[Absence] = []
    stages.report(0.03 * span, "detecting speech")
    segments, _ = vad.detect_speech(samples)
    stages.done("vad")
    speech_s = sum(s.duration for s in segments)
    if speech_s < MIN_SPEECH_S:
        raise SilentMedia.at(field, "no speech found in the recording")

    stages.report(0.06 * span, "transcribing")
    result = transcribe.transcribe(
        samples,
        language=language,
        on_progress=lambda f: stages.report((0.06 + 0.74 * f) * span, "transcribing"),
        speech=[(s.start, s.end) for s in segments],
    )
    stages.done("transcribe")

    stages.report(0.82 * span, "measuring pace, fillers and pauses")
    raw = [
        WordTiming(word=w.word, start=max(0.0, w.start), end=max(w.start, w.end, 0.0),
                   probability=min(1.0, max(0.0, w.probability)))
        for w in result.words
    ]  # fmt: skip
    words = verbal.snap_words(raw, segments)
    regions = verbal.speech_regions(segments)
    speaking_time = sum(r.duration for r in regions)
    pace, windows, pace_reason = verbal.measure_pace(words, regions)
    if pace_reason:
        absent.append(Absence(metric="verbal.speakingPace", reason=pace_reason))
    fillers = verbal.detect_fillers(words)
    filler_summary = None
    if words:
        filler_summary = verbal.summarise_fillers(fillers, speaking_time=speaking_time)
    else:
        absent.append(Absence(metric="verbal.fillerWords", reason="no words were recognised"))
    pauses = verbal.detect_pauses(segments, words)
    pause_summary = verbal.summarise_pauses(pauses, speaking_time=speaking_time)
    clarity = verbal.measure_clarity(samples, segments=segments, words=words)
    if clarity.recognizerConfidence is None:
        absent.append(
            Absence(metric="verbal.clarity.recognizerConfidence", reason="no words recognised")
        )
    if clarity.loudnessStdDb is None:
        absent.append(
            Absence(metric="verbal.clarity.loudnessStdDb", reason="under 1.5 s of speech blocks")
        )
    stages.done("verbal")

    stages.report(0.9 * span, "measuring pitch")
    tonality, pitch_reason = verbal.measure_pitch(samples, segments=segments)
    if pitch_reason:
        absent.append(Absence(metric="verbal.tonality", reason=pitch_reason))
    else:
        absent.extend(Absence(metric=k, reason=v) for k, v in NOT_MEASURABLE.items()
                      if k.startswith("verbal.tonality"))  # fmt: skip
    absent.append(
        Absence(
            metric="verbal.clarity.articulation",
            reason=NOT_MEASURABLE["verbal.clarity.articulation"],
        )
    )
    if pace is not None and pace.variability is None:
        absent.append(
            Absence(
                metric="verbal.speakingPace.variability",
                reason=f"needs two {verbal.PACE_WINDOW_S:.0f} s windows with "
                f"{verbal.PACE_WINDOW_MIN_SPEECH_S:.0f} s of speech each",
            )
        )
    stages.done("pitch")

    evidence = Evidence(
        words=words,
        fillers=fillers,
        pauses=pauses,
        speechSegments=[
            SpeechSegment(start=round(s.start, 3), end=round(s.end, 3)) for s in segments
        ],
        paceWindows=windows,
    )
    measurement = VerbalMeasurement(
        speakingPace=pace,
        clarity=clarity,
        fillerWords=filler_summary,
        pauses=pause_summary,
        tonality=tonality,
    )
    transcript = Transcript(
        text=result.text,
        language=result.language,
        languageProbability=round(result.language_probability, 4),
    )
    quality: dict[str, object] = {
        "speechDuration": round(speech_s, 3),
        "snrDb": clarity.snrDb,
        "meanRecognizerConfidence": clarity.recognizerConfidence,
        "audioConfidence": scoring.audio_confidence(
            speech_s=speech_s, snr_db=clarity.snrDb, recognizer=clarity.recognizerConfidence
        ),
    }
    return measurement, transcript, evidence, quality, absent

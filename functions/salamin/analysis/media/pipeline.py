"""measure(audio, video) -> MediaMeasurement: every verbal and non-verbal figure we can measure.

Audio comes from `audio_path`, or from the video's own track when only `video_path` is given.
Stages: decode (PyAV) -> voice activity (Silero on denoised audio) -> word-timed transcript
(faster-whisper, original audio) -> word-edge snapping -> pace, fillers, pauses, clarity, pitch
-> video frames (OpenCV + landmarks). Each stage reads the media, then pure functions decide
(`verbal`, `nonverbal`, `scoring`, `audio_absences`, `video_quality`) and `assemble` writes the
one result. Importing this module is cheap; the heavy libraries load on the first call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
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

    from salamin.analysis.media import transcribe
    from salamin.analysis.media.nonverbal import VideoResult

PIPELINE_VERSION = (
    "media-3 (whisper-base int8 + tiny.en fillers, silero-v6 on noisereduce, praat ac,"
    " haar frontalface + mtcnn onet)"
)
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


@dataclass
class AudioPart:
    """What the audio stages produced (decided, not yet assembled)."""

    verbal: VerbalMeasurement
    transcript: Transcript
    evidence: Evidence
    quality: dict[str, object]
    absent: list[Absence]


def measure(
    audio_path: str | Path | None = None,
    video_path: str | Path | None = None,
    *,
    progress: Progress | None = None,
    language: str | None = "en",
) -> MediaMeasurement:
    """Measure a recording. Raises `InvalidArgument` subclasses for unusable media."""
    audio, video = _checked_inputs(audio_path, video_path)
    stages = _Stages(progress)
    span = 0.7 if video is not None else 1.0
    stages.report(0.0, "decoding audio")
    samples, duration, source, absent = _read_audio(audio, video)
    stages.done("decode")
    audio_part = None
    if samples is not None:
        field = "audio" if source == "audio" else "video"
        audio_part = _measure_audio(
            samples, stages=stages, span=span, language=language, field=field
        )
    video_result = _measure_video(video, stages=stages, span=span) if video is not None else None
    stages.report(1.0, "done")
    return assemble(
        source=source, has_video=video is not None, audio=audio_part, video=video_result,
        absent=absent, duration=duration, timings=stages.timings,
    )  # fmt: skip


# ---- read -----------------------------------------------------------------------------------


def _checked_inputs(
    audio_path: str | Path | None, video_path: str | Path | None
) -> tuple[Path | None, Path | None]:
    from salamin.analysis.media.audio import (
        AUDIO_EXTENSIONS,
        VIDEO_EXTENSIONS,
        check_extension,
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
    return audio, video


def _read_audio(
    audio: Path | None, video: Path | None
) -> tuple[npt.NDArray[np.float32] | None, float, str, list[Absence]]:
    """(samples, duration, source, absences): the audio file, else the video's own track."""
    from salamin.analysis.media.audio import decode_audio
    from salamin.analysis.media.errors import NoAudioTrack

    if audio is not None:
        decoded = decode_audio(audio, field="audio")
        return decoded.samples, decoded.duration, "audio", []
    assert video is not None
    try:
        decoded = decode_audio(video, field="video")
    except NoAudioTrack:
        return None, 0.0, "none", [Absence(metric="verbal", reason="the video has no audio track")]
    return decoded.samples, decoded.duration, "video", []


def _measure_audio(
    samples: npt.NDArray[np.float32],
    *,
    stages: _Stages,
    span: float,
    language: str | None,
    field: str,
) -> AudioPart:
    from salamin.analysis.media import scoring, transcribe, vad, verbal

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
    words = verbal.snap_words(recognised_words(result.words), segments)
    regions = verbal.speech_regions(segments)
    speaking_time = sum(r.duration for r in regions)
    pace, windows, pace_reason = verbal.measure_pace(words, regions)
    fillers = verbal.detect_fillers(words)
    if result.second_words:
        second = verbal.snap_words(recognised_words(result.second_words), segments)
        fillers = verbal.merge_fillers(fillers, verbal.detect_fillers(second), primary_words=words)
    pauses = verbal.detect_pauses(segments, words)
    clarity = verbal.measure_clarity(samples, segments=segments, words=words)
    stages.done("verbal")

    stages.report(0.9 * span, "measuring pitch")
    tonality, pitch_reason = verbal.measure_pitch(samples, segments=segments)
    stages.done("pitch")

    measurement = VerbalMeasurement(
        speakingPace=pace,
        clarity=clarity,
        fillerWords=verbal.summarise_fillers(fillers, speaking_time=speaking_time)
        if words
        else None,
        pauses=verbal.summarise_pauses(pauses, speaking_time=speaking_time),
        tonality=tonality,
    )
    evidence = Evidence(
        words=words,
        fillers=fillers,
        pauses=pauses,
        speechSegments=[
            SpeechSegment(start=round(s.start, 3), end=round(s.end, 3)) for s in segments
        ],
        paceWindows=windows,
    )
    high_band = verbal.high_band_db(samples, segments=segments)
    quality: dict[str, object] = {
        "speechDuration": round(speech_s, 3),
        "snrDb": clarity.snrDb,
        "highBandDb": high_band,
        "meanRecognizerConfidence": clarity.recognizerConfidence,
        "audioConfidence": scoring.audio_confidence(
            speech_s=speech_s,
            snr_db=clarity.snrDb,
            recognizer=clarity.recognizerConfidence,
            high_band_db=high_band,
        ),
    }
    transcript = Transcript(
        text=result.text,
        language=result.language,
        languageProbability=round(result.language_probability, 4),
    )
    absent = audio_absences(
        measurement, has_words=bool(words), pace_reason=pace_reason, pitch_reason=pitch_reason
    )
    return AudioPart(measurement, transcript, evidence, quality, absent)


def _measure_video(video: Path, *, stages: _Stages, span: float) -> VideoResult:
    from salamin.analysis.media.video import analyse_video

    stages.report(span, "analysing video frames")
    result = analyse_video(
        video,
        on_progress=lambda f: stages.report(span + (1 - span) * 0.98 * f, "analysing video frames"),
    )
    stages.done("video")
    return result


# ---- decide (pure) --------------------------------------------------------------------------


def recognised_words(words: list[transcribe.RecognisedWord]) -> list[WordTiming]:
    """Recogniser output clamped into the evidence model's ranges."""
    return [
        WordTiming(word=w.word, start=max(0.0, w.start), end=max(w.start, w.end, 0.0),
                   probability=min(1.0, max(0.0, w.probability)))
        for w in words
    ]  # fmt: skip


def audio_absences(
    m: VerbalMeasurement, *, has_words: bool, pace_reason: str | None, pitch_reason: str | None
) -> list[Absence]:
    """Every verbal figure that could not be measured, with the reason."""
    from salamin.analysis.media import verbal

    out: list[Absence] = []
    if pace_reason:
        out.append(Absence(metric="verbal.speakingPace", reason=pace_reason))
    if not has_words:
        out.append(Absence(metric="verbal.fillerWords", reason="no words were recognised"))
    if m.clarity is not None and m.clarity.recognizerConfidence is None:
        out.append(
            Absence(metric="verbal.clarity.recognizerConfidence", reason="no words recognised")
        )
    if m.clarity is not None and m.clarity.loudnessStdDb is None:
        out.append(
            Absence(metric="verbal.clarity.loudnessStdDb", reason="under 1.5 s of speech blocks")
        )
    if pitch_reason:
        out.append(Absence(metric="verbal.tonality", reason=pitch_reason))
    else:
        out += [Absence(metric=k, reason=v) for k, v in NOT_MEASURABLE.items()
                if k.startswith("verbal.tonality")]  # fmt: skip
    out.append(
        Absence(
            metric="verbal.clarity.articulation",
            reason=NOT_MEASURABLE["verbal.clarity.articulation"],
        )
    )
    if m.speakingPace is not None and m.speakingPace.variability is None:
        out.append(
            Absence(
                metric="verbal.speakingPace.variability",
                reason=f"needs two {verbal.PACE_WINDOW_S:.0f} s windows with "
                f"{verbal.PACE_WINDOW_MIN_SPEECH_S:.0f} s of speech each",
            )
        )
    return out


def video_quality(result: VideoResult) -> dict[str, object]:
    """Signal-quality figures and the video confidence from the frame analysis."""
    from salamin.analysis.media import scoring

    confidence = None
    if result.face_share is not None and result.mean_luminance is not None:
        confidence = scoring.video_confidence(
            usable_s=result.usable_seconds,
            face_share=result.face_share,
            mean_luminance=result.mean_luminance,
            dark_share=result.dark_share or 0.0,
        )
    return {
        "faceFrameShare": result.face_share,
        "meanLuminance": result.mean_luminance,
        "sampledFrames": result.sampled_frames,
        "darkFrameShare": result.dark_share,
        "videoConfidence": confidence,
    }


# ---- write ----------------------------------------------------------------------------------


def assemble(
    *,
    source: str,
    has_video: bool,
    audio: AudioPart | None,
    video: VideoResult | None,
    absent: list[Absence],
    duration: float,
    timings: dict[str, float],
) -> MediaMeasurement:
    """The one MediaMeasurement from the parts (pure)."""
    absences = list(absent)
    evidence = Evidence()
    quality: dict[str, object] = {}
    if audio is not None:
        evidence = audio.evidence.model_copy()
        absences += audio.absent
        quality.update(audio.quality)
    nonverbal = None
    if video is not None:
        nonverbal = video.measurement
        evidence.facePresence = video.seconds
        absences += video.absences
        absences += [Absence(metric=k, reason=v) for k, v in NOT_MEASURABLE_VIDEO.items()]
        duration = max(duration, video.duration)
        quality.update(video_quality(video))
    elif not has_video:
        absences.append(Absence(metric="nonVerbal", reason="no video provided"))
    return MediaMeasurement(
        pipelineVersion=PIPELINE_VERSION,
        audioSource=source,  # type: ignore[arg-type]
        hasVideo=has_video,
        verbal=audio.verbal if audio else None,
        nonVerbal=nonverbal,
        transcript=audio.transcript if audio else None,
        signalQuality=SignalQuality(mediaDuration=round(duration, 3), **quality),  # type: ignore[arg-type]
        evidence=evidence,
        absent=absences,
        processingSeconds=timings,
    )

"""Synthetic `MediaMeasurement`s for the service and job tests: known figures, known absences."""

from __future__ import annotations

from typing import Any

from salamin.analysis.media import scoring
from salamin.analysis.media.models import (
    Absence,
    Clarity,
    Evidence,
    EyeContact,
    FacePresence,
    FaceSecond,
    FillerOccurrence,
    FillerTypeCount,
    FillerWords,
    Gestures,
    MediaMeasurement,
    NonVerbalMeasurement,
    PauseEvidence,
    Pauses,
    Posture,
    SignalQuality,
    SpeakingPace,
    Tonality,
    Transcript,
    VerbalMeasurement,
    WordTiming,
)

ANSWER = (
    "In my last role I was responsible for the billing system. Um, the situation was that "
    "releases kept failing. I decided to add contract tests and I led the migration. "
    "As a result we reduced incidents by 40 percent, you know, within three months."
)

TONALITY_REASON = "a listener judgement, not an acoustic measurement"
ARTICULATION_REASON = "no articulation measure; proxies are reported instead"


def _words(text: str, *, start: float = 0.5, step: float = 0.4) -> list[WordTiming]:
    return [
        WordTiming(
            word=w,
            start=round(start + i * step, 3),
            end=round(start + i * step + 0.3, 3),
            probability=0.9,
        )
        for i, w in enumerate(text.split())
    ]


def verbal(**overrides: Any) -> VerbalMeasurement:
    groups: dict[str, Any] = {
        "speakingPace": SpeakingPace(
            averageWPM=142.0,
            variability=12.0,
            variabilityCV=0.085,
            wordCount=48,
            speakingTime=20.3,
            optimalRange=(120.0, 160.0),
            score=100.0,
        ),
        "clarity": Clarity(
            snrDb=24.0,
            snrMethod="silence-frames",
            speechLevelDbfs=-24.0,
            loudnessStdDb=2.5,
            recognizerConfidence=0.88,
            noiseScore=76.0,
            volumeScore=100.0,
            pronunciationScore=95.0,
            score=90.3,
        ),
        "fillerWords": FillerWords(
            count=2,
            frequency=5.9,
            types=[FillerTypeCount(word="um", count=1), FillerTypeCount(word="you know", count=1)],
            timestamps=[5.3, 17.7],
            score=55.5,
        ),
        "pauses": Pauses(
            count=2,
            averagePauseLength=1.2,
            longestPause=1.6,
            strategicPauses=1,
            hesitationPauses=1,
            longPauses=0,
            awkwardSilences=0,
            perMinute=5.9,
            score=55.7,
        ),
        "tonality": Tonality(
            pitchMedianHz=120.0,
            pitchStdSemitones=2.4,
            pitchRangeSemitones=6.1,
            voicedTime=12.0,
            label="moderate",
            score=70.0,
        ),
    }
    groups.update(overrides)
    return VerbalMeasurement(**groups)


def nonverbal() -> NonVerbalMeasurement:
    return NonVerbalMeasurement(
        facePresence=FacePresence(percentage=90.0, secondsWithFace=18, secondsMeasured=20),
        eyeContact=EyeContact(percentage=72.0, consistency=80.0, score=86.7),
        posture=Posture(headMovement=0.1, stability=88.9, score=88.9),
        gestures=Gestures(motionEnergy=0.01, activeShare=0.2, frequency=3.0, score=100.0),
    )


def face_seconds(pattern: str) -> list[FaceSecond]:
    """One char per second: C centred face, O off-centre face, N no face, D dark."""
    out = []
    for i, c in enumerate(pattern):
        centred = 5 if c == "C" else 0
        faces = 5 if c in "CO" else 0
        dark = 5 if c == "D" else 0
        out.append(
            FaceSecond(
                second=i,
                sampledFrames=5,
                darkFrames=dark,
                faceFrames=faces,
                centredFaceFrames=centred,
                present=None if dark else faces > 0,
            )
        )
    return out


AUDIO_ABSENT = [
    *(
        Absence(metric=f"verbal.tonality.{k}", reason=TONALITY_REASON)
        for k in ("confidence", "enthusiasm", "professionalism", "authenticity")
    ),
    Absence(metric="verbal.clarity.articulation", reason=ARTICULATION_REASON),
]
VIDEO_ABSENT = [
    Absence(metric="nonVerbal.facialExpressions", reason="needs an expression model"),
    Absence(metric="nonVerbal.posture.uprightness", reason="needs body-pose landmarks"),
    Absence(metric="nonVerbal.overallPresence", reason="a judgement, not a measurement"),
]


def measurement(
    *,
    video: bool = True,
    snr_db: float | None = 24.0,
    face_share: float | None = 0.9,
    speech_s: float = 20.3,
    verbal_m: VerbalMeasurement | None = None,
    absent: list[Absence] | None = None,
    audio_source: str = "audio",
) -> MediaMeasurement:
    words = _words(ANSWER)
    return MediaMeasurement(
        pipelineVersion="test",
        audioSource=audio_source,  # type: ignore[arg-type]
        hasVideo=video,
        verbal=verbal_m if verbal_m is not None else (verbal() if audio_source != "none" else None),
        nonVerbal=nonverbal() if video else None,
        transcript=(
            Transcript(text=ANSWER, language="en", languageProbability=0.99)
            if audio_source != "none"
            else None
        ),
        signalQuality=SignalQuality(
            mediaDuration=24.0,
            speechDuration=speech_s if audio_source != "none" else None,
            snrDb=snr_db,
            meanRecognizerConfidence=0.88 if audio_source != "none" else None,
            faceFrameShare=face_share if video else None,
            meanLuminance=120.0 if video else None,
            sampledFrames=120 if video else None,
            darkFrameShare=0.0 if video else None,
            audioConfidence=(
                scoring.audio_confidence(speech_s=speech_s, snr_db=snr_db, recognizer=0.88)
                if audio_source != "none"
                else None
            ),
            videoConfidence=(
                scoring.video_confidence(usable_s=24.0, face_share=face_share, mean_luminance=120.0)
                if video and face_share is not None
                else None
            ),
        ),
        evidence=Evidence(
            words=words if audio_source != "none" else [],
            fillers=[
                FillerOccurrence(word="um", text="Um,", start=5.3, end=5.6),
                FillerOccurrence(word="you know", text="you know,", start=17.7, end=18.1),
            ],
            pauses=[
                PauseEvidence(
                    start=8.0, end=8.8, duration=0.8, kind="strategic", afterSentenceEnd=True
                ),
                PauseEvidence(
                    start=12.0, end=13.6, duration=1.6, kind="hesitation", afterSentenceEnd=False
                ),
            ],
            facePresence=face_seconds("CCCCOONNCCCCCCCCDDCC") if video else [],
        ),
        absent=(
            absent
            if absent is not None
            else [*AUDIO_ABSENT, *(VIDEO_ABSENT if video else [])]
            + ([] if video else [Absence(metric="nonVerbal", reason="no video provided")])
        ),
    )

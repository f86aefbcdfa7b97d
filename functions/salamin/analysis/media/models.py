"""What `pipeline.measure` returns: measurements of one recording, with their evidence.

Field names are camelCase like the spec's `VerbalMetrics`/`NonVerbalMetrics`, and the metric
groups keep the spec's names (speakingPace, clarity, fillerWords, pauses, tonality, eyeContact,
posture, gestures) so they map onto `salamin.models.analysis` one to one. Each group holds the
raw measured figures plus its 0-100 `score` (mapping documented in `scoring`).

A group, or a figure inside one, that could not be measured is None, and `absent` lists it by
dotted path (e.g. `nonVerbal.eyeContact`) with the reason. Spec figures that signal processing
cannot honestly measure (e.g. tonality.enthusiasm, facialExpressions) are listed there too.
Times are seconds from the start of the recording.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Score = Annotated[float, Field(ge=0, le=100)]
Seconds = Annotated[float, Field(ge=0)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- evidence -------------------------------------------------------------------------------


class WordTiming(_M):
    """One recognised word. `snapped`: its start/end was moved onto a voice-activity edge."""

    word: str
    start: Seconds
    end: Seconds
    probability: float = Field(ge=0, le=1)
    snapped: bool = False


class FillerOccurrence(_M):
    word: str
    """Canonical filler type: um, uh, er, like, you know, I mean, sort of, kind of."""
    text: str
    """As transcribed, e.g. "Um," or "you know,"."""
    start: Seconds
    end: Seconds


class PauseEvidence(_M):
    start: Seconds
    end: Seconds
    duration: Seconds
    kind: Literal["strategic", "hesitation", "long", "awkward"]
    afterSentenceEnd: bool
    """The last word before the pause ends a sentence (., ?, !, ; or :)."""


class SpeechSegment(_M):
    start: Seconds
    end: Seconds


class PaceWindow(_M):
    start: Seconds
    end: Seconds
    words: int = Field(ge=0)
    speakingTime: Seconds
    wpm: float = Field(ge=0)
    """Weighted words in the window / its speaking time (as `SpeakingPace.averageWPM`)."""


class FaceSecond(_M):
    """Face detection over one second of video (frames sampled at `sampleFps`)."""

    second: int = Field(ge=0)
    sampledFrames: int = Field(ge=0)
    darkFrames: int = Field(ge=0)
    faceFrames: int = Field(ge=0)
    centredFaceFrames: int = Field(ge=0)
    facingFrames: int = Field(default=0, ge=0)
    """Face frames whose landmarks say the head faces the camera (turned under about 30°)."""
    present: bool | None
    """A face in at least half the usable (not dark) frames; None if every frame was dark."""
    facing: bool | None = None
    """Most landmarked face frames face the camera; None without a face or landmarks."""
    cannotTell: str | None = None
    """Why presence could not be judged (every frame too dark); None when it was judged."""


class Evidence(_M):
    words: list[WordTiming] = Field(default_factory=list)
    fillers: list[FillerOccurrence] = Field(default_factory=list)
    pauses: list[PauseEvidence] = Field(default_factory=list)
    speechSegments: list[SpeechSegment] = Field(default_factory=list)
    paceWindows: list[PaceWindow] = Field(default_factory=list)
    facePresence: list[FaceSecond] = Field(default_factory=list)


# ---- verbal ---------------------------------------------------------------------------------


class FillerTypeCount(_M):
    word: str
    count: int = Field(ge=0)


class SpeakingPace(_M):
    averageWPM: float = Field(ge=0)
    """Weighted counted words / speaking time (see `verbal` for the definitions)."""
    variability: float | None = Field(default=None, ge=0)
    """Standard deviation of per-window WPM (`evidence.paceWindows`); None under 2 windows."""
    variabilityCV: float | None = Field(default=None, ge=0)
    """variability / mean window WPM (coefficient of variation)."""
    wordCount: int = Field(ge=0)
    weightedWordCount: float | None = Field(default=None, ge=0)
    """Counted words, each weighted by min(1, recogniser probability / 0.5): what WPM uses."""
    speakingTime: Seconds
    optimalRange: tuple[float, float]
    score: Score


class Clarity(_M):
    snrDb: float | None = None
    """Speech power over non-speech power, from voice-activity-labelled frames."""
    snrMethod: Literal["silence-frames", "quietest-frames"] | None = None
    speechLevelDbfs: float | None = None
    loudnessStdDb: float | None = Field(default=None, ge=0)
    """Std of 0.5 s speech-block loudness: lower is a steadier volume."""
    recognizerConfidence: float | None = Field(default=None, ge=0, le=1)
    """Mean word probability from the recogniser: a proxy for how clearly words came out."""
    noiseScore: Score | None = None
    volumeScore: Score | None = None
    pronunciationScore: Score | None = None
    score: Score | None = None


class FillerWords(_M):
    count: int = Field(ge=0)
    frequency: float = Field(ge=0)
    """Fillers per minute of speaking time."""
    types: list[FillerTypeCount]
    timestamps: list[float]
    score: Score


class Pauses(_M):
    count: int = Field(ge=0)
    averagePauseLength: float | None = Field(default=None, ge=0)
    """Mean pause duration in seconds; None when there was no pause."""
    longestPause: float | None = Field(default=None, ge=0)
    strategicPauses: int = Field(ge=0)
    hesitationPauses: int = Field(ge=0)
    longPauses: int = Field(ge=0)
    awkwardSilences: int = Field(ge=0)
    perMinute: float = Field(ge=0)
    score: Score


class Tonality(_M):
    """Pitch movement only: the spec's confidence/enthusiasm/... are not acoustic measurements."""

    pitchMedianHz: float = Field(gt=0)
    pitchStdSemitones: float = Field(ge=0)
    pitchRangeSemitones: float = Field(ge=0)
    """10th to 90th percentile of voiced pitch, in semitones."""
    voicedTime: Seconds
    label: Literal["monotone", "moderate", "expressive"]
    score: Score


class VerbalMeasurement(_M):
    speakingPace: SpeakingPace | None = None
    clarity: Clarity | None = None
    fillerWords: FillerWords | None = None
    pauses: Pauses | None = None
    tonality: Tonality | None = None


# ---- non-verbal -----------------------------------------------------------------------------


class FacePresence(_M):
    percentage: Score
    """Share of usable sampled frames with a frontal face."""
    secondsWithFace: int = Field(ge=0)
    secondsMeasured: int = Field(ge=0)
    secondsCannotTell: int = Field(default=0, ge=0)
    """Seconds too dark to tell whether a face was there (not counted as "no face")."""


class EyeContact(_M):
    percentage: Score
    """Share of usable sampled frames with a face turned to the camera (landmark proxy)."""
    consistency: Score | None = None
    """100 × (1 − std of per-5 s-window percentage / 50); None under 2 windows."""
    score: Score


class Posture(_M):
    headMovement: float = Field(ge=0)
    """Median face-centre std within 5 s windows, in face widths: 0 is perfectly still."""
    stability: Score
    score: Score


class Gestures(_M):
    motionEnergy: float = Field(ge=0, le=1)
    """Mean absolute frame difference outside the face box, as a fraction of full scale."""
    activeShare: float = Field(ge=0, le=1)
    """Share of sampled intervals with visible motion outside the face box."""
    frequency: float = Field(ge=0)
    """Motion bursts (runs of active intervals) per minute."""
    score: Score


class NonVerbalMeasurement(_M):
    facePresence: FacePresence | None = None
    eyeContact: EyeContact | None = None
    posture: Posture | None = None
    gestures: Gestures | None = None


# ---- envelope -------------------------------------------------------------------------------


class Absence(_M):
    metric: str
    """Dotted path, e.g. `verbal.tonality` or `nonVerbal.posture.uprightness`."""
    reason: str


class SignalQuality(_M):
    """Figures that bound how far the metrics can be trusted, plus 0-100 confidences from them."""

    mediaDuration: Seconds
    speechDuration: Seconds | None = None
    snrDb: float | None = None
    highBandDb: float | None = None
    """Speech power above 4 kHz relative to all speech power (dB): about -20 for full-band
    speech, under -45 for telephone-band audio, where the recogniser mishears more."""
    meanRecognizerConfidence: float | None = None
    faceFrameShare: float | None = Field(default=None, ge=0, le=1)
    meanLuminance: float | None = None
    sampledFrames: int | None = Field(default=None, ge=0)
    darkFrameShare: float | None = Field(default=None, ge=0, le=1)
    audioConfidence: Score | None = None
    videoConfidence: Score | None = None


class Transcript(_M):
    """Recognised text; per-word timings are in `evidence.words`."""

    text: str
    language: str
    languageProbability: float = Field(ge=0, le=1)


class MediaMeasurement(_M):
    pipelineVersion: str
    audioSource: Literal["audio", "video", "none"]
    hasVideo: bool
    verbal: VerbalMeasurement | None = None
    nonVerbal: NonVerbalMeasurement | None = None
    transcript: Transcript | None = None
    signalQuality: SignalQuality
    evidence: Evidence
    absent: list[Absence] = Field(default_factory=list)
    processingSeconds: dict[str, float] = Field(default_factory=dict)
    """Wall-clock seconds per stage (decode, vad, transcribe, ...)."""

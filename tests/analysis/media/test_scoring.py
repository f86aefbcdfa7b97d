"""The documented 0-100 mappings in `scoring`: anchors, linear falls, clamping."""

from __future__ import annotations

import pytest

from salamin.analysis.media import scoring


@pytest.mark.parametrize(
    ("wpm", "score"),
    [(40, 0), (60, 0), (90, 50), (120, 100), (140, 100), (160, 100), (190, 50), (220, 0), (300, 0)],
)
def test_pace_score_is_flat_inside_the_optimal_range_and_linear_outside(wpm, score):
    assert scoring.pace_score(wpm) == score


@pytest.mark.parametrize(("per_min", "score"), [(0, 100), (1, 100), (6.5, 50), (12, 0), (30, 0)])
def test_filler_score(per_min, score):
    assert scoring.filler_score(per_min) == score


def test_pause_score_penalises_hesitations_and_awkward_silences_per_minute():
    assert scoring.pause_score(hesitations=0, awkward=0, strategic=3, speaking_time=60) == 100
    # 2 hesitations in 2 minutes = 1/min -> -15; 1 awkward in 2 min = 0.5/min -> -15.
    assert scoring.pause_score(hesitations=2, awkward=1, strategic=4, speaking_time=120) == 70
    assert scoring.pause_score(hesitations=20, awkward=5, strategic=0, speaking_time=60) == 0


def test_pause_score_wants_some_strategic_pause_in_a_long_answer():
    with_pause = scoring.pause_score(hesitations=0, awkward=0, strategic=1, speaking_time=90)
    without = scoring.pause_score(hesitations=0, awkward=0, strategic=0, speaking_time=90)
    short = scoring.pause_score(hesitations=0, awkward=0, strategic=0, speaking_time=30)
    assert (with_pause, without, short) == (100, 80, 100)


@pytest.mark.parametrize(("snr", "score"), [(0, 0), (5, 0), (17.5, 50), (30, 100), (60, 100)])
def test_snr_score(snr, score):
    assert scoring.snr_score(snr) == score


def test_volume_score_averages_level_and_steadiness_and_skips_unmeasured_parts():
    assert scoring.level_score(-20) == 100
    assert scoring.level_score(-47.5) == 50
    assert scoring.steadiness_score(7.5) == 50
    assert scoring.volume_score(level_dbfs=-20, loudness_std_db=7.5) == 75
    assert scoring.volume_score(level_dbfs=None, loudness_std_db=7.5) == 50
    assert scoring.volume_score(level_dbfs=None, loudness_std_db=None) is None


@pytest.mark.parametrize(
    ("std", "label", "score"),
    [(0.5, "monotone", 0), (1.5, "monotone", 25), (2.5, "moderate", 75), (3.5, "expressive", 100)],
)
def test_pitch_label_and_score(std, label, score):
    assert scoring.pitch_label(std) == label
    assert scoring.pitch_score(std) == score


def test_video_mappings():
    assert scoring.eye_contact_score(50) == 50
    assert scoring.eye_contact_score(95) == 100
    assert scoring.head_stability_score(0.02) == 100
    assert scoring.head_stability_score(0.275) == 50
    assert [scoring.gesture_score(s) for s in (0, 0.05, 0.3, 0.8, 1)] == [50, 75, 100, 65, 30]


def test_confidences_take_the_weakest_figure():
    assert scoring.audio_confidence(speech_s=120, snr_db=30, recognizer=0.95) == 100
    assert scoring.audio_confidence(speech_s=120, snr_db=15, recognizer=0.95) == 60
    assert scoring.audio_confidence(speech_s=120, snr_db=30, recognizer=0.85) == 50
    assert scoring.audio_confidence(speech_s=120, snr_db=30, recognizer=0.75) == 0
    assert scoring.audio_confidence(speech_s=9, snr_db=30, recognizer=0.95) == 50
    assert scoring.audio_confidence(speech_s=120, snr_db=None, recognizer=0.95) == 0
    assert scoring.video_confidence(usable_s=120, face_share=0.4, mean_luminance=120) == 50
    assert (
        scoring.video_confidence(usable_s=120, face_share=1, mean_luminance=120, dark_share=0.25)
        == 50
    )


def test_telephone_band_audio_caps_the_audio_confidence():
    sure = {"speech_s": 60, "snr_db": 40, "recognizer": 0.95}
    assert scoring.audio_confidence(**sure, high_band_db=-20) == 100  # full band
    assert scoring.audio_confidence(**sure, high_band_db=-72) == 40  # telephone band
    assert scoring.audio_confidence(**sure, high_band_db=-50) == 70
    assert scoring.audio_confidence(**sure) == 100  # not measured: no cap


def test_a_half_minute_answer_is_not_low_confidence_for_its_length_alone():
    """The bench showed length-dominated confidence tracked no error: 30 s of clear speech
    that the recogniser was sure of is trustworthy."""
    assert scoring.audio_confidence(speech_s=30, snr_db=40, recognizer=0.93) == 100


def test_piecewise_is_flat_beyond_its_ends():
    pts = [(0.0, 10.0), (1.0, 90.0)]
    assert scoring.piecewise(-5, pts) == 10
    assert scoring.piecewise(0.5, pts) == 50
    assert scoring.piecewise(9, pts) == 90

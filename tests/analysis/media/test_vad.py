"""Hysteresis segmentation of per-frame speech probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from salamin.analysis.media.vad import (
    Segment,
    energy_adjusted,
    frame_db,
    segments_from_probabilities,
    thresholds_for,
)


def seg(probs, **kw):
    return [(round(s.start, 3), round(s.end, 3)) for s in segments_from_probabilities(
        probs, frame_s=0.1, min_silence_s=0.3, min_speech_s=0.2, **kw)]  # fmt: skip


def test_opens_at_threshold_and_closes_after_enough_silence():
    probs = [0.1, 0.6, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.7, 0.8, 0.2, 0.2, 0.2]
    assert seg(probs) == [(0.1, 0.4), (0.8, 1.0)]


def test_short_dips_and_in_between_values_stay_inside_a_segment():
    probs = [0.9, 0.9, 0.1, 0.1, 0.9, 0.4, 0.4, 0.4, 0.4, 0.9, 0.0, 0.0, 0.0]
    # two low frames (0.2 s < 0.3 s) do not close; 0.4 is above the 0.35 negative threshold.
    assert seg(probs) == [(0.0, 1.0)]


def test_clicks_shorter_than_min_speech_are_dropped_and_open_end_is_closed():
    probs = [0.9, 0.0, 0.0, 0.0, 0.0, 0.8, 0.8, 0.8]
    assert seg(probs) == [(0.5, 0.8)]


def test_no_speech_gives_no_segments():
    assert seg([0.0] * 20) == []


def test_segment_duration():
    assert Segment(1.0, 2.5).duration == pytest.approx(1.5)


def test_thresholds_stay_put_when_the_model_is_sure_of_speech():
    assert thresholds_for([0.0] * 50 + [0.99] * 50) == (0.5, 0.35)
    assert thresholds_for([]) == (0.5, 0.35)


def test_thresholds_follow_a_band_limited_recording_down_but_not_below_the_floor():
    open_, close = thresholds_for([0.05] * 50 + [0.6] * 50)  # telephone speech peaks near 0.6
    assert open_ == pytest.approx(0.55 * 0.6) and close == pytest.approx(open_ * 0.7)
    assert thresholds_for([0.1] * 100)[0] == 0.25  # noise only: never chase it to zero


def test_lowered_thresholds_find_telephone_speech_that_the_fixed_ones_miss():
    probs = [0.05] * 5 + [0.45] * 10 + [0.05] * 10 + [0.6] * 10 + [0.05] * 5
    open_, close = thresholds_for(probs)
    assert len(seg(probs)) == 1
    assert seg(probs, threshold=open_, neg_threshold=close) == [(0.5, 1.5), (2.5, 3.5)]


def _adjust(probs, raw_db, clean_db=None, open_=0.4):
    raw = np.array(raw_db, dtype=float)
    clean = raw if clean_db is None else np.array(clean_db, dtype=float)
    return energy_adjusted(np.array(probs, np.float32), raw_db=raw, clean_db=clean, open_=open_)


def test_a_loud_frame_silero_doubts_is_rescued_to_the_open_threshold_in_a_quiet_recording():
    # digital-silence floor (-120 dB), speech at -20 dB: the frame Silero gives 0.2 is speech.
    probs = [0.0] * 10 + [0.9, 0.2, 0.9] + [0.0] * 10
    raw = [-120.0] * 10 + [-20.0, -22.0, -20.0] + [-120.0] * 10
    out = _adjust(probs, raw)
    assert out[11] == 0.4 and out[10] == pytest.approx(0.9) and out[0] == 0.0
    assert seg(out, threshold=0.4, neg_threshold=0.28) == [(1.0, 1.3)]  # one phrase, no gap


def test_no_rescue_where_the_recording_is_noisy_or_the_frame_is_far_under_the_speech_level():
    probs = [0.2] * 30
    noisy = [-30.0] * 20 + [-20.0] * 10  # speech only 10 dB over the noise floor
    assert _adjust(probs, noisy).max() == pytest.approx(0.2)
    quiet_frame = [-120.0] * 10 + [-20.0] * 10 + [-40.0] * 10  # 20 dB under the speech level
    assert _adjust(probs, quiet_frame)[25] == pytest.approx(0.2)
    assert _adjust([0.0] * 30, quiet_frame)[15] == 0.0  # Silero sure it is not speech: kept


def test_the_gate_drops_frames_of_the_denoised_audio_far_under_the_talker():
    # babble in the pause: Silero says 0.6, but the denoised copy is 15 dB under the talker.
    probs = [0.9] * 10 + [0.6] * 10 + [0.9] * 10
    clean = [-25.0] * 10 + [-40.0] * 10 + [-25.0] * 10
    out = _adjust(probs, raw_db=[-30.0] * 30, clean_db=clean)
    assert list(out[10:20]) == [0.0] * 10 and out[0] == pytest.approx(0.9)
    assert len(seg(out, threshold=0.5, neg_threshold=0.35)) == 2


def test_frame_db_pads_to_the_frame_count_and_reads_silence_as_very_quiet():
    x = np.concatenate([np.zeros(512), np.full(512, 0.1)]).astype(np.float32)
    db = frame_db(x, frames=3)
    assert db.shape == (3,) and db[0] < -100 and db[1] == pytest.approx(-20.0) and db[2] < -100

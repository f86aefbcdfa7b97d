"""Hysteresis segmentation of per-frame speech probabilities."""

from __future__ import annotations

import pytest

from salamin.analysis.media.vad import Segment, segments_from_probabilities, thresholds_for


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

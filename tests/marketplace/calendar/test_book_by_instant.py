"""Book what you were shown: slots carry a stable `slotId`; a wall-clock time that DST repeats
or skips is an explicit invalid-argument; both occurrences of a fall-back hour are bookable by
instant."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from salamin.api import _callable
from salamin.core.errors import InvalidArgument
from salamin.marketplace.calendar import availability as av
from salamin.marketplace.calendar import intervals, local_time
from salamin.models.expert import PublicExpert
from salamin.models.session import BookingRequest, parse_slot_id
from tests.support.discovery import expert_doc, window

CHICAGO = ZoneInfo("America/Chicago")
BEFORE_FALL_BACK = datetime(2026, 10, 28, 12, tzinfo=UTC)  # Chicago falls back on 2026-11-01


def _chicago_night() -> av.Schedule:
    doc = expert_doc(time_zone="America/Chicago", windows=[window(0, "00:00", "03:00")])
    return av.Schedule.of(PublicExpert.model_validate(doc))


def _sunday_slots() -> list[av.Slot]:
    found = av.generate_slots(
        _chicago_night(), busy=intervals.Busy(), now=BEFORE_FALL_BACK, days_ahead=7, duration=60
    )
    return [s for s in found if s.expert_date == "2026-11-01"]


def test_both_occurrences_of_the_repeated_hour_are_offered_and_bookable_by_instant() -> None:
    starts = [s.start for s in _sunday_slots()]
    first = datetime(2026, 11, 1, 6, tzinfo=UTC)  # 01:00 CDT
    second = datetime(2026, 11, 1, 7, tzinfo=UTC)  # 01:00 CST, an hour later
    assert first in starts and second in starts
    for start in (first, second):
        booked = av.check_slot(
            _chicago_night(),
            busy=intervals.Busy(),
            start=start,
            session_type="mock_interview",
            duration=60,
            now=BEFORE_FALL_BACK,
        )
        assert booked.start == start


def test_the_repeated_wall_clock_time_is_an_explicit_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as err:
        local_time.resolve_local("2026-11-01", "01:00", CHICAGO)
    assert err.value.details["reason"] == "ambiguous_local_time"
    assert err.value.fields[0]["path"] == "startTime"


def test_the_skipped_wall_clock_time_is_an_explicit_invalid_argument() -> None:
    with pytest.raises(InvalidArgument) as err:
        local_time.resolve_local("2026-03-08", "02:30", CHICAGO)
    assert err.value.details["reason"] == "nonexistent_local_time"


def test_slot_id_is_the_instant_shown_in_any_viewer_zone() -> None:
    slot = _sunday_slots()[0]
    for viewer in ("America/Chicago", "Asia/Tokyo", "UTC"):
        wire = slot.to_wire(ZoneInfo(viewer))
        start, minutes = parse_slot_id(wire["slotId"])
        assert start == slot.start and minutes == 60
        assert wire["startUtc"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")


BASE = {"expertId": "e1", "sessionType": "mock_interview", "duration": 60}


def test_booking_request_takes_exactly_one_time_form() -> None:
    by_slot = _callable.parse(BookingRequest, {**BASE, "slotId": "20261101T070000Z-60"})
    assert by_slot.start_instant() == datetime(2026, 11, 1, 7, tzinfo=UTC)
    by_utc = _callable.parse(BookingRequest, {**BASE, "startUtc": "2026-11-01T07:00:00.000Z"})
    assert by_utc.start_instant() == datetime(2026, 11, 1, 7, tzinfo=UTC)
    local = _callable.parse(BookingRequest, {**BASE, "date": "2026-11-02", "startTime": "09:00"})
    assert local.start_instant() is None
    for bad in (
        {**BASE},
        {**BASE, "slotId": "20261101T070000Z-60", "startUtc": "2026-11-01T07:00:00.000Z"},
        {**BASE, "date": "2026-11-02"},
        {**BASE, "slotId": "20261101T070000Z-90"},
        {**BASE, "startUtc": "2026-11-01T07:00:00"},
    ):
        with pytest.raises(InvalidArgument):
            _callable.parse(BookingRequest, bad)

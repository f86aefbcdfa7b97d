"""How bookings occupy the calendar: 5-minute lock units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from salamin.marketplace.calendar import occupancy


def test_lock_units_cover_the_session_and_buffer_rounded_out() -> None:
    start = datetime(2026, 11, 4, 10, 2, tzinfo=UTC)
    units = occupancy.lock_unit_ids(start, start + timedelta(minutes=13))
    assert units == ["20261104T1000Z", "20261104T1005Z", "20261104T1010Z"]
    exact = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
    assert len(occupancy.lock_unit_ids(exact, exact + timedelta(minutes=75))) == 15

"""The .ics invite: RFC 5545 structure, UTC instants that are right across DST, escaping and
folding; parsed back with the `icalendar` library (a dev dependency) as a calendar client would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from salamin.gateways import ics

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORGANIZER = ics.Person(name="Ada Lovelace", email="ada@example.com")
ATTENDEE = ics.Person(name="Candidate", email="cand@example.com")


def _invite(start: datetime, *, tz: str = "America/New_York", **kw: object) -> bytes:
    args: dict[str, object] = {
        "uid": "salamin-session-abc123",
        "sequence": 0,
        "method": "REQUEST",
        "start": start,
        "end": start + timedelta(minutes=60),
        "summary": "Salamin mock interview with Ada Lovelace",
        "description": "Your Salamin mock interview (60 minutes).",
        "meeting_link": "https://meet.jit.si/Salamin-0123456789abcdef0123456789abcdef",
        "organizer": ORGANIZER,
        "attendees": [ATTENDEE],
        "time_zone": tz,
        "now": NOW,
    }
    args.update(kw)
    return ics.session_invite(**args)  # type: ignore[arg-type]


def _event(data: bytes) -> Any:
    cal = icalendar.Calendar.from_ical(data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


def test_structure_and_line_endings() -> None:
    data = _invite(datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    text = data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    cal = icalendar.Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0" and cal["METHOD"] == "REQUEST"
    event = _event(data)
    assert str(event["UID"]) == "salamin-session-abc123"
    assert str(event["ORGANIZER"]) == "mailto:ada@example.com"
    assert str(event["ATTENDEE"]) == "mailto:cand@example.com"
    assert str(event["LOCATION"]).startswith("https://meet.jit.si/Salamin-")


def test_times_are_the_exact_instants_across_a_dst_change() -> None:
    ny = ZoneInfo("America/New_York")
    # 09:00 New York the Friday before and the Monday after the 2026-03-08 spring change
    before = datetime(2026, 3, 6, 9, 0, tzinfo=ny)
    after = datetime(2026, 3, 9, 9, 0, tzinfo=ny)
    for local, utc_hour in ((before, 14), (after, 13)):
        event = _event(_invite(local.astimezone(UTC)))
        start = event.decoded("DTSTART")
        assert start.tzinfo is not None
        assert start.astimezone(UTC).hour == utc_hour
        assert start.astimezone(ny).hour == 9  # the expert's wall clock, whichever side of DST
        assert event.decoded("DTEND") - start == timedelta(minutes=60)
    text = _invite(after.astimezone(UTC)).decode()
    assert "DTSTART:20260309T130000Z" in text
    unfolded = text.replace("\r\n ", "")
    assert "09:00 (America/New_York\\, UTC-0400)" in unfolded


def test_text_is_escaped_and_long_lines_fold_without_breaking_utf8() -> None:
    start = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    description = "Résumé review; bring notes, questions\nand a pen — " + "é" * 80
    data = _invite(start, description=description)
    event = _event(data)
    assert str(event["DESCRIPTION"]).startswith(description)
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode()  # folding never splits a multi-byte character


def test_cancel_and_sequence() -> None:
    data = _invite(
        datetime(2026, 3, 9, 14, 0, tzinfo=UTC), method="CANCEL", sequence=2, meeting_link=None
    )
    cal = icalendar.Calendar.from_ical(data)
    event = _event(data)
    assert cal["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(str(event["SEQUENCE"])) == 2
    assert "LOCATION" not in event

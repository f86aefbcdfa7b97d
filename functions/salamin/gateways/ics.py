"""RFC 5545 calendar invites (.ics) for booked sessions, written by hand (no dependency).

Times are written as UTC instants (`DTSTART:20261201T143000Z`). That form needs no VTIMEZONE,
is unambiguous across DST changes, and every calendar client shows it in the reader's own zone;
the expert's wall-clock time and zone are spelled out in the description for humans.

One UID per session; a reschedule sends the same UID with a higher SEQUENCE, a cancellation
sends METHOD:CANCEL, so calendar clients update the event in place instead of duplicating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

PRODID = "-//Salamin//Expert Sessions//EN"
Method = Literal["REQUEST", "CANCEL"]


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def _utc(ts: datetime) -> str:
    if ts.tzinfo is None:
        raise ValueError("invite times must be timezone-aware")
    return ts.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def _param(value: str) -> str:
    """A quoted parameter value; DQUOTE is not allowed inside, so it is dropped."""
    return '"' + value.replace('"', "").replace("\r", " ").replace("\n", " ") + '"'


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character (RFC 5545 §3.1)."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    limit = 75
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > limit:
            parts.append(current.decode())
            current = b""
            limit = 74  # continuation lines start with one space
        current += b
    parts.append(current.decode())
    return "\r\n ".join(parts)


def session_invite(
    *,
    uid: str,
    sequence: int,
    method: Method,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    meeting_link: str | None,
    organizer: Person,
    attendees: list[Person],
    time_zone: str,
    now: datetime,
) -> bytes:
    """The invite as bytes (CRLF line ends), ready to attach as `text/calendar`."""
    if end <= start:
        raise ValueError("end must be after start")
    local = start.astimezone(ZoneInfo(time_zone))
    when = f"{local:%A %d %B %Y, %H:%M} ({time_zone}, UTC{local:%z})"
    body = f"{description}\n\nWhen: {when}"
    if meeting_link:
        body += f"\nJoin: {meeting_link}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(start)}",
        f"DTEND:{_utc(end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(body)}",
        f"STATUS:{'CANCELLED' if method == 'CANCEL' else 'CONFIRMED'}",
        f"ORGANIZER;CN={_param(organizer.name)}:mailto:{organizer.email}",
    ]
    for person in attendees:
        lines.append(
            f"ATTENDEE;CN={_param(person.name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;"
            f"RSVP=FALSE:mailto:{person.email}"
        )
    if meeting_link:
        lines.append(f"LOCATION:{escape_text(meeting_link)}")
        lines.append(f"URL:{meeting_link}")
    if method == "REQUEST":
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(summary)}",
            "TRIGGER:-PT15M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode()

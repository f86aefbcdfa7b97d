"""Calendar invites name only the platform as organiser and each recipient as the one
attendee: neither party learns the other's personal email from an .ics (issue 9, item 5)."""

from __future__ import annotations

import base64
import re

from salamin.marketplace.booking import lifecycle, notifications
from tests.support.booking import USER, World

EMAIL = re.compile(r"mailto:([^\s;:]+)", re.IGNORECASE)


def _invites(world: World) -> list[tuple[str, set[str]]]:
    """(recipient, emails named in the attached .ics) for every mail with an invite."""
    out = []
    for mail in world.mails().values():
        for attachment in mail["message"].get("attachments", []):
            ics = base64.b64decode(attachment["content"]).decode().replace("\r\n ", "")
            out.append((mail["to"], {e.lower() for e in EMAIL.findall(ics)}))
    return out


def test_invites_name_the_platform_and_the_recipient_only(world: World) -> None:
    session_id = world.book_and_pay(USER)
    lifecycle.reschedule_session(
        world.db,
        caller=USER,
        session_id=session_id,
        date="2026-11-05",
        start_time="15:00",
        clock=world.clock,
    )
    lifecycle.cancel_session(
        world.db,
        caller=USER,
        session_id=session_id,
        cancelled_by="user",
        reason="plans changed",
        clock=world.clock,
        payments=world.gateway,
        tasks=world.tasks,
    )
    invites = _invites(world)
    assert len(invites) == 6  # confirmed, rescheduled, cancelled; to each party
    organiser = notifications.PLATFORM_ORGANIZER.email
    for recipient, emails in invites:
        assert emails == {organiser, recipient.lower()}, (recipient, emails)

"""Meeting links: a real Jitsi Meet room per session, named with a 128-bit random token."""

from __future__ import annotations

import re

from salamin.gateways.meetings import new_meeting_link


def test_link_is_a_jitsi_room_with_128_random_bits() -> None:
    link = new_meeting_link()
    match = re.fullmatch(r"https://meet\.jit\.si/Salamin-([0-9a-f]{32})", link)
    assert match, link
    assert len(bytes.fromhex(match.group(1))) * 8 == 128


def test_links_do_not_repeat() -> None:
    links = {new_meeting_link() for _ in range(2000)}
    assert len(links) == 2000

"""Meeting rooms for confirmed sessions.

A Jitsi Meet room exists as soon as someone opens its URL, so the room name is the only secret:
it carries a 128-bit random token from `secrets`, which nobody can guess or enumerate. The link
is made once, when the payment is confirmed, and stored on the session.
"""

from __future__ import annotations

import secrets

JITSI_BASE = "https://meet.jit.si"
ROOM_PREFIX = "Salamin-"
TOKEN_BYTES = 16  # 128 bits


def new_meeting_link(*, base_url: str = JITSI_BASE) -> str:
    return f"{base_url.rstrip('/')}/{ROOM_PREFIX}{secrets.token_hex(TOKEN_BYTES)}"

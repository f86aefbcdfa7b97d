"""Typed errors. Each carries the callable error code the web client switches on.

Domain code raises these; `salamin.api` maps them onto `https_fn.HttpsError` so no
stack trace or internal detail ever reaches a client.
"""

from __future__ import annotations

from typing import Any, Literal

Reason = Literal[
    "slot_taken",
    "day_full",
    "week_full",
    "expert_payouts_not_ready",
    "too_late_to_reschedule",
    "too_early",
]
"""Every machine-readable `details.reason` a client may switch on (the web client's
`ErrorReason` union is generated from this)."""


class SalaminError(Exception):
    """Base class: `code` is a Firebase callable error code, `details` is safe to show."""

    code: str = "internal"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InvalidArgument(SalaminError):
    """Bad input. `fields` lists the offending field paths, e.g. `personalInfo.email`."""

    code = "invalid-argument"

    def __init__(self, message: str, *, fields: list[dict[str, str]] | None = None) -> None:
        self.fields = fields or []
        super().__init__(message, details={"fields": self.fields})

    @classmethod
    def at(cls, path: str, message: str) -> InvalidArgument:
        """One offending field: the common case."""
        return cls(f"{path}: {message}", fields=[{"path": path, "message": message}])


class Unauthenticated(SalaminError):
    code = "unauthenticated"


class PermissionDenied(SalaminError):
    code = "permission-denied"


class NotFound(SalaminError):
    code = "not-found"


class FailedPrecondition(SalaminError):
    code = "failed-precondition"


class AlreadyExists(SalaminError):
    code = "already-exists"


class ResourceExhausted(SalaminError):
    code = "resource-exhausted"


class Unavailable(SalaminError):
    """An upstream (Stripe, Gemini, Storage) failed; the client may retry."""

    code = "unavailable"

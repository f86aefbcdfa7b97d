"""Who is calling: built from the verified ID token by `salamin.api`, passed into domain code."""

from __future__ import annotations

from dataclasses import dataclass

from salamin.core.errors import PermissionDenied


@dataclass(frozen=True)
class Caller:
    uid: str
    email: str | None = None
    is_admin: bool = False
    """From the `admin` custom claim, never from request data."""

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("admin role required")

    def require_self_or_admin(self, uid: str) -> None:
        if self.uid != uid and not self.is_admin:
            raise PermissionDenied("you can only act on your own records")

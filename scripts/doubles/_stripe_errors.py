"""Stripe's error envelope, so the real `stripe` library raises its own exception classes.

The library picks the class from the HTTP status and `error.type`: 400/404 ->
InvalidRequestError (or IdempotencyError when type is idempotency_error), 401 ->
AuthenticationError, 402 -> CardError, 429 -> RateLimitError, anything else -> APIError.
"""

from __future__ import annotations

from typing import Any


class StripeApiError(Exception):
    """An error the double answers with `{"error": {...}}` and an HTTP status."""

    def __init__(
        self,
        *,
        status: int,
        type_: str,
        message: str,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code is not None:
            error["code"] = self.code
        if self.param is not None:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}

    @classmethod
    def invalid(
        cls, message: str, *, param: str | None = None, code: str | None = None
    ) -> StripeApiError:
        return cls(
            status=400, type_="invalid_request_error", message=message, code=code, param=param
        )

    @classmethod
    def missing(cls, kind: str, object_id: str, *, param: str = "id") -> StripeApiError:
        return cls(
            status=404,
            type_="invalid_request_error",
            message=f"No such {kind}: '{object_id}'",
            code="resource_missing",
            param=param,
        )

    @classmethod
    def unexpected_state(cls, message: str, *, param: str | None = None) -> StripeApiError:
        return cls.invalid(message, param=param, code="payment_intent_unexpected_state")

    @classmethod
    def injected(cls, status: int) -> StripeApiError:
        """A fault injected by the test-control API (`fail_next`)."""
        if status == 429:
            return cls(
                status=429,
                type_="invalid_request_error",
                code="rate_limit",
                message="Too many requests hit the API too quickly (injected by the double).",
            )
        if status == 409:
            return cls(
                status=409,
                type_="invalid_request_error",
                code="lock_timeout",
                message="This object cannot be accessed right now (injected by the double).",
            )
        if status >= 500:
            return cls(
                status=status,
                type_="api_error",
                message="An unknown error occurred (injected by the double).",
            )
        return cls(
            status=status,
            type_="invalid_request_error",
            message=f"Injected {status} error.",
        )

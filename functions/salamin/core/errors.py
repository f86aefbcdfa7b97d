"""Typed errors. Each carries the callable error code the web client switches on.

Domain code raises these; `salamin.api` maps them onto `https_fn.HttpsError` so no
stack trace or internal detail ever reaches a client.
"""

from __future__ import annotations

from typing import Any, Literal

Reason = Literal[
    # not-found
    "expert_not_found",
    "session_not_found",
    "application_not_found",
    "document_not_found",
    "recording_not_found",
    "analysis_not_found",
    "review_not_found",
    "purchase_not_found",
    "learning_path_not_found",
    "activity_not_found",
    # already-exists
    "application_exists",
    "already_expert",
    "feedback_exists",
    "waitlist_entry_exists",
    # failed-precondition: bookability of a time (booking, rescheduling)
    "expert_not_bookable",
    "expert_on_vacation",
    "expert_payouts_not_ready",
    "own_session",
    "date_passed",
    "beyond_booking_window",
    "blackout_date",
    "non_working_day",
    "day_full",
    "week_full",
    "not_a_slot",
    "insufficient_notice",
    "time_passed",
    "slot_taken",
    # failed-precondition: session lifecycle, payments, payouts
    "invalid_session_state",
    "session_started",
    "session_not_completed",
    "session_changed",
    "too_late_to_reschedule",
    "new_time_too_soon",
    "cancellation_not_allowed",
    "too_early",
    "payment_not_succeeded",
    "payment_declined",
    "payment_rejected",
    "currency_not_supported",
    "amount_below_minimum",
    "amount_above_maximum",
    "expert_not_active",
    "own_expert",
    # failed-precondition: delivery, no-show reports, disputes (delivery.py, disputes.py)
    "session_not_ended",
    "dispute_window_closed",
    "no_open_dispute",
    # failed-precondition: packages
    "package_not_purchasable",
    "purchase_not_refundable",
    "package_expired",
    "no_unused_credits",
    "credit_not_applicable",
    "package_not_paid",
    "session_after_package_expiry",
    # failed-precondition: onboarding
    "application_not_pending",
    "too_many_documents",
    "document_already_reviewed",
    "no_pending_document",
    # failed-precondition: analysis and benchmarks
    "speech_model_unavailable",
    "analysis_not_complete",
    "no_measured_metrics",
    # invalid-argument: a wall-clock time the expert's zone repeats or skips (DST)
    "ambiguous_local_time",
    "nonexistent_local_time",
]
"""Every machine-readable `details.reason` a client may switch on. Each not-found,
already-exists and failed-precondition error carries one (their constructors require it); the web
client's `ErrorReason` union is generated from this list."""


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
    def at(cls, path: str, message: str, *, reason: Reason | None = None) -> InvalidArgument:
        """One offending field: the common case. `reason` when a client should act on the
        cause (e.g. `ambiguous_local_time`: book by `startUtc` instead)."""
        err = cls(f"{path}: {message}", fields=[{"path": path, "message": message}])
        if reason is not None:
            err.details["reason"] = reason
        return err


class Unauthenticated(SalaminError):
    code = "unauthenticated"


class PermissionDenied(SalaminError):
    code = "permission-denied"


class ReasonedError(SalaminError):
    """An error a client handles by cause, not by message: `details.reason` is always set."""

    def __init__(
        self, message: str, *, reason: Reason, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details={**(details or {}), "reason": reason})
        self.reason: Reason = reason


class NotFound(ReasonedError):
    code = "not-found"


class FailedPrecondition(ReasonedError):
    code = "failed-precondition"


class AlreadyExists(ReasonedError):
    code = "already-exists"


class ResourceExhausted(SalaminError):
    code = "resource-exhausted"


class Unavailable(SalaminError):
    """An upstream (Stripe, Gemini, Storage) failed; the client may retry."""

    code = "unavailable"

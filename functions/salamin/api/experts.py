"""Callables and triggers of issue 10: experts manage their profile and status; earnings,
reviews and the waitlist. Request names follow the spec's camelCase style."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.core.log import log
from salamin.marketplace.booking import feedback
from salamin.marketplace.experts import earnings, profile, reviews, status, waitlist
from salamin.models.base import DocId, IsoDate, SalaminModel
from salamin.models.expert import SessionType
from salamin.models.session import ExpertId, SessionId
from salamin.models.waitlist import WaitWindow

Reason = Annotated[str, Field(min_length=1, max_length=1000)]
Cursor = DocId
"""Earnings: the last ledger line's id; reviews: an encoded last-session id. Both fit `DocId`."""


class UpdateExpertProfileRequest(profile.ExpertProfileChanges):
    """The sections to replace (see `marketplace.experts.profile`)."""


class SetExpertStatusRequest(SalaminModel):
    expertId: ExpertId
    status: status.ManagedStatus
    reason: Reason


def update_expert_profile(caller: Caller, req: UpdateExpertProfileRequest) -> dict[str, Any]:
    db, clock = firebase.db(), SystemClock()
    update = profile.update_expert_profile(db, caller=caller, changes=req, clock=clock)
    if profile.availability_changed(update):
        try:
            waitlist.notify_new_availability(
                db, before=update.before, after=update.after, clock=clock
            )
        except Exception as exc:  # the edit is stored; waitlist news is best effort
            log(
                "waitlist.hours_failed",
                severity="WARNING",
                expertId=update.expert_id,
                error=str(exc),
            )
    return update.to_wire()


def set_expert_status(caller: Caller, req: SetExpertStatusRequest) -> dict[str, Any]:
    change = status.set_expert_status(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        status=req.status,
        reason=req.reason,
        clock=SystemClock(),
    )
    return change.to_wire()


class EarningsPeriod(SalaminModel):
    """UTC dates, both inclusive."""

    from_: Annotated[IsoDate | None, Field(alias="from")] = None
    to: IsoDate | None = None


class GetExpertEarningsRequest(SalaminModel):
    expertId: ExpertId | None = None
    """Admins may read any expert's earnings; an expert only their own (the default)."""
    period: EarningsPeriod = EarningsPeriod()
    pageSize: Annotated[int, Field(ge=1, le=100)] = 20
    cursor: Cursor | None = None


class ListExpertReviewsRequest(SalaminModel):
    expertId: ExpertId
    pageSize: Annotated[int, Field(ge=1, le=50)] = 10
    cursor: Cursor | None = None


class SetReviewHiddenRequest(SalaminModel):
    reviewId: SessionId
    hidden: bool = True
    reason: Reason


def get_expert_earnings(caller: Caller, req: GetExpertEarningsRequest) -> dict[str, Any]:
    page = earnings.get_expert_earnings(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        period_from=req.period.from_,
        period_to=req.period.to,
        page_size=req.pageSize,
        cursor=req.cursor,
        now=SystemClock().now(),
    )
    return page.to_wire()


def list_expert_reviews(caller: Caller, req: ListExpertReviewsRequest) -> dict[str, Any]:
    del caller  # any signed-in user may read the public reviews
    page = reviews.list_expert_reviews(
        firebase.db(), expert_id=req.expertId, page_size=req.pageSize, cursor=req.cursor
    )
    return page.to_wire()


class SetReviewHiddenResponse(SalaminModel):
    reviewId: str
    hidden: bool


def set_review_hidden(caller: Caller, req: SetReviewHiddenRequest) -> SetReviewHiddenResponse:
    decision = feedback.set_review_hidden(
        firebase.db(),
        caller=caller,
        review_id=req.reviewId,
        hidden=req.hidden,
        reason=req.reason,
        now=SystemClock().now(),
    )
    return SetReviewHiddenResponse(reviewId=decision.sessionId, hidden=decision.hidden)


class JoinWaitlistRequest(SalaminModel):
    expertId: ExpertId
    sessionType: SessionType
    duration: Annotated[int, Field(ge=15, le=480)]
    window: WaitWindow


class LeaveWaitlistRequest(SalaminModel):
    waitlistId: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]


class JoinWaitlistResponse(SalaminModel):
    waitlistId: str
    joinedAt: datetime


class LeaveWaitlistResponse(SalaminModel):
    waitlistId: str
    left: bool
    """False when there was no such entry of the caller's (leaving twice is fine)."""


def join_waitlist(caller: Caller, req: JoinWaitlistRequest) -> JoinWaitlistResponse:
    entry = waitlist.join_waitlist(
        firebase.db(),
        caller=caller,
        expert_id=req.expertId,
        session_type=req.sessionType,
        duration=req.duration,
        window=req.window,
        clock=SystemClock(),
    )
    return JoinWaitlistResponse(waitlistId=entry.entryId, joinedAt=entry.joinedAt)


def leave_waitlist(caller: Caller, req: LeaveWaitlistRequest) -> LeaveWaitlistResponse:
    left = waitlist.leave_waitlist(firebase.db(), caller=caller, entry=req.waitlistId)
    return LeaveWaitlistResponse(waitlistId=req.waitlistId, left=left)


def on_busy_written(
    expert_id: str, session_id: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> None:
    """Trigger body for writes to `expertCalendars/{expertId}/busy/{sessionId}`."""
    outcome = waitlist.on_busy_written(
        firebase.db(),
        expert_id=expert_id,
        session_id=session_id,
        before=before,
        after=after,
        clock=SystemClock(),
    )
    if outcome:
        log("waitlist.busy_freed", expertId=expert_id, sessionId=session_id, outcome=outcome)

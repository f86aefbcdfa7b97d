"""Callables and triggers of issue 10: experts manage their profile and status; earnings,
reviews and the waitlist. Request names follow the spec's camelCase style."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.marketplace.experts import earnings, profile, reviews, status
from salamin.models.base import IsoDate, SalaminModel
from salamin.models.session import ExpertId, SessionId

Reason = Annotated[str, Field(min_length=1, max_length=1000)]
Cursor = Annotated[str, Field(min_length=1, max_length=400, pattern=r"^[A-Za-z0-9_=-]+$")]


class UpdateExpertProfileRequest(profile.ExpertProfileChanges):
    """The sections to replace (see `marketplace.experts.profile`)."""


class SetExpertStatusRequest(SalaminModel):
    expertId: ExpertId
    status: status.ManagedStatus
    reason: Reason


def update_expert_profile(caller: Caller, req: UpdateExpertProfileRequest) -> dict[str, Any]:
    update = profile.update_expert_profile(
        firebase.db(), caller=caller, changes=req, clock=SystemClock()
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


def set_review_hidden(caller: Caller, req: SetReviewHiddenRequest) -> dict[str, Any]:
    decision = reviews.set_review_hidden(
        firebase.db(),
        caller=caller,
        review_id=req.reviewId,
        hidden=req.hidden,
        reason=req.reason,
        now=SystemClock().now(),
    )
    return {"reviewId": decision.sessionId, "hidden": decision.hidden}

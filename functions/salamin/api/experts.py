"""Callables and triggers of issue 10: experts manage their profile and status; earnings,
reviews and the waitlist. Request names follow the spec's camelCase style."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from salamin.core import firebase
from salamin.core.caller import Caller
from salamin.core.clock import SystemClock
from salamin.marketplace.experts import profile, status
from salamin.models.base import SalaminModel
from salamin.models.session import ExpertId

Reason = Annotated[str, Field(min_length=1, max_length=1000)]


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

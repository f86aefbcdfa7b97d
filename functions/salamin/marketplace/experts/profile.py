"""`updateExpertProfile`: an active expert edits what the application let them set.

- Each section sent replaces that section (the client has read `experts/{id}` and sends it back
  edited). `personalInfo` carries the public parts only: email and phone are private contact
  details kept in `experts/{id}/private/contact`.
- Validation is the application's own model, `ExpertApplicationInput`, run on the merged
  profile, so an edit can never store what an application could not (e.g. a session type offered
  in a specialty but left unpriced). Server-owned fields are not part of the request model, so
  they are rejected as unknown fields.
- The public document is rebuilt through `public_expert_document`, the one projection of a
  profile onto `experts/{id}`; the `syncExpertSearchFields` trigger then resyncs `search`.
  A `timeZone` edit also rewrites `expertCalendars/{id}.timeZone` in the same transaction.
  What bookings snapshotted stays: a session's `timeZone`/`localDate`, and the expert-local day
  and week its cap seats are counted under, are those of the zone it was booked in.
- Bookings are never touched: a session carries its own price, duration and time. A change that
  leaves confirmed future sessions outside the new hours is applied and reported (`stranded`),
  never cancelled: the expert decides what to do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from google.cloud import firestore
from pydantic import ValidationError, model_validator

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.clock import Clock
from salamin.core.errors import FailedPrecondition, InvalidArgument, NotFound
from salamin.marketplace.calendar import availability, occupancy
from salamin.marketplace.onboarding.applications import public_expert_document
from salamin.models.base import SalaminModel, wire_instant
from salamin.models.calendar import ExpertCalendar
from salamin.models.expert import (
    ExpertApplicationInput,
    ExpertAvailability,
    ExpertPersonalInfo,
    ExpertPreferences,
    ExpertPricing,
    ExpertProfessionalInfo,
    ExpertProfile,
    InterviewSpecialty,
)

Section = Literal[
    "personalInfo",
    "professionalInfo",
    "interviewSpecialties",
    "availability",
    "pricing",
    "preferences",
]
SECTIONS: tuple[Section, ...] = Section.__args__  # type: ignore[attr-defined]
PRIVATE_PERSONAL_FIELDS = ("email", "phone")
EDITABLE_STATUSES = ("active", "inactive", "suspended")
"""A suspended expert may still fix their profile; only admins lift the suspension."""


class PublicPersonalInfoChanges(ExpertPersonalInfo):
    """`personalInfo` as the expert edits it: the application's model without the private
    contact fields (they stay what they are in `experts/{id}/private/contact`)."""

    email: None = None  # type: ignore[assignment]
    phone: None = None  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _no_private_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in PRIVATE_PERSONAL_FIELDS):
            raise ValueError("email and phone are private contact details and are not edited here")
        return data


class ExpertProfileChanges(SalaminModel):
    """The request: any of the editable sections, each replacing the stored one."""

    personalInfo: PublicPersonalInfoChanges | None = None
    professionalInfo: ExpertProfessionalInfo | None = None
    interviewSpecialties: list[InterviewSpecialty] | None = None
    availability: ExpertAvailability | None = None
    pricing: ExpertPricing | None = None
    preferences: ExpertPreferences | None = None

    def sections(self) -> list[Section]:
        return [s for s in SECTIONS if getattr(self, s) is not None]


@dataclass(frozen=True)
class StrandedSession:
    sessionId: str
    scheduledDate: datetime
    localDate: str
    localStartTime: str
    sessionType: str
    reasons: list[str]

    def to_wire(self) -> dict[str, Any]:
        return {
            "sessionId": self.sessionId,
            "scheduledDate": wire_instant(self.scheduledDate),
            "localDate": self.localDate,
            "localStartTime": self.localStartTime,
            "sessionType": self.sessionType,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ProfileUpdate:
    expert_id: str
    changed: list[Section]
    before: ExpertProfile
    after: ExpertProfile
    stranded: list[StrandedSession]

    def to_wire(self) -> dict[str, Any]:
        return {
            "expertId": self.expert_id,
            "updated": list(self.changed),
            "strandedSessions": [s.to_wire() for s in self.stranded],
        }


def expert_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return db.collection(col.EXPERTS).document(expert_id)


def private_ref(db: firestore.Client, expert_id: str) -> firestore.DocumentReference:
    return (
        expert_ref(db, expert_id)
        .collection(col.EXPERT_PRIVATE)
        .document(col.EXPERT_PRIVATE_CONTACT)
    )


def stored_profile(public: dict[str, Any], private: dict[str, Any]) -> ExpertProfile:
    """The full profile behind `experts/{id}` and its private contact document."""
    personal = {
        **(public.get("personalInfo") or {}),
        "email": private.get("email"),
        "phone": private.get("phone"),
    }
    return ExpertProfile.model_validate({**public, "personalInfo": personal})


def merged_profile(current: ExpertProfile, changes: ExpertProfileChanges) -> ExpertProfile:
    """Apply `changes` and validate the result with the application's model; raise
    `InvalidArgument` with the request's field paths."""
    body = current.model_dump(include={str(s) for s in SECTIONS})
    for section in changes.sections():
        value = getattr(changes, section)
        if section == "personalInfo":
            edited = value.model_dump(exclude=set(PRIVATE_PERSONAL_FIELDS))
            body["personalInfo"] = {
                **edited,
                **{k: body["personalInfo"][k] for k in ("email", "phone")},
            }
        elif isinstance(value, list):
            body[section] = [v.model_dump() for v in value]
        else:
            body[section] = value.model_dump()
    try:
        checked = ExpertApplicationInput.model_validate(body)
    except ValidationError as exc:
        fields = [
            {"path": ".".join(str(p) for p in e["loc"]) or "(root)", "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
        raise InvalidArgument(f"invalid profile: {summary}", fields=fields) from None
    return current.model_copy(update=dict(checked))


# --- stranded sessions ---------------------------------------------------------------------


def stranding_reasons(
    profile: ExpertProfile, *, session_type: str, start: datetime, end: datetime
) -> list[str]:
    """Why a booked interval would not fit the expert's hours any more (pure). Caps, notice and
    buffers are rules for new bookings and are not checked: a booked session already met them."""
    schedule = availability.Schedule.of(profile)
    tz = ZoneInfo(schedule.time_zone)
    local_day = start.astimezone(tz).date()
    avail = schedule.availability
    reasons = []
    if avail.vacationMode:
        reasons.append("vacation_mode")
    if local_day.isoformat() in avail.blackoutDates:
        reasons.append("blackout_date")
    if availability.js_weekday(local_day) not in avail.workingDays:
        reasons.append("not_a_working_day")
    if session_type not in schedule.offered:
        reasons.append("session_type_not_offered")
    if not _inside_a_window(avail, local_day, tz, session_type=session_type, start=start, end=end):
        reasons.append("outside_hours")
    return reasons


def _inside_a_window(
    avail: ExpertAvailability,
    day: date,
    tz: ZoneInfo,
    *,
    session_type: str,
    start: datetime,
    end: datetime,
) -> bool:
    dow = availability.js_weekday(day)
    for window in avail.timeSlots:
        if window.dayOfWeek != dow or session_type not in window.sessionTypes:
            continue
        w_start = availability.local_instant(day, window.startTime, tz, fold=0)
        w_end = availability.local_instant(day, window.endTime, tz, fold=1)
        if w_start <= start and end <= w_end:
            return True
    return False


def confirmed_future_sessions(
    db: firestore.Client, *, expert_id: str, now: datetime
) -> list[dict[str, Any]]:
    """The expert's confirmed sessions that have not started (one indexed query)."""
    query = (
        db.collection(col.EXPERT_SESSIONS)
        .where(filter=firestore.FieldFilter("expertId", "==", expert_id))
        .where(filter=firestore.FieldFilter("status", "==", "confirmed"))
        .where(filter=firestore.FieldFilter("scheduledDate", ">=", now))
        .order_by("scheduledDate")
    )
    return [s.to_dict() or {} for s in query.stream()]


def stranded_sessions(
    db: firestore.Client, *, profile: ExpertProfile, now: datetime
) -> list[StrandedSession]:
    out = []
    for s in confirmed_future_sessions(db, expert_id=profile.expertId, now=now):
        reasons = stranding_reasons(
            profile, session_type=s["sessionType"], start=s["scheduledDate"], end=s["endDate"]
        )
        if reasons:
            out.append(
                StrandedSession(
                    sessionId=s["sessionId"],
                    scheduledDate=s["scheduledDate"],
                    localDate=s["localDate"],
                    localStartTime=s["localStartTime"],
                    sessionType=s["sessionType"],
                    reasons=reasons,
                )
            )
    return out


# --- the update ----------------------------------------------------------------------------


def update_expert_profile(
    db: firestore.Client, *, caller: Caller, changes: ExpertProfileChanges, clock: Clock
) -> ProfileUpdate:
    """Validate and store the edited sections of the caller's own profile, in one transaction
    (so a pricing edit and a specialties edit racing each other cannot store an unpriced type)."""
    sections = changes.sections()
    if not sections:
        raise InvalidArgument.at("(root)", "send at least one section to change")
    expert_id = caller.uid
    ref = expert_ref(db, expert_id)
    now = clock.now()

    @firestore.transactional
    def txn(transaction: firestore.Transaction) -> tuple[ExpertProfile, ExpertProfile]:
        snap = ref.get(transaction=transaction)
        if not snap.exists:
            raise NotFound(
                "you are not an expert (yet): only active experts edit a profile",
                reason="expert_not_found",
            )
        private = private_ref(db, expert_id).get(transaction=transaction)
        calendar = occupancy.calendar_ref(db, expert_id)
        calendar_zone = (calendar.get(transaction=transaction).to_dict() or {}).get("timeZone")
        current = stored_profile(snap.to_dict() or {}, private.to_dict() or {})
        if current.status not in EDITABLE_STATUSES:
            raise FailedPrecondition(
                f"a {current.status} expert profile cannot be edited", reason="expert_not_active"
            )
        after = merged_profile(current, changes)
        body = public_expert_document(after)
        updates: dict[str, Any] = {s: body[s] for s in sections}
        updates["lastActiveAt"] = now
        transaction.update(ref, updates)
        zone = after.personalInfo.timeZone
        if calendar_zone != zone:  # a moved zone (or a calendar that drifted) follows the profile
            calendar_doc = ExpertCalendar(expertId=expert_id, timeZone=zone, lastUpdated=now)
            transaction.set(calendar, calendar_doc.to_firestore())
        return current, after

    before, after = txn(db.transaction())
    stranded = (
        stranded_sessions(db, profile=after, now=now)
        if {"availability", "interviewSpecialties", "pricing", "personalInfo"} & set(sections)
        else []
    )
    return ProfileUpdate(
        expert_id=expert_id, changed=sections, before=before, after=after, stranded=stranded
    )


def availability_changed(update: ProfileUpdate) -> bool:
    """Could the edit have opened bookable time (waitlists want to know)?"""
    keys = ("availability", "interviewSpecialties", "pricing")
    zone_moved = update.before.personalInfo.timeZone != update.after.personalInfo.timeZone
    return zone_moved or any(getattr(update.before, k) != getattr(update.after, k) for k in keys)


__all__ = [
    "ExpertProfileChanges",
    "ProfileUpdate",
    "StrandedSession",
    "availability_changed",
    "update_expert_profile",
]

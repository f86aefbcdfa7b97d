"""updateExpertProfile: the application's validation, server-owned fields refused, search and
slots follow the edit, bookings never change, stranded sessions reported and kept."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from salamin.core import collections as col
from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, NotFound
from salamin.marketplace.calendar import availability
from salamin.marketplace.discovery import search, search_index
from salamin.marketplace.experts import profile
from salamin.models.expert import PublicExpert
from tests.support.booking import DAY, EXPERT, USER, World

ME = Caller(uid=EXPERT, email="ada@example.com")


def changes(**sections: Any) -> profile.ExpertProfileChanges:
    return profile.ExpertProfileChanges.model_validate(sections)


def update(world: World, **sections: Any) -> profile.ProfileUpdate:
    return profile.update_expert_profile(
        world.db, caller=ME, changes=changes(**sections), clock=world.clock
    )


def without_search(body: dict[str, Any]) -> dict[str, Any]:
    """The emulator's syncExpertSearchFields trigger writes `search` whenever it likes."""
    return {k: v for k, v in body.items() if k != "search"}


def current(world: World, section: str) -> Any:
    return copy.deepcopy(world.expert()[section])


def test_availability_edit_shows_in_slots_and_search(world: World) -> None:
    # Wednesday only, 14:00-16:00: slots and search follow at once (search after its trigger)
    avail = current(world, "availability")
    avail["timeSlots"] = [
        {
            "dayOfWeek": 3,
            "startTime": "14:00",
            "endTime": "16:00",
            "sessionTypes": ["mock_interview"],
        }
    ]
    avail["workingDays"] = [3]
    result = update(world, availability=avail)
    assert result.changed == ["availability"] and result.stranded == []
    slots = availability.get_available_slots(
        world.db, expert_id=EXPERT, days_ahead=7, now=world.clock.now(), duration=60
    )
    starts = {(s.expert_date, s.expert_start) for s in slots.slots}
    assert starts == {(DAY, "14:00"), (DAY, "14:30"), (DAY, "15:00")}
    # the trigger body, as syncExpertSearchFields runs it
    # (the emulator may have run the trigger already)
    assert search_index.sync_expert(world.db, expert_id=EXPERT, clock=world.clock) in (
        "written",
        "unchanged",
    )

    def found(days: list[int], slot: str) -> list[str]:
        page = search.search_experts(
            world.db,
            user_id=USER.uid,
            filters=search.ExpertSearchFilters.model_validate(
                {
                    "availability": {
                        "timeZone": "Europe/London",
                        "daysOfWeek": days,
                        "timeSlots": [slot],
                    }
                }
            ),
            search_term=None,
            sort_by="relevance",
            page_size=10,
            cursor=None,
            clock=world.clock,
        )
        return [r["expert"]["expertId"] for r in page.results]

    assert found([3], "14:00-16:00") == [EXPERT]
    assert found([1], "09:00-12:00") == []  # Monday mornings are gone


def test_vacation_mode_leaves_search_and_slots(world: World) -> None:
    avail = current(world, "availability") | {"vacationMode": True}
    update(world, availability=avail)
    search_index.sync_expert(world.db, expert_id=EXPERT, clock=world.clock)
    assert world.expert()["search"]["active"] is False
    slots = availability.get_available_slots(
        world.db, expert_id=EXPERT, days_ahead=7, now=world.clock.now()
    )
    assert slots.slots == [] and slots.unavailable_reason == "the expert is on vacation"


def test_validation_is_the_applications(world: World) -> None:
    before = world.expert()
    # offering a session type in a specialty without pricing it: the application's own rule
    specialties = current(world, "interviewSpecialties")
    specialties[0]["sessionTypes"] = ["mock_interview", "resume_review"]
    with pytest.raises(InvalidArgument) as err:
        update(world, interviewSpecialties=specialties)
    assert "resume_review" in err.value.message
    # a fractional price, an inverted window, a non-IANA zone
    pricing = current(world, "pricing")
    pricing["sessionTypes"]["mock_interview"]["basePrice"] = 120.5
    with pytest.raises(ValidationError) as bad_price:
        update(world, pricing=pricing)
    assert "basePrice" in str(bad_price.value)
    avail = current(world, "availability")
    avail["timeSlots"][0]["endTime"] = "07:00"
    with pytest.raises(ValidationError):
        update(world, availability=avail)
    personal = current(world, "personalInfo") | {"timeZone": "EST"}
    with pytest.raises(ValidationError):
        update(world, personalInfo=personal)
    assert without_search(world.expert()) == without_search(before)  # nothing written


@pytest.mark.parametrize(
    "field",
    [
        "status",
        "verification",
        "performance",
        "stripeAccountId",
        "payoutsEnabled",
        "search",
        "expertId",
    ],
)
def test_server_owned_fields_are_refused(world: World, field: str) -> None:
    """Think like the expert: promote yourself, inflate your rating, point payouts elsewhere."""
    with pytest.raises(ValidationError) as err:
        changes(**{field: {"x": 1} if field != "status" else "active"})
    assert field in str(err.value)


def test_private_contact_fields_are_not_edited_here(world: World) -> None:
    personal = current(world, "personalInfo") | {"email": "attacker@example.com"}
    with pytest.raises(ValidationError) as err:
        changes(personalInfo=personal)
    assert "private" in str(err.value)
    private = world.db.document(f"experts/{EXPERT}/private/contact").get().to_dict()
    assert private["email"] == "ada@example.com"


def test_public_edit_keeps_private_data_private(world: World) -> None:
    personal = current(world, "personalInfo") | {
        "bio": "Now at a new company.",
        "firstName": "Augusta",
    }
    update(world, personalInfo=personal)
    public = world.expert()
    assert public["personalInfo"]["firstName"] == "Augusta"
    assert "email" not in public["personalInfo"] and "phone" not in public["personalInfo"]
    PublicExpert.model_validate(public)


def test_only_an_expert_edits_and_only_their_own(world: World) -> None:
    with pytest.raises(NotFound):
        profile.update_expert_profile(
            world.db,
            caller=USER,
            changes=changes(preferences={}),
            clock=world.clock,
        )
    assert not world.exists(f"{col.EXPERTS}/{USER.uid}")


def test_bookings_keep_their_terms_and_stranded_sessions_are_reported(world: World) -> None:
    session_id = world.book_and_pay(USER, start="10:00")
    before = world.db.document(f"{col.EXPERT_SESSIONS}/{session_id}").get().to_dict()
    pricing = current(world, "pricing")
    pricing["sessionTypes"]["mock_interview"]["basePrice"] = 99900
    avail = current(world, "availability")
    avail["blackoutDates"] = [DAY]
    result = update(world, pricing=pricing, availability=avail)
    assert [s.sessionId for s in result.stranded] == [session_id]
    assert result.stranded[0].reasons == ["blackout_date"]
    wire = result.to_wire()
    assert wire["strandedSessions"][0]["localDate"] == DAY
    after = world.db.document(f"{col.EXPERT_SESSIONS}/{session_id}").get().to_dict()
    assert after == before  # price, time and status untouched: nothing cancelled
    assert world.exists(f"{col.EXPERT_CALENDARS}/{EXPERT}/busy/{session_id}")


def test_removing_a_working_day_or_hours_strands_too(world: World) -> None:
    session_id = world.book_and_pay(USER, start="18:00")
    avail = current(world, "availability")
    for w in avail["timeSlots"]:
        w["endTime"] = "17:00"
    result = update(world, availability=avail)
    assert [(s.sessionId, s.reasons) for s in result.stranded] == [(session_id, ["outside_hours"])]
    avail["workingDays"] = [d for d in avail["workingDays"] if d != 3]
    result = update(world, availability=avail)
    assert set(result.stranded[0].reasons) == {"not_a_working_day", "outside_hours"}
    assert world.session(session_id).status == "confirmed"


def test_empty_request_is_refused(world: World) -> None:
    with pytest.raises(InvalidArgument):
        update(world)


def test_a_time_zone_edit_moves_the_calendar_and_slots_but_not_bookings(world: World) -> None:
    session_id = world.book_and_pay(USER, start="10:00")  # 10:00 London = 05:00 New York
    booked = world.db.document(f"{col.EXPERT_SESSIONS}/{session_id}").get().to_dict()
    calendar = world.db.document(f"{col.EXPERT_CALENDARS}/{EXPERT}")
    assert calendar.get().get("timeZone") == "Europe/London"
    # any other edit leaves the calendar document alone
    untouched = calendar.get().update_time
    update(world, preferences=current(world, "preferences"))
    assert calendar.get().update_time == untouched

    world.clock.advance(timedelta(minutes=5))
    personal = current(world, "personalInfo") | {"timeZone": "America/New_York"}
    result = update(world, personalInfo=personal)
    assert calendar.get().to_dict() == {
        "expertId": EXPERT,
        "timeZone": "America/New_York",
        "lastUpdated": world.clock.now(),
    }
    # the hours (08:00-20:00) are now New York's: the London morning session is stranded
    assert [(s.sessionId, s.reasons) for s in result.stranded] == [(session_id, ["outside_hours"])]
    after = world.db.document(f"{col.EXPERT_SESSIONS}/{session_id}").get().to_dict()
    assert after == booked and after["timeZone"] == "Europe/London"
    slots = availability.get_available_slots(
        world.db, expert_id=EXPERT, days_ahead=7, now=world.clock.now(), duration=60
    )
    assert slots.expert_time_zone == "America/New_York"
    first = min(s.start for s in slots.slots)
    assert first.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") >= "08:00"
    search_index.sync_expert(world.db, expert_id=EXPERT, clock=world.clock)
    london = search_index.availability_blocks(current(world, "availability"), "Europe/London")
    blocks = [f for f in world.expert()["search"]["facets"] if f.startswith("avail:")]
    assert blocks == [
        f"avail:{b}"
        for b in search_index.availability_blocks(
            current(world, "availability"), "America/New_York"
        )
    ]
    assert blocks != [f"avail:{b}" for b in london]


def test_a_refused_time_zone_edit_leaves_the_calendar(world: World) -> None:
    calendar = world.db.document(f"{col.EXPERT_CALENDARS}/{EXPERT}")
    before = calendar.get().to_dict()
    specialties = current(world, "interviewSpecialties")
    specialties[0]["sessionTypes"] = ["mock_interview", "resume_review"]  # unpriced: refused
    personal = current(world, "personalInfo") | {"timeZone": "Asia/Tokyo"}
    with pytest.raises(InvalidArgument):
        update(world, personalInfo=personal, interviewSpecialties=specialties)
    assert calendar.get().to_dict() == before
    assert world.expert()["personalInfo"]["timeZone"] == "Europe/London"

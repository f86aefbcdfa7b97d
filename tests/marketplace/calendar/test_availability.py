"""Slot rules (salamin.marketplace.calendar.availability): pure tests first, then the Firestore reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from salamin.core.errors import FailedPrecondition, InvalidArgument, NotFound
from salamin.marketplace.calendar import availability as av
from salamin.marketplace.calendar import intervals, local_time
from salamin.models.expert import PublicExpert
from tests.support.discovery import (
    NOW,
    busy_doc,
    expert_doc,
    price,
    put_busy,
    put_expert,
    specialty,
    window,
)

ALL_DAYS = [0, 1, 2, 3, 4, 5, 6]


def schedule(**kwargs) -> av.Schedule:  # type: ignore[no-untyped-def]
    return av.Schedule.of(PublicExpert.model_validate(expert_doc(**kwargs)))


def busy(*docs: dict, now: datetime = NOW, tz: str = "Europe/London") -> intervals.Busy:  # type: ignore[type-arg]
    zone = ZoneInfo(tz)
    return intervals.Busy.of(
        [intervals.BusyInterval.from_document(d["sessionId"], d, zone) for d in docs], now=now
    )


def slots(
    sched: av.Schedule, *, now: datetime = NOW, days: int = 7, b: intervals.Busy | None = None, **kw
):  # type: ignore[no-untyped-def]
    return av.generate_slots(sched, busy=b or intervals.Busy(), now=now, days_ahead=days, **kw)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def starts(found: list[av.Slot]) -> list[datetime]:
    return [s.start for s in found]


# --- DST and time zones ------------------------------------------------------------------------


def test_berlin_spring_forward_keeps_nine_oclock_local() -> None:
    """2026-03-29 02:00 CET -> 03:00 CEST: 09:00 local moves from 08:00Z to 07:00Z."""
    sched = schedule(
        time_zone="Europe/Berlin", windows=[window(d, "09:00", "10:00") for d in ALL_DAYS]
    )
    found = slots(sched, now=utc(2026, 3, 27, 12), days=4, duration=60)
    assert starts(found) == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]
    assert {s.expert_start for s in found} == {"09:00"}
    assert {s.expert_end for s in found} == {"10:00"}


def test_berlin_fall_back_keeps_nine_oclock_local() -> None:
    sched = schedule(
        time_zone="Europe/Berlin", windows=[window(d, "09:00", "10:00") for d in ALL_DAYS]
    )
    found = slots(sched, now=utc(2026, 10, 24, 0), days=2, duration=60)
    assert starts(found) == [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)]
    assert [s.expert_date for s in found] == ["2026-10-24", "2026-10-25"]


def test_new_york_dst_start_and_end() -> None:
    sched = schedule(
        time_zone="America/New_York", windows=[window(d, "09:00", "10:00") for d in ALL_DAYS]
    )
    spring = slots(sched, now=utc(2026, 3, 7, 6), days=2, duration=60)
    assert starts(spring) == [utc(2026, 3, 7, 14), utc(2026, 3, 8, 13)]  # EST -> EDT
    autumn = slots(sched, now=utc(2026, 10, 31, 6), days=2, duration=60)
    assert starts(autumn) == [utc(2026, 10, 31, 13), utc(2026, 11, 1, 14)]  # EDT -> EST


def test_window_across_the_spring_gap_uses_real_minutes() -> None:
    """01:00-04:00 Berlin on the change night is only 2 real hours: 02:00-03:00 never happens."""
    sched = schedule(time_zone="Europe/Berlin", windows=[window(0, "01:00", "04:00")])
    found = slots(sched, now=utc(2026, 3, 28, 12), days=2, duration=60)
    assert starts(found) == [utc(2026, 3, 29, 0), utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1)]
    assert [s.expert_start for s in found] == ["01:00", "01:30", "03:00"]
    assert all(s.end - s.start == timedelta(minutes=60) for s in found)


def test_window_across_the_autumn_repeat_covers_both_occurrences() -> None:
    """01:00-03:00 Berlin on 2026-10-25 lasts 3 real hours (02:00-03:00 happens twice)."""
    sched = schedule(time_zone="Europe/Berlin", windows=[window(0, "01:00", "03:00")])
    found = slots(sched, now=utc(2026, 10, 24, 12), days=2, duration=60)
    assert starts(found)[0] == utc(2026, 10, 24, 23)  # 01:00 CEST
    assert starts(found)[-1] == utc(2026, 10, 25, 1)  # 02:00 CET, ends 03:00 CET
    assert len(found) == 5


def test_half_hour_zone_kolkata_both_ways() -> None:
    """An expert in Kolkata (+05:30) and a requester in Kolkata seeing a London expert."""
    kolkata = schedule(time_zone="Asia/Kolkata", windows=[window(1, "10:00", "11:00")])
    found = slots(kolkata, duration=60, days=8)
    assert starts(found) == [utc(2026, 11, 9, 4, 30)]  # next Monday, 10:00 IST
    london = schedule(time_zone="Europe/London", windows=[window(1, "09:00", "10:00")])
    found = slots(london, duration=60)
    wire = found[0].to_wire(ZoneInfo("Asia/Kolkata"))
    assert (wire["date"], wire["startTime"], wire["endTime"]) == ("2026-11-02", "14:30", "15:30")
    assert (wire["expertDate"], wire["expertStartTime"]) == ("2026-11-02", "09:00")
    assert wire["startUtc"] == "2026-11-02T09:00:00.000Z"


def test_requester_local_date_can_differ_from_the_experts() -> None:
    sched = schedule(time_zone="Asia/Tokyo", windows=[window(2, "08:00", "09:00")])
    wire = slots(sched, duration=60)[0].to_wire(ZoneInfo("America/Los_Angeles"))
    assert (wire["expertDate"], wire["date"], wire["startTime"]) == (
        "2026-11-03",
        "2026-11-02",
        "15:00",
    )


# --- the weekly schedule ----------------------------------------------------------------------


def test_working_days_gate_time_slots() -> None:
    sched = schedule(windows=[window(d, "09:00", "10:00") for d in ALL_DAYS], working_days=[1, 3])
    found = slots(sched, duration=60)
    assert [s.expert_date for s in found] == ["2026-11-02", "2026-11-04"]


def test_per_window_session_types_and_type_filter() -> None:
    sched = schedule(
        windows=[
            window(1, "09:00", "10:00", "mock_interview"),
            window(1, "14:00", "15:00", "resume_review"),
        ],
        specialties=[specialty("technical", "mock_interview", "resume_review")],
        pricing={"mock_interview": price(12000, 60), "resume_review": price(6000, 60)},
    )
    both = slots(sched, days=1)
    assert [(s.expert_start, s.session_types) for s in both] == [
        ("09:00", ("mock_interview",)),
        ("14:00", ("resume_review",)),
    ]
    only = slots(sched, days=1, session_type="resume_review")
    assert [s.expert_start for s in only] == ["14:00"]
    assert only[0].prices == {"resume_review": 6000}


def test_overlapping_windows_merge_into_one_slot_listing_both_types() -> None:
    sched = schedule(
        windows=[
            window(1, "09:00", "10:00", "mock_interview"),
            window(1, "09:00", "10:00", "resume_review"),
        ],
        specialties=[specialty("technical", "mock_interview", "resume_review")],
        pricing={"mock_interview": price(12000, 60), "resume_review": price(6000, 60)},
    )
    (slot,) = slots(sched, days=1)
    assert slot.session_types == ("mock_interview", "resume_review")
    assert slot.prices == {"mock_interview": 12000, "resume_review": 6000}
    assert slot.to_wire(ZoneInfo("UTC"))["price"] == 12000


def test_durations_default_to_the_shortest_allowed_and_step_thirty_minutes() -> None:
    sched = schedule(
        windows=[window(1, "09:00", "10:30")],
        pricing={"mock_interview": price(12000, 45, 60, 90, minimum=45)},
    )
    found = slots(sched, days=1)
    assert [(s.expert_start, s.duration) for s in found] == [("09:00", 45), ("09:30", 45)]
    ninety = slots(sched, days=1, duration=90)
    assert [(s.expert_start, s.expert_end) for s in ninety] == [("09:00", "10:30")]


def test_unallowed_duration_and_unknown_session_type_are_invalid_arguments() -> None:
    sched = schedule(pricing={"mock_interview": price(12000, 45, 60, minimum=45)})
    with pytest.raises(InvalidArgument) as exc:
        slots(sched, duration=30, session_type="mock_interview")
    assert exc.value.fields[0]["path"] == "duration"
    with pytest.raises(InvalidArgument) as exc:
        slots(sched, session_type="salary_negotiation")
    assert exc.value.fields[0]["path"] == "sessionType"


def test_price_is_rounded_half_up_in_minor_units() -> None:
    assert local_time.slot_price(12000, 45) == 9000
    assert local_time.slot_price(12345, 45) == 9259  # 9258.75
    assert local_time.slot_price(9999, 50) == 8333  # 8332.5 -> half up
    assert local_time.slot_price(10001, 30) == 5001  # 5000.5 -> half up
    sched = schedule(pricing={"mock_interview": price(12345, 45, minimum=45)})
    assert {s.prices["mock_interview"] for s in slots(sched, days=1)} == {9259}


def test_blackout_dates_and_vacation_mode() -> None:
    sched = schedule(
        blackout=["2026-11-03"], windows=[window(d, "09:00", "10:00") for d in ALL_DAYS]
    )
    dates = {s.expert_date for s in slots(sched, days=3, duration=60)}
    assert dates == {"2026-11-02", "2026-11-04"}
    assert slots(schedule(vacation=True), days=7) == []
    assert slots(schedule(status="inactive"), days=7) == []


def test_minimum_notice_hides_slots_too_soon() -> None:
    sched = schedule(windows=[window(d, "09:00", "12:00") for d in ALL_DAYS], notice_hours=24)
    found = slots(sched, now=utc(2026, 11, 2, 10, 15), days=2, duration=60)
    assert found[0].start == utc(2026, 11, 3, 10, 30)  # first start >= now + 24 h
    none = slots(sched, now=utc(2026, 11, 2, 10, 15), days=1, duration=60)
    assert none == []


def test_past_times_today_are_not_offered() -> None:
    sched = schedule(windows=[window(1, "09:00", "12:00")])
    found = slots(sched, now=utc(2026, 11, 2, 10, 0), days=1, duration=60)
    assert [s.expert_start for s in found] == ["10:00", "10:30", "11:00"]


# --- busy time, buffers and caps --------------------------------------------------------------


def test_overlap_aware_exclusion_blocks_every_covered_shorter_slot() -> None:
    sched = schedule(
        windows=[window(1, "09:00", "12:00")],
        pricing={"mock_interview": price(12000, 30, 60)},
    )
    b = busy(busy_doc(utc(2026, 11, 2, 10), 60))
    found = slots(sched, days=1, duration=30, b=b)
    assert [s.expert_start for s in found] == ["09:00", "09:30", "11:00", "11:30"]


def test_buffer_applies_on_both_sides_of_a_booking() -> None:
    sched = schedule(windows=[window(1, "08:00", "13:00")], buffer=15)
    b = busy(busy_doc(utc(2026, 11, 2, 10), 60, buffer=15))
    found = slots(sched, now=utc(2026, 11, 2, 6), days=1, duration=60, b=b)
    # 09:00-10:00 would need its own 15 min before 10:00; 11:00 starts inside the booking's buffer
    assert [s.expert_start for s in found] == ["08:00", "08:30", "11:30", "12:00"]


def test_expired_holds_do_not_block_but_live_holds_do() -> None:
    sched = schedule(windows=[window(1, "09:00", "11:00")])
    expired = busy_doc(
        utc(2026, 11, 2, 9),
        60,
        status="held",
        expires_at=NOW - timedelta(minutes=1),
        session_id="a",
    )
    live = busy_doc(
        utc(2026, 11, 2, 10),
        60,
        status="held",
        expires_at=NOW + timedelta(minutes=5),
        session_id="b",
    )
    found = slots(sched, days=1, duration=60, b=busy(expired, live))
    assert [s.expert_start for s in found] == ["09:00"]


def test_daily_cap_counts_confirmed_and_live_holds_only() -> None:
    sched = schedule(windows=[window(d, "09:00", "17:00") for d in ALL_DAYS], per_day=2)
    day_one = [
        busy_doc(utc(2026, 11, 2, 9), 60, session_id="c1"),
        busy_doc(
            utc(2026, 11, 2, 11),
            60,
            status="held",
            expires_at=NOW + timedelta(minutes=9),
            session_id="h1",
        ),
    ]
    full = slots(sched, days=2, duration=60, b=busy(*day_one))
    assert {s.expert_date for s in full} == {"2026-11-03"}
    day_one[1]["expiresAt"] = NOW - timedelta(seconds=1)
    open_again = slots(sched, days=2, duration=60, b=busy(*day_one))
    assert {s.expert_date for s in open_again} == {"2026-11-02", "2026-11-03"}


def test_weekly_cap_hides_the_rest_of_the_iso_week() -> None:
    sched = schedule(windows=[window(d, "09:00", "10:00") for d in ALL_DAYS], per_week=2)
    week = [
        busy_doc(utc(2026, 11, 2, 9), 60, session_id="m"),
        busy_doc(utc(2026, 11, 3, 9), 60, session_id="t"),
    ]
    found = slots(sched, days=8, duration=60, b=busy(*week))
    # Monday 2026-11-09 starts ISO week 46
    assert [s.expert_date for s in found] == ["2026-11-09"]


def test_limit_returns_the_next_few_slots() -> None:
    sched = schedule(windows=[window(d, "09:00", "17:00") for d in ALL_DAYS])
    found = slots(sched, days=14, duration=60, limit=3)
    assert [s.expert_start for s in found] == ["09:00", "09:30", "10:00"]


# --- check_slot: booking's reasons ------------------------------------------------------------


def test_check_slot_accepts_an_offered_slot_and_returns_booking_keys() -> None:
    sched = schedule(windows=[window(1, "09:00", "12:00")], buffer=10)
    got = av.check_slot(
        sched,
        busy=intervals.Busy(),
        start=utc(2026, 11, 2, 10),
        session_type="mock_interview",
        duration=60,
        now=NOW,
    )
    assert (got.end, got.blocked_until) == (utc(2026, 11, 2, 11), utc(2026, 11, 2, 11, 10))
    assert (got.local_date, got.local_week, got.price) == ("2026-11-02", "2026-W45", 12000)


@pytest.mark.parametrize(
    ("kwargs", "start", "error", "text"),
    [
        ({"vacation": True}, utc(2026, 11, 2, 10), FailedPrecondition, "vacation"),
        ({"status": "suspended"}, utc(2026, 11, 2, 10), FailedPrecondition, "not accepting"),
        ({"blackout": ["2026-11-02"]}, utc(2026, 11, 2, 10), FailedPrecondition, "unavailable on"),
        ({"working_days": [2]}, utc(2026, 11, 2, 10), FailedPrecondition, "does not work"),
        ({"notice_hours": 2}, utc(2026, 11, 2, 10), FailedPrecondition, "notice"),
        ({}, utc(2026, 11, 2, 10, 10), FailedPrecondition, "every 30 minutes"),
        ({}, utc(2026, 11, 2, 13), FailedPrecondition, "not one of"),
        ({}, utc(2027, 3, 1, 10), FailedPrecondition, "60 days"),
    ],
)
def test_check_slot_reasons(kwargs, start, error, text) -> None:  # type: ignore[no-untyped-def]
    sched = schedule(**{"windows": [window(d, "09:00", "12:00") for d in ALL_DAYS], **kwargs})
    with pytest.raises(error) as exc:
        av.check_slot(
            sched,
            busy=intervals.Busy(),
            start=start,
            session_type="mock_interview",
            duration=60,
            now=NOW,
        )
    assert text in exc.value.message


def test_check_slot_rejects_a_past_time() -> None:
    sched = schedule(windows=[window(1, "09:00", "12:00")])
    with pytest.raises(FailedPrecondition, match="passed"):
        av.check_slot(
            sched,
            busy=intervals.Busy(),
            start=utc(2026, 11, 2, 9, 30),
            session_type="mock_interview",
            duration=60,
            now=utc(2026, 11, 2, 10, 15),
        )


def test_check_slot_rejects_taken_and_full_times() -> None:
    sched = schedule(windows=[window(1, "09:00", "12:00")], per_day=1)
    taken = busy(busy_doc(utc(2026, 11, 2, 10, 30), 30))
    with pytest.raises(FailedPrecondition, match="fully booked"):
        av.check_slot(
            sched,
            busy=taken,
            start=utc(2026, 11, 2, 9),
            session_type="mock_interview",
            duration=60,
            now=NOW,
        )
    roomy = schedule(windows=[window(1, "09:00", "12:00")])
    with pytest.raises(FailedPrecondition, match="no longer available"):
        av.check_slot(
            roomy,
            busy=taken,
            start=utc(2026, 11, 2, 10),
            session_type="mock_interview",
            duration=60,
            now=NOW,
        )


def test_generated_slots_are_exactly_the_bookable_ones() -> None:
    """The shared grid: every shown slot passes check_slot, and the rest of the grid does not."""
    sched = schedule(
        time_zone="Europe/Berlin",
        windows=[window(d, "08:00", "12:00") for d in ALL_DAYS],
        buffer=15,
        notice_hours=3,
        per_day=3,
    )
    b = busy(
        busy_doc(utc(2026, 11, 3, 8), 60, buffer=15, time_zone="Europe/Berlin", session_id="x"),
        tz="Europe/Berlin",
    )
    shown = {s.start for s in slots(sched, days=3, duration=60, b=b)}
    grid = [utc(2026, 11, d, h, m) for d in (2, 3, 4) for h in range(6, 12) for m in (0, 30)]
    for start in grid:
        try:
            av.check_slot(
                sched, busy=b, start=start, session_type="mock_interview", duration=60, now=NOW
            )
            ok = True
        except FailedPrecondition:
            ok = False
        assert ok == (start in shown), start


def test_resolve_local_rejects_a_time_inside_the_dst_gap() -> None:
    tz = ZoneInfo("Europe/Berlin")
    assert local_time.resolve_local("2026-03-29", "03:00", tz) == utc(2026, 3, 29, 1)
    with pytest.raises(InvalidArgument) as exc:
        local_time.resolve_local("2026-03-29", "02:30", tz)
    assert exc.value.fields[0]["path"] == "startTime"
    assert local_time.local_instant(date(2026, 3, 29), "02:30", tz) == utc(2026, 3, 29, 1)


# --- against the Firestore emulator -----------------------------------------------------------


def test_get_available_slots_reads_busy_docs_and_excludes_them(db) -> None:  # type: ignore[no-untyped-def]
    put_expert(db, expert_doc("e1", windows=[window(d, "09:00", "11:00") for d in ALL_DAYS]))
    put_busy(db, "e1", busy_doc(utc(2026, 11, 2, 10), 60, session_id="s-a"))
    put_busy(
        db,
        "e1",
        busy_doc(
            utc(2026, 11, 2, 9),
            60,
            status="held",
            expires_at=NOW - timedelta(minutes=1),
            session_id="s-b",
        ),
    )
    result = av.get_available_slots(
        db, expert_id="e1", days_ahead=2, now=NOW, duration=60, time_zone="Asia/Kolkata"
    )
    wire = result.to_wire()
    assert wire["expertTimeZone"] == "Europe/London" and wire["timeZone"] == "Asia/Kolkata"
    assert [(s["expertDate"], s["expertStartTime"]) for s in wire["slots"]] == [
        ("2026-11-02", "09:00"),
        ("2026-11-03", "09:00"),
        ("2026-11-03", "09:30"),
        ("2026-11-03", "10:00"),
    ]
    assert wire["slots"][0]["startTime"] == "14:30"
    assert result.reads == 3  # the expert doc + two busy docs


def test_load_busy_in_a_transaction_and_excluding_a_session(db) -> None:  # type: ignore[no-untyped-def]
    put_busy(db, "e2", busy_doc(utc(2026, 11, 2, 10), 60, session_id="mine"))
    put_busy(db, "e2", busy_doc(utc(2026, 11, 20, 10), 60, session_id="far"))
    from google.cloud import firestore

    @firestore.transactional
    def read(transaction):  # type: ignore[no-untyped-def]
        return intervals.load_busy(
            db,
            expert_id="e2",
            time_zone="Europe/London",
            first_day=date(2026, 11, 2),
            last_day=date(2026, 11, 2),
            now=NOW,
            transaction=transaction,
        )

    got, reads = read(db.transaction())
    assert [i.session_id for i in got.intervals] == ["mine"] and reads == 1
    mine, _ = intervals.load_busy(
        db,
        expert_id="e2",
        time_zone="Europe/London",
        first_day=date(2026, 11, 2),
        last_day=date(2026, 11, 2),
        now=NOW,
        exclude_session_id="mine",
    )
    assert mine.intervals == ()


def test_check_bookable_reads_live_busy_docs(db) -> None:  # type: ignore[no-untyped-def]
    data = expert_doc("e3", windows=[window(1, "09:00", "12:00")])
    put_expert(db, data)
    expert = PublicExpert.model_validate(data)
    put_busy(db, "e3", busy_doc(utc(2026, 11, 2, 10), 60, session_id="s1"))
    with pytest.raises(FailedPrecondition, match="no longer available"):
        av.check_bookable(
            db,
            expert=expert,
            session_type="mock_interview",
            date="2026-11-02",
            start_time="10:00",
            duration=60,
            now=NOW,
        )
    moved = av.check_bookable(
        db,
        expert=expert,
        session_type="mock_interview",
        date="2026-11-02",
        start_time="10:00",
        duration=60,
        now=NOW,
        exclude_session_id="s1",
    )
    assert moved.start == utc(2026, 11, 2, 10)


def test_get_available_slots_errors_and_vacation(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        av.get_available_slots(db, expert_id="nobody", days_ahead=3, now=NOW)
    with pytest.raises(InvalidArgument) as exc:
        av.get_available_slots(db, expert_id="nobody", days_ahead=61, now=NOW)
    assert exc.value.fields[0]["path"] == "daysAhead"
    put_expert(db, expert_doc("away", vacation=True))
    result = av.get_available_slots(db, expert_id="away", days_ahead=3, now=NOW)
    assert result.slots == [] and result.unavailable_reason == "the expert is on vacation"

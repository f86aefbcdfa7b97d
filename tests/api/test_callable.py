"""The callable boundary's request parsing: strict wire types, unknown fields rejected."""

from __future__ import annotations

from typing import Any

import pytest

from salamin.api import _callable
from salamin.api.discovery import GetAvailableSlotsRequest, SearchExpertsRequest
from salamin.api.onboarding import VerifyExpertDocumentRequest
from salamin.core.errors import InvalidArgument
from salamin.models.session import BookingRequest

BOOKING = {
    "expertId": "e1",
    "sessionType": "mock_interview",
    "date": "2026-12-03",
    "startTime": "09:00",
    "duration": 60,
}


def _paths(model: type, data: Any) -> list[str]:
    with pytest.raises(InvalidArgument) as err:
        _callable.parse(model, data)
    return [f["path"] for f in err.value.fields]


@pytest.mark.parametrize(
    ("model", "data", "path"),
    [
        (SearchExpertsRequest, {"pageSize": "10"}, "pageSize"),
        (GetAvailableSlotsRequest, {"expertId": "e1", "duration": "60"}, "duration"),
        (GetAvailableSlotsRequest, {"expertId": "e1", "daysAhead": True}, "daysAhead"),
        (
            VerifyExpertDocumentRequest,
            {"expertId": "e1", "documentType": "identity", "approved": "true"},
            "approved",
        ),
        (
            VerifyExpertDocumentRequest,
            {"expertId": "e1", "documentType": "identity", "approved": 1},
            "approved",
        ),
        (BookingRequest, {**BOOKING, "duration": "60"}, "duration"),
        (BookingRequest, {**BOOKING, "duration": 60.5}, "duration"),
        (BookingRequest, {**BOOKING, "expertId": 42}, "expertId"),
        (SearchExpertsRequest, {"sortBy": 1}, "sortBy"),
        (SearchExpertsRequest, {"filters": {"rating": {"minimum": "4"}}}, "filters.rating.minimum"),
    ],
)
def test_strings_are_not_coerced_into_numbers_booleans_or_enums(
    model: type, data: dict[str, Any], path: str
) -> None:
    assert _paths(model, data) == [path]


def test_json_shapes_still_parse() -> None:
    booked = _callable.parse(BookingRequest, BOOKING)
    assert (booked.date, booked.startTime, booked.duration) == ("2026-12-03", "09:00", 60)
    search = _callable.parse(SearchExpertsRequest, {"filters": {"rating": {"minimum": 4}}})
    assert search.filters.rating is not None and search.filters.rating.minimum == 4.0


def test_unknown_fields_stay_rejected() -> None:
    assert _paths(SearchExpertsRequest, {"pageSize": 5, "bogus": 1}) == ["bogus"]


def test_non_object_data_is_rejected_at_the_root() -> None:
    assert _paths(SearchExpertsRequest, ["a"]) == ["(root)"]


def test_messages_are_for_people_and_paths_use_keys() -> None:
    from salamin.api.onboarding import SubmitExpertApplicationRequest
    from tests.support.factories import application_data

    data = application_data()
    prices = data["pricing"]["sessionTypes"]
    prices["group_therapy"] = dict(prices["mock_interview"])
    prices["mock_interview"]["basePrice"] = 12.5
    data["personalInfo"]["email"] = "nope"
    data["personalInfo"]["nickname"] = "ada"
    with pytest.raises(InvalidArgument) as err:
        _callable.parse(SubmitExpertApplicationRequest, {"applicationData": data})
    by_path = {f["path"]: f["message"] for f in err.value.fields}
    assert by_path == {
        "applicationData.personalInfo.email": "must be an email address",
        "applicationData.personalInfo.nickname": "is not a known field",
        "applicationData.pricing.sessionTypes.mock_interview.basePrice": "must be a whole number",
        "applicationData.pricing.sessionTypes.group_therapy": (
            "must be one of 'mock_interview', 'resume_review', 'career_coaching' or "
            "'salary_negotiation'"
        ),
    }
    for text in [err.value.message, *by_path.values()]:
        assert "Value error" not in text and "Input should" not in text and "[key]" not in text


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"expertId": "\ud800"}, "expertId"),
        ({"expertId": "a", "filters": {"industries": ["ok", "x\udfff"]}}, "filters.industries.1"),
        ({"\ud800": 1}, "(root)"),
    ],
)
def test_a_lone_surrogate_is_refused_at_its_field(data: dict[str, Any], path: str) -> None:
    """Valid JSON (`"\\ud800"`), but not text: named at its field, not as a JSON parse error."""
    with pytest.raises(InvalidArgument) as info:
        _callable.parse(SearchExpertsRequest, data)
    assert [f["path"] for f in info.value.details["fields"]] == [path]

"""The expert models are the schema: what they accept is what the API accepts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from salamin.models.expert import ExpertApplicationInput
from tests.support.factories import application_data


def _errors(data: dict) -> set[str]:
    with pytest.raises(ValidationError) as exc:
        ExpertApplicationInput.model_validate(data)
    return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}


def test_valid_application_parses_and_lowercases_email() -> None:
    app = ExpertApplicationInput.model_validate(
        application_data(personalInfo__email="Ada@Example.COM")
    )
    assert app.personalInfo.email == "ada@example.com"
    assert app.pricing.sessionTypes["mock_interview"].basePrice == 12000


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"personalInfo__email": "not-an-email"}, "personalInfo.email"),
        ({"personalInfo__timeZone": "Mars/Olympus"}, "personalInfo.timeZone"),
        ({"personalInfo__timeZone": "EST"}, "personalInfo.timeZone"),
        ({"personalInfo__languages": []}, "personalInfo.languages"),
        ({"professionalInfo__yearsOfExperience": -1}, "professionalInfo.yearsOfExperience"),
        (
            {"pricing__sessionTypes__mock_interview__basePrice": -100},
            "pricing.sessionTypes.mock_interview.basePrice",
        ),
        (
            {"pricing__sessionTypes__mock_interview__basePrice": 120.5},
            "pricing.sessionTypes.mock_interview.basePrice",
        ),
        (
            {"pricing__sessionTypes__mock_interview__currency": "dollars"},
            "pricing.sessionTypes.mock_interview.currency",
        ),
        ({"availability__workingDays": [7]}, "availability.workingDays.0"),
        ({"availability__blackoutDates": ["2026-02-30"]}, "availability.blackoutDates.0"),
    ],
)
def test_bad_fields_are_reported_by_path(override: dict, path: str) -> None:
    assert path in _errors(application_data(**override))


def test_inverted_time_slot_is_rejected() -> None:
    data = application_data()
    data["availability"]["timeSlots"][0].update(startTime="12:00", endTime="09:00")
    assert "availability.timeSlots.0" in _errors(data)


def test_offered_session_type_must_be_priced() -> None:
    data = application_data()
    data["interviewSpecialties"][0]["sessionTypes"] = ["mock_interview", "resume_review"]
    with pytest.raises(ValidationError, match="resume_review"):
        ExpertApplicationInput.model_validate(data)


def test_server_owned_fields_are_not_accepted_from_clients() -> None:
    for field in ("status", "verification", "performance", "expertId"):
        data = application_data()
        data[field] = "active" if field == "status" else {}
        assert field in _errors(data)


def test_durations_must_respect_minimum() -> None:
    data = application_data(pricing__sessionTypes__mock_interview__allowedDurations=[15, 60])
    with pytest.raises(ValidationError, match="minimumDuration"):
        ExpertApplicationInput.model_validate(data)

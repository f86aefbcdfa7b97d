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


@pytest.mark.parametrize("currency", ["KWD", "BHD", "JOD", "OMR", "TND", "kwd", "ZZZ"])
def test_a_price_in_a_three_decimal_or_unchargeable_currency_is_refused(currency: str) -> None:
    override = {"pricing__sessionTypes__mock_interview__currency": currency}
    assert "pricing.sessionTypes.mock_interview.currency" in _errors(application_data(**override))


def test_a_full_discount_is_refused_at_application_time() -> None:
    """A session is always paid through a PaymentIntent: 100% off would leave none to pay."""
    free_first = application_data()
    free_first["pricing"]["firstTimeDiscount"] = {"percentage": 100, "maxSessions": 1}
    assert "pricing.firstTimeDiscount.percentage" in _errors(free_first)
    free_bulk = application_data()
    free_bulk["pricing"]["bulkDiscounts"] = [{"minimumSessions": 3, "discountPercentage": 100}]
    assert "pricing.bulkDiscounts.0.discountPercentage" in _errors(free_bulk)
    almost = application_data()
    almost["pricing"]["firstTimeDiscount"] = {"percentage": 99, "maxSessions": 1}
    ExpertApplicationInput.model_validate(almost)

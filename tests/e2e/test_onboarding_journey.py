"""The whole onboarding journey through the Functions emulator, as the web client drives it:
Auth-emulator ID tokens, callables over HTTP, then direct reads as the rules allow."""

from __future__ import annotations

import pytest

from tests.support.emulators import AuthEmulator, CallableError, FirestoreRest, call
from tests.support.factories import PNG_BYTES, application_data, upload_body
from tests.support.users import make_user


@pytest.fixture
def people(emulators):  # type: ignore[no-untyped-def]
    auth_emulator = AuthEmulator(emulators.endpoints)
    return {
        "applicant": make_user(auth_emulator, "grace@example.com"),
        "admin": make_user(auth_emulator, "ops@salamin.test", admin=True),
        "candidate": make_user(auth_emulator, "cand@example.com"),
    }


def test_onboarding_journey_over_http(emulators, people, db) -> None:  # type: ignore[no-untyped-def]
    ep = emulators.endpoints
    applicant, admin, candidate = people["applicant"], people["admin"], people["candidate"]

    result = call(
        ep,
        "submitExpertApplication",
        {"applicationData": application_data()},
        token=applicant.id_token,
    )
    assert result == {"expertId": applicant.uid, "status": "pending"}

    ident = call(
        ep, "uploadVerificationDocument", upload_body(applicant.uid), token=applicant.id_token
    )
    assert ident["path"].startswith(f"expert-documents/{applicant.uid}/identity/")
    assert ident["document"]["status"] == "pending"
    call(
        ep,
        "uploadVerificationDocument",
        upload_body(
            applicant.uid,
            document_type="employment",
            data=PNG_BYTES,
            content_type="image/png",
            name="contract.png",
        ),
        token=applicant.id_token,
    )

    queue = call(ep, "listPendingApplications", {"pageSize": 10}, token=admin.id_token)
    [entry] = queue["applications"]
    assert entry["expertId"] == applicant.uid
    assert len(entry["verification"]["documentsSubmitted"]) == 2

    with pytest.raises(CallableError) as denied:
        call(
            ep,
            "verifyExpertDocument",
            {"expertId": applicant.uid, "documentType": "identity", "approved": True},
            token=applicant.id_token,
        )
    assert denied.value.code == "permission-denied"

    first = call(
        ep,
        "verifyExpertDocument",
        {"expertId": applicant.uid, "documentType": "identity", "approved": True},
        token=admin.id_token,
    )
    assert first["activated"] is False
    second = call(
        ep,
        "verifyExpertDocument",
        {"expertId": applicant.uid, "documentType": "employment", "approved": True},
        token=admin.id_token,
    )
    assert second["activated"] is True
    assert second["expertStatus"] == "active"

    rest = FirestoreRest(ep)
    assert rest.get(f"experts/{applicant.uid}", candidate.id_token) == 200
    assert rest.get(f"experts/{applicant.uid}/private/contact", candidate.id_token) == 403
    assert rest.get(f"experts/{applicant.uid}/private/contact", applicant.id_token) == 200
    assert rest.get(f"expertCalendars/{applicant.uid}", candidate.id_token) == 200
    assert db.collection("mail").document(f"expert-activated-{applicant.uid}").get().exists


def test_callable_errors_carry_codes_and_field_paths(emulators, people) -> None:  # type: ignore[no-untyped-def]
    ep = emulators.endpoints
    with pytest.raises(CallableError) as anon:
        call(ep, "submitExpertApplication", {"applicationData": application_data()})
    assert anon.value.code == "unauthenticated"

    bad = application_data(
        personalInfo__timeZone="Nowhere/Land", pricing__sessionTypes__mock_interview__basePrice=-5
    )
    with pytest.raises(CallableError) as invalid:
        call(
            ep,
            "submitExpertApplication",
            {"applicationData": bad},
            token=people["applicant"].id_token,
        )
    assert invalid.value.code == "invalid-argument"
    paths = {f["path"] for f in invalid.value.details["fields"]}
    assert paths == {
        "applicationData.personalInfo.timeZone",
        "applicationData.pricing.sessionTypes.mock_interview.basePrice",
    }
    assert "Traceback" not in invalid.value.message

    with pytest.raises(CallableError) as missing:
        call(
            ep,
            "uploadVerificationDocument",
            upload_body(people["applicant"].uid),
            token=people["applicant"].id_token,
        )
    assert missing.value.code == "not-found"
    rest = FirestoreRest(ep)
    assert (
        rest.get(f"expertApplications/{people['applicant'].uid}", people["admin"].id_token) == 404
    )  # nothing was written

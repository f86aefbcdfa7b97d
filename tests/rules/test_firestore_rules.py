"""The access matrix of firestore.rules, exercised through the emulator's REST API with
end-user tokens (the Admin SDK would bypass rules, so it only seeds data here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from salamin.core import collections as col
from tests.support.emulators import FirestoreRest, unsigned_token

APPLICANT = "applicant-uid"
OTHER = "other-uid"
ADMIN = "admin-uid"
EXPERT = "expert-uid"
NOW = datetime(2026, 11, 2, tzinfo=UTC)

TOKENS = {
    "anonymous": None,
    "applicant": unsigned_token(APPLICANT),
    "other": unsigned_token(OTHER),
    "admin": unsigned_token(ADMIN, admin=True),
}


@pytest.fixture
def seeded(db, emulators):  # type: ignore[no-untyped-def]
    db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT).set(
        {
            "expertId": APPLICANT,
            "status": "pending",
            "verification": {"identityVerified": False, "documentsSubmitted": []},
            "performance": {"totalEarnings": 0},
        }
    )
    db.collection(col.EXPERTS).document(EXPERT).set({"expertId": EXPERT, "status": "active"})
    db.collection(col.EXPERTS).document(EXPERT).collection("private").document("contact").set(
        {"email": "e@example.com", "phone": "+1 555 0100"}
    )
    db.collection(col.ADMIN_NOTIFICATIONS).document("n1").set({"status": "pending"})
    db.collection(col.EXPERT_SESSIONS).document("s1").set(
        {"userId": APPLICANT, "expertId": EXPERT, "status": "confirmed"}
    )
    db.collection(col.EXPERT_TRANSACTIONS).document("t1").set({"expertId": EXPERT})
    db.collection(col.MAIL).document("m1").set({"to": "x@example.com"})
    calendar = db.collection(col.EXPERT_CALENDARS).document(EXPERT)
    calendar.set({"expertId": EXPERT, "timeZone": "Europe/Berlin"})
    calendar.collection("busy").document("s1").set({"sessionId": "s1", "status": "held"})
    calendar.collection("locks").document("20261201T0900Z").set({"sessionId": "s1"})
    db.collection(col.USERS).document(APPLICANT).collection("statistics").document("current").set(
        {"totalAdvancedAnalyses": 1}
    )
    return FirestoreRest(emulators.endpoints)


# (path, who -> expected HTTP status for a read)
READS = [
    (
        f"expertApplications/{APPLICANT}",
        {"anonymous": 403, "applicant": 200, "other": 403, "admin": 200},
    ),
    (f"experts/{EXPERT}", {"anonymous": 403, "applicant": 200, "other": 200, "admin": 200}),
    (
        f"experts/{EXPERT}/private/contact",
        {"anonymous": 403, "applicant": 403, "other": 403, "admin": 200},
    ),
    ("adminNotifications/n1", {"anonymous": 403, "applicant": 403, "other": 403, "admin": 200}),
    ("expertSessions/s1", {"anonymous": 403, "applicant": 200, "other": 403, "admin": 200}),
    ("expertTransactions/t1", {"anonymous": 403, "applicant": 403, "other": 403, "admin": 200}),
    ("mail/m1", {"anonymous": 403, "applicant": 403, "other": 403, "admin": 403}),
    (f"expertCalendars/{EXPERT}", {"anonymous": 403, "applicant": 200, "other": 200, "admin": 200}),
    (
        f"expertCalendars/{EXPERT}/busy/s1",
        {"anonymous": 403, "applicant": 200, "other": 200, "admin": 200},
    ),
    (
        f"expertCalendars/{EXPERT}/locks/20261201T0900Z",
        {"anonymous": 403, "applicant": 403, "other": 403, "admin": 403},
    ),
    (
        f"users/{APPLICANT}/statistics/current",
        {"anonymous": 403, "applicant": 200, "other": 403, "admin": 200},
    ),
]


@pytest.mark.parametrize(("path", "expected"), READS, ids=[r[0] for r in READS])
def test_read_matrix(seeded, path, expected) -> None:  # type: ignore[no-untyped-def]
    got = {who: seeded.get(path, token) for who, token in TOKENS.items()}
    assert got == expected


@pytest.mark.parametrize("field", ["status", "verification", "performance"])
def test_applicant_cannot_change_server_owned_fields(seeded, db, field) -> None:  # type: ignore[no-untyped-def]
    value = "active" if field == "status" else {"identityVerified": True, "totalEarnings": 10**6}
    assert (
        seeded.patch(f"expertApplications/{APPLICANT}", {field: value}, TOKENS["applicant"]) == 403
    )
    doc = db.collection(col.EXPERT_APPLICATIONS).document(APPLICANT).get().to_dict()
    assert doc["status"] == "pending"
    assert doc["verification"]["identityVerified"] is False


@pytest.mark.parametrize("who", ["anonymous", "applicant", "other", "admin"])
def test_nobody_activates_experts_from_a_client(seeded, who) -> None:  # type: ignore[no-untyped-def]
    assert (
        seeded.create(
            f"experts/{APPLICANT}", {"expertId": APPLICANT, "status": "active"}, TOKENS[who]
        )
        == 403
    )
    assert seeded.patch(f"experts/{EXPERT}", {"status": "suspended"}, TOKENS[who]) == 403


def test_admin_may_mark_notification_handled_but_not_rewrite_it(seeded) -> None:  # type: ignore[no-untyped-def]
    assert seeded.patch("adminNotifications/n1", {"status": "done"}, TOKENS["admin"]) == 200
    assert seeded.patch("adminNotifications/n1", {"expertId": "x"}, TOKENS["admin"]) == 403
    assert seeded.patch("adminNotifications/n1", {"status": "done"}, TOKENS["other"]) == 403


def test_users_own_their_profile_only(seeded) -> None:  # type: ignore[no-untyped-def]
    body = {"targetCompanies": ["Acme"]}
    assert seeded.create(f"users/{APPLICANT}/profile/data", body, TOKENS["applicant"]) == 200
    assert seeded.get(f"users/{APPLICANT}/profile/data", TOKENS["other"]) == 403
    assert seeded.patch(f"users/{APPLICANT}/profile/data", body, TOKENS["other"]) == 403
    assert (
        seeded.patch(
            f"users/{APPLICANT}/statistics/current",
            {"totalAdvancedAnalyses": 99},
            TOKENS["applicant"],
        )
        == 403
    )


def test_unlisted_collections_are_denied(seeded) -> None:  # type: ignore[no-untyped-def]
    assert seeded.create("somethingElse/x", {"a": 1}, TOKENS["admin"]) == 403
    assert seeded.get("somethingElse/x", TOKENS["admin"]) == 403

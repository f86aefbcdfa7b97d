"""Valid request bodies to start from; tests override just what they exercise."""

from __future__ import annotations

import base64
import copy
from typing import Any

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def application_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "personalInfo": {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "bio": "Staff engineer, 200+ interviews conducted.",
            "timeZone": "Europe/London",
            "languages": ["en"],
        },
        "professionalInfo": {
            "currentRole": "Staff Engineer",
            "currentCompany": "Analytical Engines",
            "yearsOfExperience": 12,
            "previousRoles": [
                {
                    "title": "Engineer",
                    "company": "Babbage & Co",
                    "startDate": "2012-01",
                    "endDate": "2016-06",
                    "description": "",
                    "achievements": [],
                }
            ],
            "industries": ["fintech"],
            "companyTypes": ["big-tech"],
            "hiringSeniorityLevels": ["senior"],
        },
        "interviewSpecialties": [
            {
                "type": "technical",
                "subSpecialties": ["algorithms"],
                "experienceLevel": 8,
                "proficiencyRating": 9,
                "sessionTypes": ["mock_interview"],
            }
        ],
        "availability": {
            "timeSlots": [
                {
                    "dayOfWeek": d,
                    "startTime": "09:00",
                    "endTime": "12:00",
                    "sessionTypes": ["mock_interview"],
                }
                for d in (1, 2, 3, 4, 5)
            ],
            "bufferTime": 15,
            "maxSessionsPerDay": 4,
            "maxSessionsPerWeek": 15,
            "advanceBookingRequired": 12,
            "workingDays": [1, 2, 3, 4, 5],
            "vacationMode": False,
            "blackoutDates": [],
        },
        "pricing": {
            "sessionTypes": {
                "mock_interview": {
                    "basePrice": 12000,
                    "currency": "USD",
                    "minimumDuration": 30,
                    "allowedDurations": [30, 60],
                }
            }
        },
    }
    for path, value in overrides.items():
        _set(data, path, value)
    return data


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    """`personalInfo__email` style keys set nested fields (`__` separates levels)."""
    keys = dotted.split("__")
    node = data
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = copy.deepcopy(value)


def upload_body(
    expert_id: str,
    *,
    document_type: str = "identity",
    data: bytes = PDF_BYTES,
    content_type: str = "application/pdf",
    name: str = "passport.pdf",
) -> dict[str, Any]:
    return {
        "expertId": expert_id,
        "documentType": document_type,
        "file": {
            "name": name,
            "contentType": content_type,
            "data": base64.b64encode(data).decode(),
        },
    }

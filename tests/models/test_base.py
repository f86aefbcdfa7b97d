"""Validated scalar types of `salamin.models.base` that guard what reaches Firestore and the
time arithmetic (issue 9 item 8: inputs the fuzz suite turned into `internal`)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from salamin.models.base import FieldMap, TimeZoneName

ZONES = TypeAdapter(TimeZoneName)
MAPS = TypeAdapter(FieldMap)


@pytest.mark.parametrize(
    "zone", ["Europe/London", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC"]
)
def test_real_zones_pass(zone: str) -> None:
    assert ZONES.validate_python(zone) == zone


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/London" * 50,  # ZoneInfo recursed importing each part as a package
        "../etc/passwd",
        "Europe/London/..",
        "Europe//London",
        "",
        "EST",
        "Nowhere/Land",
    ],
)
def test_odd_zone_names_are_a_validation_error(zone: str) -> None:
    with pytest.raises(ValidationError) as info:
        ZONES.validate_python(zone)
    assert len(str(info.value)) < 600  # a huge input is not echoed back whole


@pytest.mark.parametrize(
    "value",
    [
        {"": 1},
        {"__x__": 1},
        {"a": {"__proto__": 1}},
        {"a": [[1]]},
        {"k" * 201: 1},
        {"score": 2**63},  # Firestore integers are 64-bit
        {"text": "x" * 30_000},
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}},
    ],
)
def test_maps_firestore_cannot_store_are_refused(value: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        MAPS.validate_python(value)


def test_storable_maps_pass() -> None:
    value = {"score": 40, "areas": ["pace", {"name": "x"}], "nested": {"a.b": 1, "_x": None}}
    assert MAPS.validate_python(value) == value

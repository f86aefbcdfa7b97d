"""Shared model base and validated scalar types.

Attribute names are the Firestore field names of the spec (camelCase), so a model dump is the
stored document and the web client's contract at once.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from salamin.core import money

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
_YEAR_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class SalaminModel(BaseModel):
    """Strict about unknown fields on input, so a typo is an `invalid-argument`, not data loss."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def to_firestore(self) -> dict[str, Any]:
        """The stored shape: Python values (datetimes stay datetimes), no None fields."""
        return self.model_dump(mode="python", exclude_none=True)

    def to_wire(self) -> dict[str, Any]:
        """The callable response shape: JSON-safe, instants as `wire_instant`."""
        body: dict[str, Any] = wire_value(self.model_dump(mode="python", exclude_none=True))
        return body


def wire_instant(t: datetime) -> str:
    """The one instant format of every callable answer: ISO 8601 in UTC with millisecond
    precision and `Z` (`2026-03-01T09:00:00.000Z`), exactly what JavaScript's
    `Date.prototype.toISOString()` prints, so a client can compare the strings. A naive datetime
    is UTC by this codebase's convention."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wire_value(value: Any) -> Any:
    """Python/Firestore values (datetimes, models, tuples) into JSON-safe ones for a callable."""
    if isinstance(value, datetime):
        return wire_instant(value)
    if isinstance(value, BaseModel):
        return wire_value(value.model_dump(mode="python", exclude_none=True))
    if isinstance(value, dict):
        return {str(k): wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [wire_value(v) for v in value]
    return value


class StoredModel(SalaminModel):
    """Read side of a document: tolerate fields added by later versions."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)


def _email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value.lower()


_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")
"""The shape of every IANA zone name (`America/Argentina/Buenos_Aires`, `Etc/GMT+5`, `UTC`),
checked before `ZoneInfo` sees it: ZoneInfo imports each `/`-separated part as a package, so a
long or odd string could recurse or read files instead of failing cleanly."""


def _shown(value: str, limit: int = 40) -> str:
    """`value` for an error message: short, so a huge input is not echoed back whole."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _time_zone(value: str) -> str:
    if len(value) > 64 or not _ZONE_NAME.match(value):
        raise ValueError(f"unknown IANA time zone {_shown(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {_shown(value)}") from exc
    if "/" not in value and value != "UTC":
        # Reject legacy abbreviations like "EST": they have no DST rules a user expects.
        raise ValueError(f"use an IANA zone name like 'Europe/Berlin', not {_shown(value)}")
    return value


MAX_MAP_DEPTH = 8
MAX_MAP_KEY = 200


MAX_MAP_BYTES = 20_000
INT64 = (-(2**63), 2**63 - 1)
"""Firestore stores integers as 64-bit: a larger one cannot be written at all."""


def _storable(value: Any, depth: int) -> None:
    if depth > MAX_MAP_DEPTH:
        raise ValueError(f"is nested more than {MAX_MAP_DEPTH} levels deep")
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError("has a whole number too large to store (64-bit at most)")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not key or len(key) > MAX_MAP_KEY or (key.startswith("__") and key.endswith("__")):
                raise ValueError(f"has a key that cannot be stored: {_shown(key)}")
            _storable(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                raise ValueError("cannot hold a list directly inside a list")
            _storable(item, depth + 1)


def _field_map(value: dict[str, Any]) -> dict[str, Any]:
    _storable(value, 0)
    if len(json.dumps(value)) > MAX_MAP_BYTES:
        raise ValueError(f"is larger than {MAX_MAP_BYTES} bytes")
    return value


def _hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("must be HH:MM (24-hour)")
    return value


def _date(value: str) -> str:
    if not _DATE.match(value):
        raise ValueError("must be YYYY-MM-DD")
    datetime.strptime(value, "%Y-%m-%d")  # rejects 2026-02-30
    return value


MIN_DATE = "1900-01-01"
MAX_DATE = "2999-12-31"
"""Bounds of every `IsoDate`: far from year 1 and 9999, where date arithmetic overflows."""


def _bounded_date(value: str) -> str:
    value = _date(value)
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"must be between {MIN_DATE} and {MAX_DATE}")
    return value


DOC_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"
_DOC_ID = re.compile(DOC_ID_PATTERN)


def is_doc_id(value: object) -> bool:
    """A safe Firestore document id: ASCII letters, digits, `_` and `-`, at most 128, and not
    the reserved `__name__` form. No `/`, `.` or `..`, so never a path, and no surrogates."""
    return (
        isinstance(value, str)
        and bool(_DOC_ID.match(value))
        and not (value.startswith("__") and value.endswith("__"))
    )


def _doc_id(value: str) -> str:
    if not is_doc_id(value):
        raise ValueError("must be 1-128 letters, digits, '_' or '-' (and not __name__)")
    return value


def _year_month_or_present(value: str) -> str:
    if value != "present" and not _YEAR_MONTH.match(value):
        raise ValueError("must be YYYY-MM or 'present'")
    return value


def _currency(value: str) -> str:
    value = value.upper()
    if not _CURRENCY.match(value):
        raise ValueError("must be an ISO 4217 code like 'USD'")
    return value


Email = Annotated[str, AfterValidator(_email)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
HHMM = Annotated[str, AfterValidator(_hhmm)]
IsoDate = Annotated[str, AfterValidator(_bounded_date)]
DocId = Annotated[str, Field(pattern=DOC_ID_PATTERN), AfterValidator(_doc_id)]
"""The one type of every id field and document-id cursor in a request."""
FieldMap = Annotated[dict[str, Any], AfterValidator(_field_map)]
"""A free-form object from a client that may be stored as a Firestore map: every key non-empty,
at most 200 characters and not reserved (`__x__`), no list directly in a list, 64-bit integers,
bounded depth and size."""
YearMonth = Annotated[str, AfterValidator(_year_month_or_present)]
Currency = Annotated[str, AfterValidator(_currency)]


def _charge_currency(value: str) -> str:
    problem = money.currency_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


ChargeCurrency = Annotated[Currency, AfterValidator(_charge_currency)]
"""A currency a price may be set in: one of `core.money.MINIMUM_CHARGE`'s (never three-decimal)."""
NonEmptyStr = Annotated[str, Field(min_length=1, max_length=500)]
ShortText = Annotated[str, Field(max_length=5000)]
MinorUnits = Annotated[int, Field(ge=0, strict=True)]
"""Money as an integer count of the currency's minor unit (cents for USD). Never a float."""
Percentage = Annotated[int, Field(ge=0, le=100)]
DayOfWeek = Annotated[int, Field(ge=0, le=6)]

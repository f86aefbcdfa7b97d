"""Bad ids are `invalid-argument` before any handler runs (issue 9 item 8).

Every id field and document-id cursor of every callable's request model (found by walking
`contract.CALLABLES`, nested models included) is the one `DocId` type, so a path-like or
reserved id never reaches Firestore as a path. Dates are bounded so time arithmetic cannot
overflow. Pure validation: no emulator needed.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from salamin.api import contract
from salamin.models.base import DocId, IsoDate, is_doc_id

BAD_IDS = ["a/b", ".", "..", "__x__", "a.b", "\ud800", "", "x" * 129]
BAD_DATES = ["0001-01-01", "9999-12-31"]
OPAQUE_CURSORS = {("SearchExpertsRequest", "cursor")}
"""searchExperts' cursor is an opaque base64 token longer than an id: ASCII only, and the
document ids inside it are checked with `is_doc_id` when it is decoded."""
NOT_YET_DOC_IDS: set[tuple[str, str]] = set()
"""Fields not yet moved to `DocId` (none since issue 9 item 8): listed so the set cannot grow
silently."""


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> list[type[BaseModel]]:
    if model in seen:
        return []
    seen.add(model)
    out = [model]
    for info in model.model_fields.values():
        stack: list[Any] = [info.annotation]
        while stack:
            tp = stack.pop()
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                out += _models(tp, seen)
            stack.extend(get_args(tp))
    return out


def _id_fields() -> list[tuple[str, str]]:
    seen: set[type[BaseModel]] = set()
    fields = []
    for spec in contract.CALLABLES.values():
        for model in _models(spec.request, seen):
            for name in model.model_fields:
                if (name.endswith("Id") and name != "paymentIntentId") or name == "cursor":
                    fields.append((model.__name__, name))
    return sorted(set(fields) - NOT_YET_DOC_IDS)


def test_every_not_yet_field_still_exists() -> None:
    seen: set[type[BaseModel]] = set()
    found = set()
    for spec in contract.CALLABLES.values():
        for model in _models(spec.request, seen):
            found |= {(model.__name__, n) for n in model.model_fields}
    assert found >= NOT_YET_DOC_IDS


def _model(name: str) -> type[BaseModel]:
    seen: set[type[BaseModel]] = set()
    for spec in contract.CALLABLES.values():
        for model in _models(spec.request, seen):
            if model.__name__ == name:
                return model
    raise LookupError(name)


def test_every_request_id_field_is_found() -> None:
    names = {f for _, f in _id_fields()}
    assert {"expertId", "sessionId", "cursor", "analysisId", "userId"} <= names


@pytest.mark.parametrize(("model_name", "field"), _id_fields())
def test_every_id_field_and_cursor_refuses_path_like_ids(model_name: str, field: str) -> None:
    model = _model(model_name)
    opaque = (model_name, field) in OPAQUE_CURSORS
    for bad in [b for b in BAD_IDS if not opaque or b in ("a/b", ".", "..", "a.b", "\ud800")]:
        with pytest.raises(ValidationError) as info:
            model.model_validate({field: bad})
        assert any(e["loc"][:1] == (field,) for e in info.value.errors()), (field, bad)


def test_doc_id_and_dates() -> None:
    from pydantic import TypeAdapter

    ids = TypeAdapter(DocId)
    assert ids.validate_python("Ab_9-x") == "Ab_9-x"
    dates = TypeAdapter(IsoDate)
    assert dates.validate_python("2026-11-04") == "2026-11-04"
    for bad in BAD_DATES:
        with pytest.raises(ValidationError):
            dates.validate_python(bad)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data())
def test_any_string_in_any_id_field_is_valid_or_a_validation_error(data: st.DataObject) -> None:
    """Property (validation level only, no handler): whatever text lands in an id field, the
    request model refuses that field (`ValidationError`, the `invalid-argument` path) whenever
    it is not a safe document id (some, like `slotId`, are stricter), never raising anything
    else."""
    model_name, field = data.draw(st.sampled_from(_id_fields()))
    value = data.draw(st.text(max_size=200) | st.sampled_from(BAD_IDS))
    try:
        _model(model_name).model_validate({field: value})
        field_refused = False
    except ValidationError as exc:
        field_refused = any(e["loc"][:1] == (field,) for e in exc.errors())
    if (model_name, field) not in OPAQUE_CURSORS:
        assert field_refused or is_doc_id(value), (model_name, field, value)

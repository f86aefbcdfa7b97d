"""Adapts a Firebase callable request into a plain domain call, and domain errors back out.

- request data is validated by a pydantic model: failures become `invalid-argument` with the
  offending field paths in `details.fields`;
- `salamin.core.errors.SalaminError` subclasses become `HttpsError` with their code;
- anything else is logged with its traceback and surfaces as a bare `internal` error, so no
  stack trace or internals leak to the client.
"""

from __future__ import annotations

import functools
import json
import traceback
import typing
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from firebase_functions import https_fn
from pydantic import BaseModel, ValidationError

from salamin.core.caller import Caller
from salamin.core.errors import InvalidArgument, SalaminError, Unauthenticated
from salamin.core.log import log
from salamin.models.base import wire_value

M = TypeVar("M", bound=BaseModel)
Result = BaseModel | dict[str, Any] | list[Any] | str | None


def caller_from(req: https_fn.CallableRequest[Any]) -> Caller:
    if req.auth is None or not req.auth.uid:
        raise Unauthenticated("sign in first")
    token = req.auth.token or {}
    return Caller(uid=req.auth.uid, email=token.get("email"), is_admin=token.get("admin") is True)


def _path(loc: tuple[int | str, ...]) -> str:
    """`pricing.sessionTypes.mock_interview.basePrice`, `timeSlots.0.startTime`: dots and keys.
    Pydantic's `[key]` marker (an invalid map key) and its union-member tags are dropped."""
    parts = [str(p) for p in loc if p != "[key]" and not (isinstance(p, str) and "[" in p)]
    return ".".join(parts) or "(root)"


_TYPE_NAMES = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "list": "a list",
    "dict": "an object",
    "model": "an object",
    "model_attributes": "an object",
    "datetime": "an ISO 8601 date-time",
    "date": "an ISO 8601 date",
}


def _message(err: Any) -> str:
    """One pydantic error as a sentence for people (no "Value error, ..." or pydantic jargon)."""
    kind: str = err["type"]
    ctx: dict[str, Any] = err.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in ("literal_error", "enum"):
        return f"must be one of {ctx.get('expected', 'the allowed values')}"
    base = kind.removesuffix("_type").removesuffix("_parsing")
    if kind.endswith(("_type", "_parsing")) and base in _TYPE_NAMES:
        return f"must be {_TYPE_NAMES[base]}"
    if kind == "int_from_float":
        return "must be a whole number"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        word, key = bounds[kind]
        return f"must be {word} {ctx.get(key)}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must be at least {n} characters"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must have at least {n} items"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items"
    if kind == "string_pattern_mismatch":
        return "is not in the expected format"
    if kind.startswith(("datetime", "date", "time")):
        return "must be an ISO 8601 date-time"
    text = str(err.get("msg", "is invalid"))
    return text.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def validation_error(exc: ValidationError) -> InvalidArgument:
    """Every offending field with a message written for people: `details.fields = [{path,
    message}]`, and a one-line summary as the error message."""
    fields = [
        {"path": _path(err["loc"]), "message": _message(err)}
        for err in exc.errors(include_url=False)
    ]
    summary = "; ".join(f"{f['path']} {f['message']}" for f in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return InvalidArgument(f"invalid request: {summary}{more}", fields=fields)


def parse(model: type[M], data: Any) -> M:
    """Validate request data as the JSON it arrived as, strictly: `"10"` is not a number,
    `"true"` not a boolean and `1` not a string; instants and dates stay ISO strings (JSON has no
    other way to send them); unknown fields are rejected by the models (`extra="forbid"`)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidArgument.at("(root)", "request data must be an object")
    broken = _lone_surrogate(data)
    if broken is not None:
        raise InvalidArgument.at(broken, "must be valid Unicode text (it has a lone surrogate)")
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _lone_surrogate(value: Any, path: str = "") -> str | None:
    """The path of the first key or string holding a lone UTF-16 surrogate (`"\\ud800"` is
    valid JSON but no valid text, and no Firestore string), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(root)"
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _lone_surrogate(str(key)) is not None:
                return path or "(root)"
            found = _lone_surrogate(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _lone_surrogate(item, f"{path}.{i}" if path else str(i))
            if found is not None:
                return found
    return None


def _dump(result: Result) -> Any:
    return jsonable(result)


_CODES = {c.value: c for c in https_fn.FunctionsErrorCode}


Handler = Callable[..., Result]
"""`handler(caller, req, **deps)`: `req` is annotated with the callable's request model."""


def callable_name(handler: Handler) -> str:
    """The callable's public name: the handler's, in camelCase (`confirm_payment` ->
    `confirmPayment`), which is also the name of its function in main.py."""
    head, *rest = handler.__name__.split("_")
    return head + "".join(part.title() for part in rest)


@functools.cache
def request_model(handler: Handler) -> type[BaseModel]:
    """The request model a handler declares, as the type of its `req` parameter."""
    model = typing.get_type_hints(handler).get("req")
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{handler.__name__}: annotate `req` with its request model")
    return model


def run(req: https_fn.CallableRequest[Any], handler: Handler, **deps: Any) -> Any:
    """Run one callable: auth, parse, call, map errors. Used by every callable in main.py.

    A request model may define `from_call_data(data)` to parse the raw data itself (e.g. to
    accept two shapes); otherwise `parse` validates it.
    """
    name = callable_name(handler)
    model = request_model(handler)
    try:
        caller = caller_from(req)
        from_call_data = getattr(model, "from_call_data", None)
        request = from_call_data(req.data) if from_call_data else parse(model, req.data)
        result = handler(caller, request, **deps)
        log("callable.ok", function=name, uid=caller.uid or None)
        return _dump(result)
    except SalaminError as exc:
        log(
            "callable.rejected",
            severity="WARNING",
            function=name,
            code=exc.code,
            reason=exc.message,
        )
        raise https_fn.HttpsError(_CODES[exc.code], exc.message, exc.details or None) from None
    except Exception:
        incident = uuid.uuid4().hex[:12]
        log(
            "callable.failed",
            severity="ERROR",
            function=name,
            incident=incident,
            trace=traceback.format_exc(),
        )
        raise https_fn.HttpsError(
            https_fn.FunctionsErrorCode.INTERNAL, f"internal error (incident {incident})"
        ) from None


def jsonable(value: Any) -> Any:
    """A handler's answer (model, dict, Firestore values) into JSON: instants become the one
    wire format (`salamin.models.base.wire_instant`); models drop None fields."""
    return wire_value(value)

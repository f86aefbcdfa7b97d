"""Adapts a Firebase callable request into a plain domain call, and domain errors back out.

- request data is validated by a pydantic model: failures become `invalid-argument` with the
  offending field paths in `details.fields`;
- `salamin.core.errors.SalaminError` subclasses become `HttpsError` with their code;
- anything else is logged with its traceback and surfaces as a bare `internal` error, so no
  stack trace or internals leak to the client.
"""

from __future__ import annotations

import json
import traceback
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


def validation_error(exc: ValidationError) -> InvalidArgument:
    fields = [
        {"path": ".".join(str(p) for p in err["loc"]) or "(root)", "message": err["msg"]}
        for err in exc.errors(include_url=False)
    ]
    summary = "; ".join(f"{f['path']}: {f['message']}" for f in fields[:5])
    return InvalidArgument(f"invalid request: {summary}", fields=fields)


def parse(model: type[M], data: Any) -> M:
    """Validate request data as the JSON it arrived as, strictly: `"10"` is not a number,
    `"true"` not a boolean and `1` not a string; instants and dates stay ISO strings (JSON has no
    other way to send them); unknown fields are rejected by the models (`extra="forbid"`)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidArgument.at("(root)", "request data must be an object")
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise validation_error(exc) from None


def _dump(result: Result) -> Any:
    return jsonable(result)


_CODES = {c.value: c for c in https_fn.FunctionsErrorCode}


def run(
    req: https_fn.CallableRequest[Any],
    model: type[M],
    handler: Callable[[Caller, M], Result],
    *,
    name: str,
    require_auth: bool = True,
) -> Any:
    """Run one callable: auth, parse, call, map errors. Used by every callable in main.py."""
    try:
        caller = caller_from(req) if require_auth else Caller(uid="")
        request = parse(model, req.data)
        result = handler(caller, request)
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

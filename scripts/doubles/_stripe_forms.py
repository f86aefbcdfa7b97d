"""Decoding of Stripe's form-encoded parameters and a few value checks.

The `stripe` library flattens nested params into bracket keys (`metadata[k]=v`,
`transfer_data[destination]=acct_1`, `expand[0]=latest_charge`); other clients send
`expand[]=x`. This module turns both back into nested dicts and lists so the endpoint code can
work with plain Python values, and raises Stripe-shaped errors for bad values.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from scripts.doubles._stripe_errors import StripeApiError

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_INT = re.compile(r"^-?\d+$")


def _split_key(key: str) -> list[str]:
    """`a[b][0][]` -> ["a", "b", "0", ""]; a malformed key is kept whole."""
    head, bracket, _ = key.partition("[")
    if not bracket:
        return [key]
    rest = key[len(head) :]
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        return [key]
    return [head, *segments]


def _listify(node: Any) -> Any:
    """Turn dicts whose keys are all list markers into lists, depth first."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(isinstance(k, int) for k in converted):
        return [converted[k] for k in sorted(converted)]
    return {str(k): v for k, v in converted.items()}


def parse_form(body: str) -> dict[str, Any]:
    """Parse a form-encoded body or query string into nested dicts and lists.

    Empty values are kept as "" because Stripe uses them to unset fields (`metadata[k]=`).
    """
    root: dict[Any, Any] = {}
    for raw_key, value in parse_qsl(body, keep_blank_values=True):
        parts = _split_key(raw_key)
        node: dict[Any, Any] = root
        for i, part in enumerate(parts):
            key: Any = part
            if i > 0 and part == "":
                key = len(node)
            elif i > 0 and part.isdigit():
                key = int(part)
            if i == len(parts) - 1:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = {}
                    node[key] = child
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def reject_unknown(params: dict[str, Any], allowed: set[str]) -> None:
    """Stripe rejects unknown top-level params, which catches typos in calling code."""
    for name in params:
        if name not in allowed:
            raise StripeApiError.invalid(
                f"Received unknown parameter: {name}", param=name, code="parameter_unknown"
            )


def require(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise StripeApiError.invalid(
            f"Missing required param: {name}.", param=name, code="parameter_missing"
        )
    return value


def as_int(value: Any, *, param: str, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise StripeApiError.invalid(
            f"Invalid integer: {value!r}", param=param, code="parameter_invalid_integer"
        )
    text = str(value)
    if not _INT.match(text):
        raise StripeApiError.invalid(
            f"Invalid integer: {text}", param=param, code="parameter_invalid_integer"
        )
    number = int(text)
    if minimum is not None and number < minimum:
        raise StripeApiError.invalid(
            f"This value must be greater than or equal to {minimum}.",
            param=param,
            code="parameter_invalid_integer",
        )
    return number


def as_bool(value: Any, *, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return bool(value == "true")
    raise StripeApiError.invalid(
        f"Invalid boolean: {value}", param=param, code="parameter_invalid_boolean"
    )


def as_str(value: Any, *, param: str, max_length: int = 5000) -> str:
    if not isinstance(value, str):
        raise StripeApiError.invalid(
            f"Invalid string: {value!r}", param=param, code="parameter_invalid_string"
        )
    if len(value) > max_length:
        raise StripeApiError.invalid(
            f"Invalid string: too long (max {max_length} characters)",
            param=param,
            code="parameter_invalid_string_too_long",
        )
    return value


def as_choice(value: Any, *, param: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise StripeApiError.invalid(
            f"Invalid {param}: must be one of {', '.join(choices)}",
            param=param,
        )
    return str(value)


def as_dict(value: Any, *, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise StripeApiError.invalid(
            f"Invalid object: {param} must be a hash", param=param, code="parameter_invalid_object"
        )
    return value


def merge_metadata(current: dict[str, str], value: Any) -> dict[str, str]:
    """Apply Stripe's metadata rules: `""` clears all, a `""` value deletes that key."""
    if value == "":
        return {}
    patch = as_dict(value, param="metadata")
    merged = dict(current)
    for key, item in patch.items():
        if not isinstance(item, str):
            raise StripeApiError.invalid(
                "Invalid metadata: values must be strings", param=f"metadata[{key}]"
            )
        if len(key) > 40:
            raise StripeApiError.invalid(
                "Metadata keys can have a maximum length of 40 characters.",
                param=f"metadata[{key}]",
            )
        if len(item) > 500:
            raise StripeApiError.invalid(
                "Metadata values can have a maximum length of 500 characters.",
                param=f"metadata[{key}]",
            )
        if item == "":
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > 50:
        raise StripeApiError.invalid("Metadata can have a maximum of 50 keys.", param="metadata")
    return merged

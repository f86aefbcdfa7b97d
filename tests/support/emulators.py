"""Talking to the emulators as the web client does: Auth REST for ID tokens, callables over HTTP,
and Firestore REST with an end-user token so security rules are enforced."""

from __future__ import annotations

import base64
import builtins
import json
import re
from dataclasses import dataclass
from typing import Any

import requests

from scripts.stack import PROJECT_ID, Endpoints

API_KEY = "fake-api-key"  # the Auth emulator accepts any key


@dataclass
class User:
    uid: str
    email: str
    password: str
    id_token: str


class AuthEmulator:
    def __init__(self, endpoints: Endpoints) -> None:
        self.base = f"http://{endpoints.auth}/identitytoolkit.googleapis.com/v1"

    def sign_up(self, email: str, password: str = "secret-pass-1") -> User:
        r = requests.post(
            f"{self.base}/accounts:signUp?key={API_KEY}",
            json={"email": email, "password": password, "returnSecureToken": True},
            timeout=10,
        )
        r.raise_for_status()
        body = r.json()
        return User(uid=body["localId"], email=email, password=password, id_token=body["idToken"])

    def sign_in(self, user: User) -> User:
        """A fresh token: custom claims set since sign-up appear only after this."""
        r = requests.post(
            f"{self.base}/accounts:signInWithPassword?key={API_KEY}",
            json={"email": user.email, "password": user.password, "returnSecureToken": True},
            timeout=10,
        )
        r.raise_for_status()
        user.id_token = r.json()["idToken"]
        return user


class CallableError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        err = body.get("error", {})
        self.status = status
        self.code = str(err.get("status", "")).lower().replace("_", "-")
        self.message = err.get("message", "")
        self.details = err.get("details")
        super().__init__(f"{status} {self.code}: {self.message}")


def call(
    endpoints: Endpoints, name: str, data: Any, *, token: str | None = None, timeout: float = 60
) -> Any:
    """POST a callable exactly as the Firebase JS SDK does; return `result` or raise."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    r = requests.post(
        endpoints.function_url(name),
        data=json.dumps({"data": data}),
        headers=headers,
        timeout=timeout,
    )
    if r.status_code == 500 and b'"error"' not in r.content:
        # The Functions emulator's own "socket hang up" (its worker went away, our code never
        # answered): a 500 without a callable error body. Sent once more, as a client would.
        r = requests.post(
            endpoints.function_url(name),
            data=json.dumps({"data": data}),
            headers=headers,
            timeout=timeout,
        )
    body = r.json()
    if r.status_code != 200 or "error" in body:
        error = CallableError(r.status_code, body)
        check_error(name, error)
        raise error
    check_response(name, body["result"])
    return body["result"]


_PYDANTIC_WORDING = ("Value error", "Input should", "Extra inputs", "Field required", "[key]")


def check_error(name: str, error: CallableError) -> None:
    """The error contract every callable keeps (README "Wire format"): a documented
    `details.reason` on not-found, already-exists and failed-precondition; messages and field
    paths written for people."""
    from typing import get_args

    from salamin.core.errors import Reason

    details = error.details or {}
    if error.code in ("not-found", "already-exists", "failed-precondition"):
        assert details.get("reason") in get_args(Reason), f"{name}: {error} has no known reason"
    texts = [error.message] + [
        f"{f.get('path')} {f.get('message')}" for f in details.get("fields", [])
    ]
    for text in texts:
        assert not any(w in text for w in _PYDANTIC_WORDING), f"{name}: {text!r}"


def check_response(name: str, result: Any) -> None:
    """Every answer must match its declared response model (salamin.api.contract), which the
    web client's generated types come from: an undeclared or mistyped field fails the test."""
    from salamin.api.contract import CALLABLES

    if name in CALLABLES:
        CALLABLES[name].response.model_validate(result)
    for text in _strings(result):
        if _LOOKS_LIKE_INSTANT.match(text):
            assert _WIRE_INSTANT.match(text), f"{name}: instant {text!r} not in the wire format"


_LOOKS_LIKE_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_WIRE_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
"""One format for every instant in a callable answer (salamin.models.base.wire_instant)."""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def unsigned_token(uid: str | None, **claims: Any) -> str | None:
    """An emulator-only JWT (alg none) for Firestore REST calls that must go through rules."""
    if uid is None:
        return None

    def b64(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    payload = {
        "sub": uid,
        "user_id": uid,
        "aud": PROJECT_ID,
        "iss": f"https://securetoken.google.com/{PROJECT_ID}",
        "iat": 1700000000,
        "exp": 4102444800,
        "firebase": {"sign_in_provider": "password"},
        **claims,
    }
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


class FirestoreRest:
    """Firestore as a signed-in (or anonymous) client sees it: every request checks the rules."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.base = (
            f"http://{endpoints.firestore}/v1/projects/{PROJECT_ID}/databases/(default)/documents"
        )

    def _headers(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, token: str | None) -> int:
        return requests.get(
            f"{self.base}/{path}", headers=self._headers(token), timeout=10
        ).status_code

    def list(self, path: str, token: str | None) -> int:
        return self.get(path, token)

    def documents(self, collection: str, token: str | None) -> builtins.list[dict[str, Any]]:
        """Every document of a collection as this client reads it (fails if the read is denied),
        each as its plain fields, decoded from the REST value encoding."""
        r = requests.get(
            f"{self.base}/{collection}",
            params={"pageSize": 300},
            headers=self._headers(token),
            timeout=10,
        )
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return [
            {k: _decode(v) for k, v in (doc.get("fields") or {}).items()}
            for doc in r.json().get("documents", [])
        ]

    def document(self, path: str, token: str | None) -> dict[str, Any]:
        """One document as this client reads it (fails if the read is denied), decoded."""
        r = requests.get(f"{self.base}/{path}", headers=self._headers(token), timeout=10)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return {k: _decode(v) for k, v in (r.json().get("fields") or {}).items()}

    def patch(self, path: str, fields: dict[str, Any], token: str | None) -> int:
        """Update only the named top-level fields (updateMask), like updateDoc()."""
        mask = "&".join(f"updateMask.fieldPaths={k}" for k in fields)
        body = {"fields": {k: _value(v) for k, v in fields.items()}}
        r = requests.patch(
            f"{self.base}/{path}?{mask}", json=body, headers=self._headers(token), timeout=10
        )
        return r.status_code

    def create(self, path: str, fields: dict[str, Any], token: str | None) -> int:
        body = {"fields": {k: _value(v) for k, v in fields.items()}}
        r = requests.patch(
            f"{self.base}/{path}?currentDocument.exists=false",
            json=body,
            headers=self._headers(token),
            timeout=10,
        )
        return r.status_code

    def delete(self, path: str, token: str | None) -> int:
        return requests.delete(
            f"{self.base}/{path}", headers=self._headers(token), timeout=10
        ).status_code


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"booleanValue": v}
    if isinstance(v, int):
        return {"integerValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, str):
        return {"stringValue": v}
    if isinstance(v, dict):
        return {"mapValue": {"fields": {k: _value(x) for k, x in v.items()}}}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    if v is None:
        return {"nullValue": None}
    raise TypeError(type(v))


def _decode(v: dict[str, Any]) -> Any:
    """One REST value back into Python (timestamps stay their RFC 3339 strings)."""
    ((kind, x),) = v.items()
    if kind == "mapValue":
        return {k: _decode(y) for k, y in (x.get("fields") or {}).items()}
    if kind == "arrayValue":
        return [_decode(y) for y in x.get("values", [])]
    if kind == "integerValue":
        return int(x)
    return x

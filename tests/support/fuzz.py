"""Near-valid callable requests with one hostile change each, sent through the Functions emulator
as the Firebase JS SDK sends them, and an audit of what each answer wrote (issue 9 item 8).

- `mutations(base)`: a Hypothesis strategy of `Mutation`s of a valid request: one field replaced
  by a hostile value (wrong type, a number as a string, path-like or reserved ids, lone
  surrogates, huge strings (one past Firestore's 1 MiB document limit), dates at year 1 and 9999, huge and negative numbers), deleted, set
  to null, an unknown field added, or the caller's token dropped, forged or swapped.
- `WriteWatch`: Firestore listeners on every collection group the code names, recording each
  document change with its commit time, so "this answer wrote nothing" costs nothing per
  request (a full REST snapshot of the emulator costs about 50 ms; a request about 10 ms).
- `StripeLog`: the Stripe double's API log; a mutating request that succeeded is an object made.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import strategies as st

from salamin.core import collections as col
from scripts.stack import PROJECT_ID, Endpoints

TYPED_ERRORS = frozenset(
    {
        "invalid-argument",
        "not-found",
        "failed-precondition",
        "permission-denied",
        "unauthenticated",
        "already-exists",
        "resource-exhausted",
        "out-of-range",
        "aborted",
        "unavailable",
    }
)
"""Every answer that is not a success must be one of these; `internal` never."""

HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1, 2**31, 2**53 + 1, -(2**63), 2**64, 10**30, 1e308, -1e308, 0.5,
    -0.0, "", " ", "10", "-1", "1e9", "true", "false", "null", "a/b", "/", ".", "..", "__x__",
    "__name__", "a.b", "../x", "%2F", "\ud800", "a\udfffb", "\x00", "0001-01-01", "9999-12-31",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00Z", "2026-02-30",
    "24:00", "23:59", "00:00", "x" * 5000, "x" * 150_000, "y" * 1_100_000, "\U0001f600" * 300,
    [], {}, [None], [[]], {"": 1}, {"a.b": 1}, {"__x__": 1}, {"a/b": 1}, ["a/b"], ["\ud800"], [1] * 500,
]  # fmt: skip
UNKNOWN_KEYS = ["unknown", "__proto__", "constructor", "a.b", "__x__", "$where", "", "\ud800"]

Path = tuple[str | int, ...]


def node_paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path to a node below the root (dict keys and list indices, depth first)."""
    out: list[Path] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((*prefix, k))
            out += node_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out.append((*prefix, i))
            out += node_paths(v, (*prefix, i))
    return out


def dict_paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Paths of the objects (the root included) an unknown field can be added to."""
    out: list[Path] = [prefix] if isinstance(value, dict) else []
    for path in node_paths(value, prefix):
        if isinstance(_get(value, path[len(prefix) :]), dict):
            out.append(path)
    return out


def _get(value: Any, path: Path) -> Any:
    for p in path:
        value = value[p]
    return value


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class Mutation:
    kind: str
    """`replace`, `delete`, `null`, `unknown` (field added) or `auth` (caller changed)."""
    path: Path = ()
    value: Any = None

    def apply(self, base: dict[str, Any]) -> dict[str, Any]:
        data = _copy(base)
        if self.kind == "auth":
            return data
        parent = _get(data, self.path[:-1]) if self.kind != "unknown" else _get(data, self.path)
        if self.kind == "unknown":
            parent[self.value] = "x"
        elif self.kind == "delete":
            del parent[self.path[-1]]
        elif self.kind == "null":
            parent[self.path[-1]] = None
        else:
            parent[self.path[-1]] = self.value
        return data

    def describe(self) -> str:
        where = ".".join(str(p) for p in self.path) or "(root)"
        shown = repr(self.value)
        return f"{self.kind} {where} {shown[:80]}{'...' if len(shown) > 80 else ''}"


def _near(value: Any) -> st.SearchStrategy[Any]:
    """Values close to the valid one: the kind of edit a client bug or an attacker makes."""
    if isinstance(value, bool):
        return st.sampled_from([str(value).lower(), int(value), [value], None])
    if isinstance(value, int | float):
        return st.sampled_from(
            [str(value), value + 1, -value - 1, value * 10**9, float(value) + 0.5, [value]]
        )
    if isinstance(value, str):
        return st.sampled_from(
            [
                value + "/x",
                "../" + value,
                value + "\ud800",
                value + ".",
                value.upper() + "__",
                value * 500,
                value[:-1],
                " " + value,
                [value],
                {"value": value},
            ]
        )
    if isinstance(value, list):
        return st.sampled_from([value * 60, [], [value], {"0": value}, json.dumps(value)])
    if isinstance(value, dict):
        return st.sampled_from([{}, [value], json.dumps(value)])
    return st.just(None)


_ANY = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4),
    st.dictionaries(st.text(max_size=6), st.one_of(st.text(max_size=6), st.integers()), max_size=3),
)


def mutations(base: dict[str, Any], *, extra_fields: Iterable[str] = ()) -> st.SearchStrategy[Any]:
    """One hostile change of `base`. `extra_fields`: optional top-level fields the base leaves
    out, so they are fuzzed too (set to a hostile value)."""
    paths = node_paths(base) + [(f,) for f in extra_fields if f not in base]
    objects = dict_paths(base)
    replace = st.sampled_from(paths).flatmap(
        lambda p: (_near(_get(base, p)) if _has(base, p) else _ANY).map(
            lambda v: Mutation("replace", p, v)
        )
    )
    hostile = st.builds(lambda p, v: Mutation("replace", p, v), st.sampled_from(paths), _ANY)
    existing = node_paths(base) or [("",)]
    removed = st.builds(lambda p: Mutation("delete", p), st.sampled_from(existing))
    nulled = st.builds(lambda p: Mutation("null", p), st.sampled_from(existing))
    unknown = st.builds(
        lambda p, k: Mutation("unknown", p, k),
        st.sampled_from(objects),
        st.sampled_from(UNKNOWN_KEYS),
    )
    auth = st.builds(
        lambda who: Mutation("auth", (), who), st.sampled_from(["none", "forged", "stranger"])
    )
    parts = [hostile, hostile, hostile, replace, unknown, auth]
    if node_paths(base):
        parts += [removed, nulled]
    return st.one_of(*parts)


def _has(value: Any, path: Path) -> bool:
    try:
        _get(value, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


# --- the wire ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    code: str
    """`ok` for a success, else the error status as the JS SDK names it (`invalid-argument`)."""
    body: Any
    sent_at: float
    received_at: float

    @property
    def ok(self) -> bool:
        return self.code == "ok"


def send(
    session: requests.Session, endpoints: Endpoints, name: str, data: Any, token: str | None
) -> Answer:
    """POST `{"data": ...}` as the JS SDK does (JSON, lone surrogates as `\\ud800` escapes)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"data": data})
    sent = time.time()
    r = session.post(endpoints.function_url(name), data=body, headers=headers, timeout=120)
    received = time.time()
    try:
        parsed = r.json()
    except ValueError:
        return Answer(r.status_code, "internal", r.text[:300], sent, received)
    if r.status_code == 200 and isinstance(parsed, dict) and "result" in parsed:
        return Answer(200, "ok", parsed["result"], sent, received)
    err = parsed.get("error", {}) if isinstance(parsed, dict) else {}
    code = str(err.get("status", "internal")).lower().replace("_", "-")
    return Answer(r.status_code, code, parsed, sent, received)


# --- what was written --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    path: str
    kind: str
    committed_at: float


def collection_ids() -> list[str]:
    """Every collection (and sub-collection) name `salamin.core.collections` defines."""
    names = {v for k, v in vars(col).items() if k.isupper() and isinstance(v, str)}
    return sorted(n for n in names if n and "/" not in n)


@dataclass
class WriteWatch:
    """Listeners on every collection group; `changes_between(t0, t1)` are the document writes
    committed in that window (commit times come from the emulator, on this machine's clock)."""

    db: Any
    changes: list[Change] = field(default_factory=list)
    last_event: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _watches: list[Any] = field(default_factory=list)
    _ready: dict[str, threading.Event] = field(default_factory=dict)

    def start(self) -> WriteWatch:
        for name in collection_ids():
            ready = self._ready[name] = threading.Event()
            self._watches.append(
                self.db.collection_group(name).on_snapshot(self._callback(name, ready))
            )
        for name, ready in self._ready.items():
            assert ready.wait(30), f"listener on {name} never became current"
        return self

    def _callback(self, name: str, ready: threading.Event) -> Any:
        def on_snapshot(docs: Any, changes: Any, read_time: Any) -> None:
            now = time.time()
            first = not ready.is_set()
            ready.set()
            if first:
                return  # the initial state, not a write
            with self._lock:
                self.last_event = now
                for c in changes:
                    kind = c.type.name
                    stamp = (
                        read_time.timestamp()
                        if kind == "REMOVED" or c.document.update_time is None
                        else c.document.update_time.timestamp()
                    )
                    self.changes.append(Change(c.document.reference.path, kind, stamp))

        return on_snapshot

    def changes_between(self, t0: float, t1: float, *, slack: float = 0.005) -> list[Change]:
        with self._lock:
            return [c for c in self.changes if t0 - slack <= c.committed_at <= t1 + slack]

    def quiesce(self, *, quiet: float = 0.4, limit: float = 15.0) -> None:
        """Wait until no change has arrived for `quiet` seconds (triggers and tasks settled)."""
        deadline = time.time() + limit
        while time.time() < deadline:
            with self._lock:
                idle = time.time() - self.last_event
            if idle >= quiet:
                return
            time.sleep(quiet - idle + 0.01)

    def stop(self) -> None:
        for w in self._watches:
            w.unsubscribe()


def all_documents(endpoints: Endpoints) -> dict[str, str]:
    """Every document of the emulator, name -> update time (one kindless REST query, as the
    emulator's owner): a cross-check that the listeners missed nothing."""
    base = f"http://{endpoints.firestore}/v1/projects/{PROJECT_ID}/databases/(default)/documents"
    body = {
        "structuredQuery": {
            "from": [{"allDescendants": True}],
            "select": {"fields": [{"fieldPath": "__name__"}]},
        }
    }
    r = requests.post(
        f"{base}:runQuery", json=body, headers={"Authorization": "Bearer owner"}, timeout=60
    )
    r.raise_for_status()
    prefix = f"projects/{PROJECT_ID}/databases/(default)/documents/"
    return {
        d["document"]["name"].removeprefix(prefix): d["document"]["updateTime"]
        for d in r.json()
        if "document" in d
    }


class StripeLog:
    """The Stripe double's request log: each successful POST made or changed an object."""

    def __init__(self, endpoints: Endpoints, session: requests.Session) -> None:
        self.url = f"{endpoints.stripe}/_double/requests"
        self.session = session

    def mutations(self) -> int:
        r = self.session.get(self.url, params={"path_prefix": "/v1/"}, timeout=30)
        r.raise_for_status()
        return sum(
            1
            for e in r.json()["data"]
            if e.get("method") == "POST" and int(e.get("status", 500)) < 400
        )

"""Gemini adapter: one structured-output call, one typed failure.

Callers ask for a pydantic model and get either a validated instance or `GeminiUnavailable`
with `kind` saying why (rate_limited, server_error, timeout, malformed, schema_invalid, ...).
They then fall back to their transparent heuristics; they never see google-genai exceptions.

google.genai is imported inside methods: importing it costs noticeable cold-start time in a
Cloud Function that may never call Gemini on a given request.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from salamin.core.errors import Unavailable

if TYPE_CHECKING:
    from google.genai import Client

T = TypeVar("T", bound=BaseModel)

FailureKind = Literal[
    "rate_limited",  # HTTP 429
    "server_error",  # HTTP 5xx
    "timeout",  # no answer within timeout_s
    "transport",  # connection refused / reset
    "client_error",  # other 4xx: bad key, bad request; retrying will not help
    "blocked",  # no candidate text (safety block, empty answer)
    "malformed",  # answer text is not JSON
    "schema_invalid",  # JSON that does not validate against the requested model
]

DEFAULT_MODEL = "gemini-2.5-flash"


class GeminiUnavailable(Unavailable):
    """Gemini could not give a usable answer. `kind` is the cause; `status` the HTTP code."""

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, details={"cause": kind})
        self.kind: FailureKind = kind
        self.status = status
        self.retry_after_s = retry_after_s


_RETRYABLE: frozenset[FailureKind] = frozenset({"rate_limited", "server_error"})


class GeminiGateway:
    """Structured generation against Gemini (or the local double via `base_url`).

    Retries: at most `max_retries` (default 1) extra attempt, only for 429/5xx, after
    `retry_backoff_s`. If a 429 asks for a longer wait than `max_retry_delay_s` we give up
    at once rather than hold a function instance. Timeouts are not retried: a second wait of
    the same length would double the latency for a call that is likely to fail again.
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        timeout_s: float = 30.0,
        max_retries: int = 1,
        retry_backoff_s: float = 0.5,
        max_retry_delay_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("GeminiGateway needs an API key; use from_env() to make it optional")
        self._api_key = api_key
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self.max_retries = max(0, min(1, max_retries))
        self.retry_backoff_s = retry_backoff_s
        self.max_retry_delay_s = max_retry_delay_s
        self._sleep = sleep
        self._client: Client | None = None

    @classmethod
    def configured(
        cls, *, api_key: str | None, env: Mapping[str, str] | None = None
    ) -> GeminiGateway | None:
        """A gateway for `api_key` (main.py's GEMINI_API_KEY secret), with GEMINI_BASE_URL and
        GEMINI_MODEL from the environment (configuration, not secrets); None without a key."""
        env = os.environ if env is None else env
        key = (api_key or "").strip()
        if not key:
            return None
        return cls(
            key,
            base_url=(env.get("GEMINI_BASE_URL") or "").strip() or None,
            model=(env.get("GEMINI_MODEL") or "").strip() or DEFAULT_MODEL,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GeminiGateway | None:
        """For scripts: the key from GEMINI_API_KEY too."""
        env = os.environ if env is None else env
        return cls.configured(api_key=env.get("GEMINI_API_KEY"), env=env)

    def _get_client(self) -> Client:
        if self._client is None:
            from google import genai
            from google.genai import types

            self._client = genai.Client(
                api_key=self._api_key,
                http_options=types.HttpOptions(
                    base_url=self.base_url, timeout=int(self.timeout_s * 1000)
                ),
            )
        return self._client

    def generate_structured(self, *, prompt: str, system: str, schema: type[T]) -> T:
        """Ask for JSON shaped like `schema`; return it validated or raise GeminiUnavailable."""
        attempt = 0
        while True:
            try:
                return self._once(prompt=prompt, system=system, schema=schema)
            except GeminiUnavailable as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise
                attempt += 1
                self._sleep(delay)

    def _retry_delay(self, exc: GeminiUnavailable, attempt: int) -> float | None:
        if exc.kind not in _RETRYABLE or attempt >= self.max_retries:
            return None
        asked = exc.retry_after_s
        if asked is not None and asked > self.max_retry_delay_s:
            return None
        return max(self.retry_backoff_s, asked or 0.0)

    def _once(self, *, prompt: str, system: str, schema: type[T]) -> T:
        from google.genai import errors, types

        timeouts, transports = _transport_errors()

        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_schema=schema,
        )
        try:
            response = self._get_client().models.generate_content(
                model=self.model, contents=prompt, config=config
            )
        except errors.APIError as exc:
            raise _from_api_error(exc) from exc
        except timeouts as exc:
            raise GeminiUnavailable(
                f"Gemini did not answer within {self.timeout_s}s", kind="timeout"
            ) from exc
        except transports as exc:
            raise GeminiUnavailable(f"Gemini unreachable: {exc}", kind="transport") from exc

        if isinstance(response.parsed, schema):
            return response.parsed
        text = _answer_text(response)
        if not text:
            raise GeminiUnavailable("Gemini returned no answer text", kind="blocked")
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise GeminiUnavailable("Gemini answer is not JSON", kind="malformed") from exc
        try:
            return schema.model_validate_json(text)
        except ValidationError as exc:
            raise GeminiUnavailable(
                f"Gemini answer does not match {schema.__name__}: {exc.error_count()} errors",
                kind="schema_invalid",
            ) from exc


def _transport_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(timeout, other transport) exception classes of whichever HTTP client genai uses.

    google-genai 3.x sends through `httpx2` by default and `httpx` when
    GOOGLE_GENAI_HTTP_CLIENT=httpx; both raise their own exception hierarchies.
    """
    timeouts: list[type[BaseException]] = []
    transports: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        timeouts.append(module.TimeoutException)
        transports.append(module.TransportError)
    return tuple(timeouts), tuple(transports)


def _answer_text(response: Any) -> str | None:
    """The first candidate's text without the SDK's multi-part warnings."""
    for candidate in response.candidates or []:
        content = candidate.content
        if content and content.parts:
            text = "".join(p.text for p in content.parts if getattr(p, "text", None))
            if text:
                return str(text)
    return None


def _from_api_error(exc: Any) -> GeminiUnavailable:
    code = int(getattr(exc, "code", 0) or 0)
    message = f"Gemini HTTP {code}: {getattr(exc, 'message', None) or exc}"
    kind: FailureKind
    if code == 429:
        kind = "rate_limited"
    elif code >= 500:
        kind = "server_error"
    elif code == 408:
        kind = "timeout"
    else:
        kind = "client_error"
    return GeminiUnavailable(
        message, kind=kind, status=code, retry_after_s=_retry_after(getattr(exc, "details", None))
    )


def _retry_after(details: Any) -> float | None:
    """`RetryInfo.retryDelay` ("7s") from Google's error details, when present."""
    try:
        items = details["error"]["details"]
    except (KeyError, TypeError):
        return None
    for item in items if isinstance(items, list) else []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and (m := re.fullmatch(r"(\d+(?:\.\d+)?)s", delay)):
            return float(m.group(1))
    return None

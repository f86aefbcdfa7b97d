"""TEST DOUBLE of the Gemini `generateContent` HTTP API. Its answers are synthetic, not AI.

It exists so the real `google-genai` client can be exercised locally, with no network and no
key: point `genai.Client(http_options=types.HttpOptions(base_url=double.url))` at it.

What it does:
* `POST /{v1,v1beta,v1alpha}/models/<model>:generateContent` (what google-genai 3.3 sends).
  When `generationConfig.responseSchema` (OpenAPI subset, UPPERCASE types) or
  `generationConfig.responseJsonSchema` (JSON Schema) is present, it answers with JSON that is
  valid against that schema. Values are synthesised deterministically from a hash of the
  prompt, nudged by a crude "quality" reading of the prompt text (STAR phrases, numbers,
  length) so different transcripts give different numbers. None of this is a judgement.
* Scripted failures, queued FIFO and consumed one per generateContent call: malformed JSON
  text, HTTP 429 / 500 / any status with Google's error envelope, a hang of N seconds (to
  trigger client timeouts), or an exact JSON payload.
* Records every generateContent request (path, model, body, whether a key was sent).

Control from Python (`GeminiDouble`) or over HTTP:
  POST /_double/queue     {"kind": "json", "payload": {...}}
                          {"kind": "text", "text": "not json"}      (malformed answer)
                          {"kind": "error", "status": 429}          (500, 503, ...)
                          {"kind": "hang", "seconds": 5}
  GET  /_double/requests  -> {"requests": [...]}
  POST /_double/reset     clears queue and recorded requests

Run: `python scripts/doubles/gemini_double.py --port 12112`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_GENERATE = re.compile(r"^/(v1|v1beta|v1alpha)/models/([^/:]+):generateContent$")

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_STATUS_MESSAGES = {
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in the troubleshooting guide.",
    503: "The model is overloaded. Please try again later.",
}
_QUALITY_MARKERS = (
    "situation",
    "task",
    "action",
    "result",
    "as a result",
    "i led",
    "i decided",
    "i implemented",
    "increased",
    "reduced",
    "improved",
    "for example",
    "first",
    "finally",
)


def error_envelope(status: int, message: str | None = None) -> dict[str, Any]:
    """Google's JSON error body, as google-genai's APIError parses it."""
    return {
        "error": {
            "code": status,
            "message": message or _STATUS_MESSAGES.get(status, "double: scripted error"),
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


@dataclass
class ScriptedResponse:
    """One queued answer. kind: json | text | error | hang."""

    kind: str
    payload: Any = None
    text: str | None = None
    status: int = 200
    seconds: float = 0.0
    body: dict[str, Any] | None = None


@dataclass
class RecordedRequest:
    path: str
    api_version: str
    model: str
    body: dict[str, Any]
    api_key_sent: bool
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def prompt_text(self) -> str:
        return _prompt_text(self.body, include_system=False)

    @property
    def system_text(self) -> str:
        return _parts_text((self.body.get("systemInstruction") or {}).get("parts") or [])

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "apiVersion": self.api_version,
            "model": self.model,
            "body": self.body,
            "apiKeySent": self.api_key_sent,
            "headers": self.headers,
        }


# ---- schema-driven synthesis ----------------------------------------------------------------


def _parts_text(parts: list[dict[str, Any]]) -> str:
    return "\n".join(p["text"] for p in parts if isinstance(p, dict) and "text" in p)


def _prompt_text(body: dict[str, Any], *, include_system: bool = True) -> str:
    texts = [_parts_text(c.get("parts") or []) for c in body.get("contents") or []]
    if include_system:
        texts.append(_parts_text((body.get("systemInstruction") or {}).get("parts") or []))
    return "\n".join(t for t in texts if t)


def prompt_quality(text: str) -> float:
    """Crude 0..1 reading of the prompt so answers vary with input. Not an assessment."""
    low = text.lower()
    markers = sum(1 for m in _QUALITY_MARKERS if m in low) / len(_QUALITY_MARKERS)
    has_numbers = 1.0 if re.search(r"\d", low) else 0.0
    length = min(1.0, len(low.split()) / 400)
    return max(0.0, min(1.0, 0.6 * markers + 0.2 * has_numbers + 0.2 * length))


class _Synth:
    """Walks a Gemini Schema or a JSON Schema and builds a valid instance."""

    def __init__(self, *, seed: str, quality: float, root: dict[str, Any]) -> None:
        self._seed = seed
        self._quality = quality
        self._defs = {**(root.get("$defs") or {}), **(root.get("definitions") or {})}

    def _unit(self, path: str) -> float:
        digest = hashlib.sha256(f"{self._seed}|{path}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def value(self, schema: dict[str, Any], path: str) -> Any:
        if "$ref" in schema:
            return self.value(self._defs[schema["$ref"].rsplit("/", 1)[-1]], path)
        for key in ("anyOf", "any_of", "oneOf"):
            if schema.get(key):
                options = [o for o in schema[key] if _type_of(o) != "null"] or schema[key]
                return self.value(options[0], path)
        if "enum" in schema:
            options = schema["enum"]
            return options[int(self._unit(path) * len(options)) % len(options)]
        if "const" in schema:
            return schema["const"]
        kind = _type_of(schema)
        if kind == "object" or "properties" in schema:
            props = schema.get("properties") or {}
            return {name: self.value(sub, f"{path}.{name}") for name, sub in props.items()}
        if kind == "array":
            lo = int(_first(schema, "minItems", "min_items", default=1))
            hi = int(_first(schema, "maxItems", "max_items", default=max(lo, 3)))
            count = max(lo, min(hi, 2))
            items = schema.get("items") or {"type": "string"}
            if "prefixItems" in schema:
                return [self.value(s, f"{path}[{i}]") for i, s in enumerate(schema["prefixItems"])]
            return [self.value(items, f"{path}[{i}]") for i in range(count)]
        if kind in ("number", "integer"):
            return self._number(schema, path, integer=kind == "integer")
        if kind == "boolean":
            return self._unit(path) >= 0.5
        if kind == "null":
            return None
        return f"double: synthetic {schema.get('title') or path.rsplit('.', 1)[-1]}"

    def _number(self, schema: dict[str, Any], path: str, *, integer: bool) -> float | int:
        lo = float(_first(schema, "minimum", "exclusiveMinimum", default=0.0))
        hi = float(_first(schema, "maximum", "exclusiveMaximum", default=max(lo + 100.0, 100.0)))
        # Centre on quality, jitter +-0.15 of the range by path so sub-scores differ.
        share = 0.25 + 0.55 * self._quality + 0.3 * (self._unit(path) - 0.5)
        share = max(0.02, min(0.98, share))
        value = lo + (hi - lo) * share
        return round(value) if integer else round(value, 1)


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if str(k).lower() != "null"]
        kind = non_null[0] if non_null else "null"
    return str(kind or "").lower()


def _first(schema: dict[str, Any], *keys: str, default: Any) -> Any:
    for key in keys:
        if schema.get(key) is not None:
            return schema[key]
    return default


def synthesise(body: dict[str, Any]) -> str:
    """The answer text for a request: JSON valid against its schema, or plain text."""
    config = body.get("generationConfig") or {}
    schema = config.get("responseSchema") or config.get("responseJsonSchema")
    prompt = _prompt_text(body)
    if schema is None:
        if config.get("responseMimeType") == "application/json":
            return "{}"
        return f"double: synthetic answer to a {len(prompt.split())}-word prompt"
    synth = _Synth(seed=prompt, quality=prompt_quality(prompt), root=schema)
    return json.dumps(synth.value(schema, "$"))


def candidate_reply(text: str, *, prompt_tokens: int) -> dict[str, Any]:
    out_tokens = max(1, len(text) // 4)
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": out_tokens,
            "totalTokenCount": prompt_tokens + out_tokens,
        },
        "modelVersion": "double",
    }


# ---- server ---------------------------------------------------------------------------------


class GeminiDouble:
    """A local Gemini API stand-in. `with GeminiDouble() as g:` or start()/stop()."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self._host = host
        self._port = port
        self._queue: deque[ScriptedResponse] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        self._stopping.clear()
        self._server = ThreadingHTTPServer((self._host, self._port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="gemini-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases any scripted hang
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("GeminiDouble is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # control
    def queue(self, response: ScriptedResponse) -> None:
        with self._lock:
            self._queue.append(response)

    def queue_json(self, payload: Any) -> None:
        """Next answer is exactly this JSON (valid or not against the schema: your choice)."""
        self.queue(ScriptedResponse(kind="json", payload=payload))

    def queue_text(self, text: str) -> None:
        """Next answer's text is this string verbatim (use for malformed JSON)."""
        self.queue(ScriptedResponse(kind="text", text=text))

    def queue_malformed(self) -> None:
        self.queue_text('{"structureClarity": {"introduction": 7')

    def queue_error(self, status: int, message: str | None = None) -> None:
        """Next call fails with HTTP `status` and Google's error envelope."""
        self.queue(
            ScriptedResponse(kind="error", status=status, body=error_envelope(status, message))
        )

    def queue_rate_limit(self) -> None:
        self.queue_error(429)

    def queue_server_error(self) -> None:
        self.queue_error(500)

    def queue_hang(self, seconds: float) -> None:
        """Next call waits `seconds` (or until stop()) before answering normally."""
        self.queue(ScriptedResponse(kind="hang", seconds=seconds))

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._requests.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # used by the handler
    def _record_and_pop(self, request: RecordedRequest) -> ScriptedResponse | None:
        with self._lock:
            self._requests.append(request)
            return self._queue.popleft() if self._queue else None


def _scripted_from_json(spec: dict[str, Any]) -> ScriptedResponse:
    kind = spec.get("kind")
    if kind == "json":
        return ScriptedResponse(kind="json", payload=spec.get("payload"))
    if kind == "text":
        return ScriptedResponse(kind="text", text=str(spec.get("text", "")))
    if kind == "malformed":
        return ScriptedResponse(kind="text", text='{"truncated": ')
    if kind == "error":
        status = int(spec.get("status", 500))
        return ScriptedResponse(
            kind="error", status=status, body=error_envelope(status, spec.get("message"))
        )
    if kind == "hang":
        return ScriptedResponse(kind="hang", seconds=float(spec.get("seconds", 30)))
    raise ValueError(f"unknown kind {kind!r}")


def _make_handler(double: GeminiDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read recorded requests instead."""

        def _send(self, status: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing to tell it

        def _read_json(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else {}

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] == "/_double/requests":
                self._send(200, {"requests": [r.as_json() for r in double.requests]})
            else:
                self._send(404, error_envelope(404, f"double: no route GET {self.path}"))

        def do_POST(self) -> None:
            path = self.path.split("?", 1)[0]
            try:
                body = self._read_json()
            except json.JSONDecodeError:
                self._send(400, error_envelope(400, "double: request body is not JSON"))
                return
            if path == "/_double/reset":
                double.reset()
                self._send(200, {"ok": True})
            elif path == "/_double/queue":
                try:
                    double.queue(_scripted_from_json(body))
                except (ValueError, TypeError) as exc:
                    self._send(400, error_envelope(400, f"double: {exc}"))
                    return
                self._send(200, {"ok": True, "pending": double.pending})
            elif match := _GENERATE.match(path):
                self._generate(match.group(1), match.group(2), path, body)
            else:
                self._send(404, error_envelope(404, f"double: no route POST {path}"))

        def _generate(self, version: str, model: str, path: str, body: Any) -> None:
            key_sent = bool(self.headers.get("x-goog-api-key")) or "key=" in self.path
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("x-goog-api-key",)
            }
            request = RecordedRequest(
                path=path,
                api_version=version,
                model=model,
                body=body if isinstance(body, dict) else {},
                api_key_sent=key_sent,
                headers=headers,
            )
            scripted = double._record_and_pop(request)
            if not key_sent:
                self._send(401, error_envelope(401, "double: API key not sent"))
                return
            if not isinstance(body, dict) or not body.get("contents"):
                self._send(400, error_envelope(400, "double: contents is required"))
                return
            prompt_tokens = max(1, len(_prompt_text(body)) // 4)
            if scripted is not None and scripted.kind == "hang":
                double._stopping.wait(scripted.seconds)
                scripted = None
            if scripted is None:
                self._send(200, candidate_reply(synthesise(body), prompt_tokens=prompt_tokens))
            elif scripted.kind == "error":
                self._send(scripted.status, scripted.body)
            elif scripted.kind == "text":
                self._send(200, candidate_reply(scripted.text or "", prompt_tokens=prompt_tokens))
            else:
                text = json.dumps(scripted.payload)
                self._send(200, candidate_reply(text, prompt_tokens=prompt_tokens))

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Gemini API test double (synthetic answers)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12112)
    args = parser.parse_args(argv)
    double = GeminiDouble(port=args.port, host=args.host).start()
    print(f"gemini double (TEST DOUBLE, synthetic answers) listening on {double.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        double.stop()


if __name__ == "__main__":
    main()

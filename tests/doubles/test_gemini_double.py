"""The Gemini double speaks the wire format the real google-genai client expects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Literal

import pytest
import requests
from google import genai
from google.genai import errors, types
from pydantic import BaseModel, Field

from scripts.doubles.gemini_double import GeminiDouble, prompt_quality, synthesise


class Part(BaseModel):
    score: int = Field(ge=0, le=100)
    note: str


class Answer(BaseModel):
    structure: Part
    optional: Part | None = None
    level: Literal["high", "medium", "low"]
    items: list[Part] = Field(min_length=5, max_length=7)
    ratio: float = Field(ge=0, le=1)
    flag: bool


@pytest.fixture(scope="module")
def double() -> Iterator[GeminiDouble]:
    with GeminiDouble() as d:
        yield d


@pytest.fixture(autouse=True)
def _clean(double: GeminiDouble) -> None:
    double.reset()


def client(double: GeminiDouble, *, timeout_ms: int = 5000) -> genai.Client:
    return genai.Client(
        api_key="test-key",
        http_options=types.HttpOptions(base_url=double.url, timeout=timeout_ms),
    )


def ask(
    c: genai.Client, prompt: str = "Tell me about a time you led a project."
) -> types.GenerateContentResponse:
    return c.models.generate_content(
        model="gemini-2.5-flash",
        contents=prompt,
        config=types.GenerateContentConfig(
            system_instruction="You are a coach.",
            response_mime_type="application/json",
            response_schema=Answer,
        ),
    )


def test_schema_valid_answer_is_parsed_by_the_real_client(double: GeminiDouble) -> None:
    response = ask(client(double))
    assert isinstance(response.parsed, Answer)
    assert 5 <= len(response.parsed.items) <= 7
    assert response.candidates and response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata and response.usage_metadata.total_token_count


def test_requests_are_recorded_with_schema_and_system_instruction(double: GeminiDouble) -> None:
    ask(client(double), "my transcript")
    (req,) = double.requests
    assert req.path == "/v1/models/gemini-2.5-flash:generateContent"
    assert req.model == "gemini-2.5-flash"
    assert req.api_key_sent
    assert req.prompt_text == "my transcript"
    assert req.system_text == "You are a coach."
    schema = req.body["generationConfig"]["responseSchema"]
    assert schema["type"] == "OBJECT" and "structure" in schema["properties"]
    assert "x-goog-api-key" not in {k.lower() for k in req.headers}


def test_v1beta_path_is_served(double: GeminiDouble) -> None:
    c = genai.Client(
        api_key="k", http_options=types.HttpOptions(base_url=double.url, api_version="v1beta")
    )
    assert isinstance(ask(c).parsed, Answer)
    assert double.requests[0].api_version == "v1beta"


def test_answers_are_deterministic_and_vary_with_prompt(double: GeminiDouble) -> None:
    c = client(double)
    a1, a2 = ask(c, "um so yeah"), ask(c, "um so yeah")
    b = ask(c, "Situation: our churn was 9%. Action: I led a fix. Result: reduced to 4%.")
    assert a1.text == a2.text
    assert a1.text != b.text
    assert prompt_quality("Situation ... Action: I led. Result: reduced 40%") > prompt_quality("um")


def test_scripted_json_payload_is_returned_verbatim(double: GeminiDouble) -> None:
    double.queue_json({"hello": "world"})
    response = ask(client(double))
    assert json.loads(response.text or "") == {"hello": "world"}
    assert response.parsed is None  # not an Answer: the SDK leaves parsed empty


def test_malformed_answer_reaches_the_client_as_text(double: GeminiDouble) -> None:
    double.queue_malformed()
    response = ask(client(double))
    assert response.parsed is None
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text or "")


@pytest.mark.parametrize(
    ("status", "exc_type", "google_status"),
    [
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_scripted_errors_use_google_envelope(
    double: GeminiDouble, status: int, exc_type: type[Exception], google_status: str
) -> None:
    double.queue_error(status)
    with pytest.raises(exc_type) as info:
        ask(client(double))
    assert isinstance(info.value, errors.APIError)
    assert info.value.code == status
    assert info.value.status == google_status
    # Queue consumed: the next call succeeds.
    assert isinstance(ask(client(double)).parsed, Answer)


def test_hang_makes_the_client_time_out(double: GeminiDouble) -> None:
    import httpx2  # google-genai 3.x's default transport

    double.queue_hang(5)
    with pytest.raises(httpx2.TimeoutException):
        ask(client(double, timeout_ms=300))
    assert double.pending == 0


def test_missing_api_key_is_rejected(double: GeminiDouble) -> None:
    r = requests.post(
        f"{double.url}/v1/models/m:generateContent",
        json={"contents": [{"role": "user", "parts": [{"text": "x"}]}]},
        timeout=5,
    )
    assert r.status_code == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"


def test_http_control_api(double: GeminiDouble) -> None:
    r = requests.post(
        f"{double.url}/_double/queue", json={"kind": "error", "status": 429}, timeout=5
    )
    assert r.json() == {"ok": True, "pending": 1}
    with pytest.raises(errors.ClientError):
        ask(client(double), "via http")
    recorded = requests.get(f"{double.url}/_double/requests", timeout=5).json()["requests"]
    assert [r["body"]["contents"][0]["parts"][0]["text"] for r in recorded] == ["via http"]
    assert (
        requests.post(f"{double.url}/_double/queue", json={"kind": "nope"}, timeout=5).status_code
        == 400
    )
    requests.post(f"{double.url}/_double/reset", timeout=5)
    assert requests.get(f"{double.url}/_double/requests", timeout=5).json() == {"requests": []}


def test_json_schema_dialect_is_synthesised() -> None:
    """responseJsonSchema (plain JSON Schema with $defs/anyOf) also gets a valid answer."""
    body = {
        "contents": [{"role": "user", "parts": [{"text": "x"}]}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": Answer.model_json_schema(),
        },
    }
    answer = Answer.model_validate_json(synthesise(body))  # raises if the schema is not honoured
    assert 5 <= len(answer.items) <= 7
    assert answer.level in {"high", "medium", "low"}
    assert 0 <= answer.ratio <= 1

"""GeminiGateway against the local double, through the real google-genai client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from salamin.core.errors import Unavailable
from salamin.gateways.gemini import GeminiGateway, GeminiUnavailable
from scripts.doubles.gemini_double import GeminiDouble, ScriptedResponse, error_envelope


class Verdict(BaseModel):
    score: int = Field(ge=0, le=100)
    summary: str


@pytest.fixture(scope="module")
def double() -> Iterator[GeminiDouble]:
    with GeminiDouble() as d:
        yield d


@pytest.fixture(autouse=True)
def _clean(double: GeminiDouble) -> None:
    double.reset()


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def gateway(double: GeminiDouble, sleeps: Sleeps | None = None, **kw: object) -> GeminiGateway:
    return GeminiGateway(
        "test-key",
        base_url=double.url,
        sleep=sleeps or Sleeps(),
        **kw,  # type: ignore[arg-type]
    )


def call(gw: GeminiGateway) -> Verdict:
    return gw.generate_structured(prompt="Judge this answer.", system="Be fair.", schema=Verdict)


def test_schema_valid_answer_is_returned_as_the_model(double: GeminiDouble) -> None:
    result = call(gateway(double, model="gemini-2.5-pro"))
    assert isinstance(result, Verdict)
    (req,) = double.requests
    assert req.model == "gemini-2.5-pro"
    assert req.system_text == "Be fair."
    config = req.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseSchema"]["properties"]) == {"score", "summary"}


def test_scripted_payload_is_validated(double: GeminiDouble) -> None:
    double.queue_json({"score": 71, "summary": "solid"})
    assert call(gateway(double)) == Verdict(score=71, summary="solid")


def test_malformed_json_is_typed_and_not_retried(double: GeminiDouble) -> None:
    double.queue_malformed()
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double))
    assert info.value.kind == "malformed"
    assert isinstance(info.value, Unavailable) and info.value.code == "unavailable"
    assert len(double.requests) == 1


def test_schema_invalid_json_is_typed(double: GeminiDouble) -> None:
    double.queue_json({"score": 140, "summary": "too high"})
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double))
    assert info.value.kind == "schema_invalid"


@pytest.mark.parametrize(("status", "kind"), [(429, "rate_limited"), (500, "server_error")])
def test_retryable_error_is_retried_once_then_succeeds(
    double: GeminiDouble, status: int, kind: str
) -> None:
    sleeps = Sleeps()
    double.queue_error(status)
    assert isinstance(call(gateway(double, sleeps, retry_backoff_s=0.25)), Verdict)
    assert len(double.requests) == 2
    assert sleeps.calls == [0.25]


@pytest.mark.parametrize(("status", "kind"), [(429, "rate_limited"), (500, "server_error")])
def test_retryable_error_twice_gives_up_after_one_retry(
    double: GeminiDouble, status: int, kind: str
) -> None:
    for _ in range(3):
        double.queue_error(status)
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double))
    assert info.value.kind == kind
    assert info.value.status == status
    assert len(double.requests) == 2  # one retry, no storm
    assert double.pending == 1


def test_retries_can_be_disabled(double: GeminiDouble) -> None:
    double.queue_error(500)
    with pytest.raises(GeminiUnavailable):
        call(gateway(double, max_retries=0))
    assert len(double.requests) == 1


def test_long_retry_delay_from_server_is_not_waited_for(double: GeminiDouble) -> None:
    body = error_envelope(429)
    body["error"]["details"] = [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
    ]
    double.queue(ScriptedResponse(kind="error", status=429, body=body))
    sleeps = Sleeps()
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double, sleeps))
    assert info.value.retry_after_s == 37.0
    assert sleeps.calls == []
    assert len(double.requests) == 1


def test_client_error_is_not_retried(double: GeminiDouble) -> None:
    double.queue_error(400, "bad request")
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double))
    assert info.value.kind == "client_error"
    assert len(double.requests) == 1


def test_timeout_is_typed_and_not_retried(double: GeminiDouble) -> None:
    double.queue_hang(5)
    with pytest.raises(GeminiUnavailable) as info:
        call(gateway(double, timeout_s=0.3))
    assert info.value.kind == "timeout"
    assert len(double.requests) == 1


def test_unreachable_server_is_transport_error() -> None:
    with GeminiDouble() as d:
        url = d.url
    gw = GeminiGateway("k", base_url=url, timeout_s=2, sleep=Sleeps())
    with pytest.raises(GeminiUnavailable) as info:
        call(gw)
    assert info.value.kind in ("transport", "timeout")


def test_from_env() -> None:
    assert GeminiGateway.from_env({}) is None
    assert GeminiGateway.from_env({"GEMINI_API_KEY": "  "}) is None
    gw = GeminiGateway.from_env(
        {"GEMINI_API_KEY": "k", "GEMINI_BASE_URL": "http://127.0.0.1:1", "GEMINI_MODEL": "m"}
    )
    assert gw is not None
    assert (gw.base_url, gw.model) == ("http://127.0.0.1:1", "m")
    default = GeminiGateway.from_env({"GEMINI_API_KEY": "k"})
    assert default is not None and default.model == "gemini-2.5-flash" and default.base_url is None

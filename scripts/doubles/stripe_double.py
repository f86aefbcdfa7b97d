"""A local Stripe-compatible HTTP test double, driven by the real `stripe` Python library.

No registry ships a Stripe server that covers PaymentIntents with Connect parameters, so the
project keeps this small stdlib-only double. Point the real library at it:

    client = stripe.StripeClient("sk_test_x", base_addresses={"api": double.url})

Run it standalone:

    python scripts/doubles/stripe_double.py --port 12111 \
        [--webhook-url URL --webhook-secret whsec_... --connect-webhook-secret whsec_...]

or in-process: `StripeDouble(port=0, webhook_url=..., webhook_secret=...)`, `.start()` (returns
the base url), `.stop()`.

Stripe endpoints (form-encoded bodies, `Authorization: Bearer sk_test_...` required, `expand`
supported, unknown params rejected like Stripe does):
    POST /v1/payment_intents                 create (amount, currency, metadata, description,
                                             application_fee_amount, transfer_data[destination],
                                             automatic_payment_methods, payment_method, confirm,
                                             capture_method, ...)
    GET  /v1/payment_intents/{id}            retrieve
    POST /v1/payment_intents/{id}            update (metadata, description, amount, ...)
    POST /v1/payment_intents/{id}/confirm    payment_method=pm_card_visa succeeds (and
                                             pm_card_refundFail, whose refunds then fail);
                                             pm_card_chargeDeclined, pm_card_visa_chargeDeclined
                                             (and *InsufficientFunds, *ExpiredCard,
                                             *IncorrectCvc) answer 402 card_error
    POST /v1/payment_intents/{id}/cancel     refused (400) once succeeded
    POST /v1/payment_intents/{id}/capture    for capture_method=manual
    GET  /v1/charges/{id}
    POST /v1/refunds                         payment_intent|charge, amount (default: remaining),
                                             reason, metadata; never above the captured amount
    GET  /v1/refunds/{id}
    POST /v1/accounts                        type, email, country, capabilities, metadata
    GET  /v1/accounts/{id}, POST /v1/accounts/{id}
    POST /v1/account_links                   url = {base}/connect/onboarding/{acct}?link=...;
                                             GET of that url onboards the account
    POST /v1/transfers                       amount, currency, destination, source_transaction,
                                             transfer_group, metadata: the destination needs the
                                             transfers capability; the source charge must have
                                             succeeded, match the currency and have enough left
                                             (captured - refunded - transferred); no source ->
                                             balance_insufficient (test-mode funds are pending)
    GET  /v1/transfers[?transfer_group=&destination=&limit=], GET /v1/transfers/{id}
    GET  /v1/events/{id}

Idempotency-Key: same key + same method/path/params replays the saved answer
(`Idempotent-Replayed: true`); different params -> 400 idempotency_error; the same key while
the first request still runs -> 409. Successful and 402 answers are saved, like Stripe does.

Events (payment_intent.succeeded / .payment_failed / .canceled / .amount_capturable_updated,
charge.refunded, refund.updated, charge.refund.updated, account.updated, transfer.created) are
signed and POSTed in order to the webhook url by a background worker, retried a few times on
failure.

Test-control API (Python method / HTTP endpoint; JSON bodies; no auth):
    events(type=None)                        GET  /_double/events[?type=]
    event(id)                                GET  /_double/events/{id}
    deliveries(event_id=None)                GET  /_double/deliveries[?event_id=]
    pending_events()                         GET  /_double/pending
    hold_deliveries() / release()            POST /_double/deliveries/hold | /release
    wait_for_deliveries(timeout=5)           POST /_double/deliveries/wait {"timeout"}
    deliver(event_id, timestamp=None)        POST /_double/events/{id}/deliver {"timestamp"}
    redeliver(event_id, timestamp=None)      POST /_double/events/{id}/redeliver
    fail_next(prefix, status=500, times=1, method=None, phase="before")
                                             POST /_double/fail_next {"path_prefix", ...}
    delay_next(prefix, seconds, times=1, method=None, phase="after")
                                             POST /_double/delay_next {"path_prefix", ...}
    onboard_account(account_id)              POST /_double/accounts/{id}/onboard
    fail_refund(refund_id, failure_reason=)  POST /_double/refunds/{id}/fail {"failure_reason"}
    configure_webhook(url, secret=None, connect_secret=None)
                                             POST /_double/webhook {"url", "secret",
                                             "connect_secret"}: account.* events are signed
                                             with connect_secret (the Connect endpoint's)
    requests(path_prefix=None)               GET  /_double/requests[?path_prefix=]
    get(object_id)                           GET  /_double/objects/{id}
    objects(prefix)                          GET  /_double/objects?prefix=pi_
    reset()                                  POST /_double/reset
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

if __package__ in (None, ""):  # run as a script: make `scripts.doubles` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.doubles._stripe_api import RequestContext, StripeState, new_id
from scripts.doubles._stripe_errors import StripeApiError
from scripts.doubles._stripe_forms import parse_form
from scripts.doubles._stripe_webhooks import WebhookDispatcher

API_VERSION = "2026-10-28.endive"  # what stripe 16.1.0 sends as Stripe-Version
_PHASES = ("before", "after")


@dataclass
class _Fault:
    kind: str  # "fail" | "delay"
    path_prefix: str
    method: str | None
    phase: str
    remaining: int
    status: int = 500
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path_prefix) and self.method in (None, method)


@dataclass
class _Saved:
    """An idempotency-key record: what was asked and, once finished, what was answered."""

    method: str
    path: str
    params: dict[str, Any]
    request_id: str
    status: int | None = None
    body: bytes = b""


@dataclass
class _Response:
    status: int
    body: bytes
    headers: dict[str, str]
    content_type: str = "application/json"


class StripeDouble:
    """Stripe-compatible HTTP server on a background thread, with a test-control API."""

    def __init__(
        self,
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        *,
        connect_webhook_secret: str | None = None,
        host: str = "127.0.0.1",
        clock: Callable[[], float] = time.time,
        api_version: str = API_VERSION,
        retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
    ) -> None:
        self._host = host
        self._port = port
        self._clock = clock
        self._stopping = threading.Event()
        self._dispatcher: WebhookDispatcher
        self._state = StripeState(clock=clock, api_version=api_version, on_event=self._on_event)
        self._lock = self._state.lock
        self._dispatcher = WebhookDispatcher(
            lock=self._lock,
            clock=clock,
            url=webhook_url,
            secret=webhook_secret,
            connect_secret=connect_webhook_secret,
            retry_delays=retry_delays,
        )
        self._faults: list[_Fault] = []
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._log: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Bind, serve on a daemon thread, start webhook delivery; returns the base url."""
        if self._server is not None:
            return self.url
        handler = type("StripeDoubleHandler", (_Handler,), {"double": self})
        server = ThreadingHTTPServer((self._host, self._port), handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://{self._host}:{server.server_address[1]}"
        self._stopping.clear()
        self._dispatcher.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-double-http",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._stopping.set()
        self._dispatcher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ control API

    @property
    def webhook_url(self) -> str | None:
        return self._dispatcher.url

    @property
    def webhook_secret(self) -> str | None:
        return self._dispatcher.secret

    @property
    def connect_webhook_secret(self) -> str | None:
        return self._dispatcher.connect_secret

    def configure_webhook(
        self, url: str | None, secret: str | None = None, connect_secret: str | None = None
    ) -> str | None:
        """Point deliveries at `url`; returns the signing secret (generated if not given).
        `connect_secret` signs Connect events (`account.*`); without it they use `secret`."""
        return self._dispatcher.configure(url, secret, connect_secret)

    def events(self, type: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                copy.deepcopy(e) for e in self._state.events.values() if type in (None, e["type"])
            ]

    def event(self, event_id: str) -> dict[str, Any]:
        with self._lock:
            if event_id not in self._state.events:
                raise KeyError(event_id)
            return copy.deepcopy(self._state.events[event_id])

    def get(self, object_id: str) -> dict[str, Any]:
        """A copy of any stored object (pi_, ch_, re_, acct_, tr_, evt_) for assertions."""
        with self._lock:
            obj = self._state.lookup(object_id)
            if obj is None:
                raise KeyError(object_id)
            return copy.deepcopy(obj)

    def objects(self, prefix: str) -> list[dict[str, Any]]:
        """Copies of all stored objects of one kind, by id prefix ("pi_", "re_", ...)."""
        with self._lock:
            store = self._state.stores().get(prefix)
            if store is None:
                raise KeyError(prefix)
            return [copy.deepcopy(obj) for obj in store.values()]

    def deliveries(self, event_id: str | None = None) -> list[dict[str, Any]]:
        return self._dispatcher.attempts(event_id)

    def pending_events(self) -> list[str]:
        return self._dispatcher.pending()

    def hold_deliveries(self) -> None:
        self._dispatcher.hold()

    def release(self) -> None:
        self._dispatcher.release()

    def wait_for_deliveries(self, timeout: float = 5.0) -> bool:
        return self._dispatcher.wait_idle(timeout)

    def deliver(self, event_id: str, timestamp: int | None = None) -> list[dict[str, Any]]:
        """Send one event now, synchronously, taking it out of the held queue (reordering)."""
        return self._dispatcher.deliver_now(
            self.event(event_id), kind="manual", timestamp=timestamp
        )

    def redeliver(self, event_id: str, timestamp: int | None = None) -> list[dict[str, Any]]:
        """Send an already delivered event again, synchronously (duplicate delivery)."""
        return self._dispatcher.deliver_now(
            self.event(event_id), kind="redelivery", timestamp=timestamp
        )

    def fail_next(
        self,
        path_prefix: str,
        status: int = 500,
        *,
        times: int = 1,
        method: str | None = None,
        phase: str = "before",
    ) -> None:
        """Answer the next `times` matching calls with an error of `status`.

        phase="before": nothing happens server side. phase="after": the call runs (and its
        idempotent answer is saved) but the client gets the error, as when a response is lost.
        """
        if phase not in _PHASES:
            raise ValueError(f"phase must be one of {_PHASES}")
        with self._lock:
            self._faults.append(
                _Fault("fail", path_prefix, method and method.upper(), phase, times, status=status)
            )

    def delay_next(
        self,
        path_prefix: str,
        seconds: float,
        *,
        times: int = 1,
        method: str | None = None,
        phase: str = "after",
    ) -> None:
        """Make the next `times` matching calls hang for `seconds` (client timeout tests).

        phase="after" (default): the call runs and its answer is saved, then the response is
        held back, so a retry with the same idempotency key gets the replay. phase="before":
        the call hangs before it runs, holding its idempotency key, so a retry with the same
        key meanwhile gets 409 (as from Stripe while the first request is still in progress).
        """
        if phase not in _PHASES:
            raise ValueError(f"phase must be one of {_PHASES}")
        with self._lock:
            self._faults.append(
                _Fault(
                    "delay", path_prefix, method and method.upper(), phase, times, seconds=seconds
                )
            )

    def onboard_account(self, account_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._state.onboard(account_id))

    def fail_refund(
        self, refund_id: str, failure_reason: str = "expired_or_canceled_card"
    ) -> dict[str, Any]:
        """Make a refund fail after the fact (as a closed card does), emitting refund.updated
        and charge.refund.updated; refunds of `pm_card_refundFail` charges do it by themselves."""
        with self._lock:
            return copy.deepcopy(self._state.fail_refund(refund_id, failure_reason))

    def requests(self, path_prefix: str | None = None) -> list[dict[str, Any]]:
        """Log of API calls: method, path, status, idempotency_key, replayed."""
        with self._lock:
            return [
                dict(r)
                for r in self._log
                if path_prefix is None or r["path"].startswith(path_prefix)
            ]

    def reset(self) -> None:
        """Forget all objects, events, deliveries, faults and idempotency keys."""
        with self._lock:
            self._state.clear()
            self._faults.clear()
            self._saved.clear()
            self._log.clear()
        self._dispatcher.reset()

    # ------------------------------------------------------------------ internals

    def _on_event(self, event: dict[str, Any]) -> None:
        self._dispatcher.enqueue(event)

    def _take_faults(self, method: str, path: str) -> dict[str, _Fault]:
        taken: dict[str, _Fault] = {}
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in taken or not fault.matches(method, path):
                    continue
                taken[fault.kind] = fault
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
        return taken

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def handle_api(self, method: str, raw_path: str, *, headers: Any, body: bytes) -> _Response:
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        request_id = new_id("req_", 14)
        base_headers = {"Request-Id": request_id, "Stripe-Version": self._state.api_version}
        idem_key = headers.get("Idempotency-Key") if method == "POST" else None
        if idem_key:
            base_headers["Idempotency-Key"] = idem_key
        replayed = False
        try:
            status, payload, original = self._answer(
                method,
                path,
                query=split.query,
                headers=headers,
                body=body,
                request_id=request_id,
            )
            if original is not None:
                replayed = True
                base_headers["Idempotent-Replayed"] = "true"
                base_headers["Original-Request"] = original
        except StripeApiError as exc:
            status, payload = exc.status, _encode(exc.body())
            base_headers.update(exc.headers)
        with self._lock:
            self._log.append(
                {
                    "method": method,
                    "path": path,
                    "status": status,
                    "idempotency_key": idem_key,
                    "replayed": replayed,
                    "request_id": request_id,
                }
            )
        return _Response(status, payload, base_headers)

    def _answer(
        self,
        method: str,
        path: str,
        *,
        query: str,
        headers: Any,
        body: bytes,
        request_id: str,
    ) -> tuple[int, bytes, str | None]:
        """Auth, injected faults, then the idempotent call; errors raise StripeApiError."""
        try:
            api_key = _check_auth(headers.get("Authorization"))
            faults = self._take_faults(method, path)
            delay, fail = faults.get("delay"), faults.get("fail")
            if fail and fail.phase == "before":
                raise StripeApiError.injected(fail.status)
            params = parse_form(body.decode() if method == "POST" else query)
            ctx = RequestContext(
                api_key=api_key,
                base_url=self.url,
                request_id=request_id,
                idempotency_key=headers.get("Idempotency-Key") if method == "POST" else None,
                stripe_account=headers.get("Stripe-Account"),
            )
            hang = delay.seconds if delay and delay.phase == "before" else 0.0
            result = self._run_idempotent(method, path, params=params, ctx=ctx, hang=hang)
            if delay and delay.phase == "after":
                self._sleep(delay.seconds)
            if fail and fail.phase == "after":
                raise StripeApiError.injected(fail.status)
            return result
        except StripeApiError:
            raise
        except Exception as exc:  # a bug or input the parsers did not expect: Stripe's 500
            raise StripeApiError(
                status=500, type_="api_error", message=f"Stripe double crashed: {exc!r}"
            ) from exc

    def _run_idempotent(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any],
        ctx: RequestContext,
        hang: float = 0.0,
    ) -> tuple[int, bytes, str | None]:
        """Execute once per idempotency key; the third item is the replayed request's id.

        `hang` stalls the call while it holds its key, like a slow Stripe request: a retry
        with the same key meanwhile gets 409.
        """
        key = ctx.idempotency_key
        if not key:
            self._sleep(hang)
            return (*self._execute(method, path, params=params, ctx=ctx), None)
        if len(key) > 255:
            raise StripeApiError.invalid(
                "Idempotency-Key must be at most 255 characters long.", param="Idempotency-Key"
            )
        slot = (ctx.api_key, key)
        with self._lock:
            saved = self._saved.get(slot)
            if saved is not None:
                if (saved.method, saved.path, saved.params) != (method, path, params):
                    raise StripeApiError(
                        status=400,
                        type_="idempotency_error",
                        message=(
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other than "
                            f"'{key}' if you meant to execute a different request."
                        ),
                    )
                if saved.status is None:
                    raise StripeApiError(
                        status=409,
                        type_="idempotency_error",
                        code="idempotency_key_in_use",
                        message=(
                            "There is currently another in-progress request using this Stripe "
                            "API key and idempotency key. Please try again later."
                        ),
                    )
                return saved.status, saved.body, saved.request_id
            self._saved[slot] = _Saved(method, path, copy.deepcopy(params), ctx.request_id or "")
        status, payload = 500, b""
        keep = False
        try:
            self._sleep(hang)
            status, payload = self._execute(method, path, params=params, ctx=ctx)
            keep = status < 400 or status == 402
        finally:
            with self._lock:
                if keep and slot in self._saved:
                    self._saved[slot].status, self._saved[slot].body = status, payload
                else:
                    self._saved.pop(slot, None)
        return status, payload, None

    def _execute(
        self, method: str, path: str, *, params: dict[str, Any], ctx: RequestContext
    ) -> tuple[int, bytes]:
        try:
            with self._lock:
                status, obj = self._state.dispatch(method, path, params=params, ctx=ctx)
            return status, _encode(obj)
        except StripeApiError as exc:
            if exc.status == 402:  # card declines change state and are replayed like successes
                return exc.status, _encode(exc.body())
            raise
        except Exception as exc:  # a bug in the double: answer like Stripe's 500
            raise StripeApiError(
                status=500, type_="api_error", message=f"Stripe double crashed: {exc!r}"
            ) from exc

    def handle_onboarding(self, raw_path: str) -> _Response:
        split = urlsplit(raw_path)
        account_id = split.path.rstrip("/").rsplit("/", 1)[-1]
        tokens = parse_qs(split.query).get("link")
        token = tokens[0] if tokens else None
        try:
            with self._lock:
                done, next_url = self._state.visit_onboarding(account_id, token)
        except StripeApiError as exc:
            return _Response(404, exc.message.encode(), {}, "text/plain")
        if done:
            html = (
                f"<html><body><p>Onboarding complete for {account_id}.</p>"
                f'<a id="return" href="{next_url}">Return</a></body></html>'
            )
        else:
            html = (
                f"<html><body><p>This link has expired or was already used.</p>"
                f'<a id="refresh" href="{next_url}">Get a new link</a></body></html>'
            )
        return _Response(200, html.encode(), {"X-Next-Url": next_url}, "text/html")

    def handle_control(self, method: str, raw_path: str, body: bytes) -> _Response:
        split = urlsplit(raw_path)
        parts = [p for p in split.path.split("/") if p][1:]  # drop "_double"
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        try:
            args: dict[str, Any] = json.loads(body) if body.strip() else {}
            result = self._control(method, parts, query, args)
        except KeyError as exc:
            return _json(404, {"error": f"not found: {exc.args[0]}"})
        except (ValueError, TypeError, RuntimeError, StripeApiError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, result)

    def _control(
        self, method: str, parts: list[str], query: dict[str, str], args: dict[str, Any]
    ) -> Any:
        route = (method, *parts)
        if route == ("GET", "events"):
            return {"data": self.events(query.get("type"))}
        if method == "GET" and len(parts) == 2 and parts[0] == "events":
            return self.event(parts[1])
        if method == "POST" and len(parts) == 3 and parts[0] == "events":
            if parts[2] == "deliver":
                return {"data": self.deliver(parts[1], args.get("timestamp"))}
            if parts[2] == "redeliver":
                return {"data": self.redeliver(parts[1], args.get("timestamp"))}
        if route == ("GET", "deliveries"):
            return {"data": self.deliveries(query.get("event_id"))}
        if route == ("GET", "pending"):
            return {"data": self.pending_events()}
        if route == ("POST", "deliveries", "hold"):
            self.hold_deliveries()
            return {"held": True}
        if route == ("POST", "deliveries", "release"):
            self.release()
            return {"held": False}
        if route == ("POST", "deliveries", "wait"):
            return {"idle": self.wait_for_deliveries(float(args.get("timeout", 5.0)))}
        if route == ("POST", "fail_next"):
            self.fail_next(
                args["path_prefix"],
                int(args.get("status", 500)),
                times=int(args.get("times", 1)),
                method=args.get("method"),
                phase=args.get("phase", "before"),
            )
            return {"ok": True}
        if route == ("POST", "delay_next"):
            self.delay_next(
                args["path_prefix"],
                float(args["seconds"]),
                times=int(args.get("times", 1)),
                method=args.get("method"),
                phase=args.get("phase", "after"),
            )
            return {"ok": True}
        if (
            method == "POST"
            and len(parts) == 3
            and parts[0] == "accounts"
            and (parts[2] == "onboard")
        ):
            try:
                return self.onboard_account(parts[1])
            except StripeApiError as exc:
                raise KeyError(parts[1]) from exc
        if method == "POST" and len(parts) == 3 and parts[0] == "refunds" and parts[2] == "fail":
            try:
                return self.fail_refund(
                    parts[1], args.get("failure_reason", "expired_or_canceled_card")
                )
            except StripeApiError as exc:
                raise KeyError(parts[1]) from exc
        if route == ("POST", "webhook"):
            secret = self.configure_webhook(
                args.get("url"), args.get("secret"), args.get("connect_secret")
            )
            return {
                "url": self.webhook_url,
                "secret": secret,
                "connect_secret": self.connect_webhook_secret,
            }
        if route == ("GET", "webhook"):
            return {
                "url": self.webhook_url,
                "secret": self.webhook_secret,
                "connect_secret": self.connect_webhook_secret,
            }
        if route == ("GET", "requests"):
            return {"data": self.requests(query.get("path_prefix"))}
        if route == ("GET", "objects"):
            return {"data": self.objects(query.get("prefix", ""))}
        if method == "GET" and len(parts) == 2 and parts[0] == "objects":
            return self.get(parts[1])
        if route == ("POST", "reset"):
            self.reset()
            return {"ok": True}
        raise KeyError("/_double/" + "/".join(parts))


def _check_auth(header: str | None) -> str:
    if not header:
        raise StripeApiError(
            status=401,
            type_="invalid_request_error",
            message="You did not provide an API key. Provide it in the Authorization header "
            "as a bearer token (Authorization: Bearer sk_test_...).",
        )
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() == "basic":  # `curl -u sk_test_...:` as in Stripe's docs
        try:
            key = base64.b64decode(key).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
        scheme = "bearer"
    if (
        scheme.lower() != "bearer"
        or not key.startswith(("sk_test_", "rk_test_"))
        or len(key) <= len("sk_test_")
    ):
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if key else "(none)"
        raise StripeApiError(
            status=401,
            type_="invalid_request_error",
            message=f"Invalid API Key provided: {shown}. The double accepts only test keys "
            "(sk_test_... or rk_test_...).",
        )
    return key


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, indent=2).encode()


def _json(status: int, payload: Any) -> _Response:
    return _Response(status, _encode(payload), {})


class _Handler(BaseHTTPRequestHandler):
    double: StripeDouble
    server_version = "stripe-double/1.0"

    def _route(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_double/"):
            response = self.double.handle_control(method, self.path, body)
        elif self.path.startswith("/connect/onboarding/") and method == "GET":
            response = self.double.handle_onboarding(self.path)
        else:
            response = self.double.handle_api(method, self.path, headers=self.headers, body=body)
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the request log is available through the control API


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Stripe-compatible test double.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url")
    parser.add_argument("--webhook-secret")
    parser.add_argument("--connect-webhook-secret")
    args = parser.parse_args(argv)
    double = StripeDouble(
        args.port,
        args.webhook_url,
        args.webhook_secret,
        connect_webhook_secret=args.connect_webhook_secret,
        host=args.host,
    )
    url = double.start()
    print(f"stripe double listening on {url}", flush=True)
    if double.webhook_url:
        print(f"webhooks -> {double.webhook_url} secret={double.webhook_secret}", flush=True)
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    done.wait()
    double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Signed webhook delivery for the Stripe double.

Events are POSTed in the order they were emitted by one background worker, signed the way
Stripe signs them (Connect events, `account.*`, with the Connect endpoint's secret when one is
configured, as a real Connect endpoint has its own secret; all others with the platform's) (`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`),
and retried a few times with a short backoff when the receiver fails. Tests can hold the queue,
deliver chosen events by hand (to reorder them) and redeliver an event (to duplicate it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from typing import Any

# Local receivers only: never route deliveries through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign_payload(payload: str, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header value for `payload` signed at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def is_connect_event(event: dict[str, Any]) -> bool:
    """Events about a connected account, delivered to the Connect endpoint."""
    return str(event.get("type", "")).startswith("account.")


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_hex(16)


class WebhookDispatcher:
    """Queue plus worker; all shared state is guarded by the double's single lock."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        clock: Callable[[], float],
        url: str | None,
        secret: str | None,
        connect_secret: str | None = None,
        retry_delays: tuple[float, ...] = (0.05, 0.2, 0.5),
        timeout: float = 5.0,
    ) -> None:
        self._lock = lock
        self._cond = threading.Condition(lock)
        self._clock = clock
        self.url = url
        self.secret = secret or (new_webhook_secret() if url else None)
        self.connect_secret = connect_secret
        self.retry_delays = retry_delays
        self.timeout = timeout
        self._queue: deque[dict[str, Any]] = deque()
        self._held = False
        self._busy = False
        self._generation = 0
        self._attempts: list[dict[str, Any]] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name="stripe-double-webhooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def configure(
        self, url: str | None, secret: str | None, connect_secret: str | None = None
    ) -> str | None:
        with self._lock:
            self.url = url
            self.secret = secret or (new_webhook_secret() if url else None)
            self.connect_secret = connect_secret
            return self.secret

    def secret_for(self, event: dict[str, Any]) -> str | None:
        """The signing secret of the endpoint that receives `event` (Connect or platform)."""
        if is_connect_event(event) and self.connect_secret:
            return self.connect_secret
        return self.secret

    def reset(self) -> None:
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._attempts.clear()
            self._held = False
            self._cond.notify_all()

    # ------------------------------------------------------------------ queue control

    def enqueue(self, event: dict[str, Any]) -> None:
        """Called under the lock when the API emits an event."""
        with self._cond:
            if self.url:
                self._queue.append(event)
                self._cond.notify_all()

    def hold(self) -> None:
        with self._cond:
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()

    def pending(self) -> list[str]:
        with self._lock:
            return [event["id"] for event in self._queue]

    def attempts(self, event_id: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(a) for a in self._attempts if event_id in (None, a["event_id"])]

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until nothing is being sent and the queue is empty (or held)."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._busy and (self._held or not self._queue), timeout=timeout
            )

    def deliver_now(
        self, event: dict[str, Any], *, kind: str, timestamp: int | None = None
    ) -> list[dict[str, Any]]:
        """Send `event` synchronously (taking it out of the queue if it waits there)."""
        with self._cond:
            for queued in list(self._queue):
                if queued["id"] == event["id"]:
                    self._queue.remove(queued)
            generation = self._generation
        return self._send(event, kind=kind, generation=generation, timestamp=timestamp)

    # ------------------------------------------------------------------ sending

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping.is_set() or (self._queue and not self._held)
                )
                if self._stopping.is_set():
                    return
                event = self._queue.popleft()
                generation = self._generation
                self._busy = True
            try:
                self._send(event, kind="auto", generation=generation)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _send(
        self,
        event: dict[str, Any],
        *,
        kind: str,
        generation: int,
        timestamp: int | None = None,
    ) -> list[dict[str, Any]]:
        with self._lock:
            url, secret = self.url, self.secret_for(event)
        if not url or not secret:
            raise RuntimeError("webhook delivery is not configured (no url)")
        payload = json.dumps(event, indent=2)
        made: list[dict[str, Any]] = []
        for attempt, delay in enumerate((0.0, *self.retry_delays), start=1):
            if delay and self._stopping.wait(delay):
                break
            signed_at = timestamp if timestamp is not None else int(self._clock())
            header = sign_payload(payload, secret, signed_at)
            status, error = self._post(url, payload, header)
            record = {
                "event_id": event["id"],
                "type": event["type"],
                "attempt": attempt,
                "kind": kind,
                "status": status,
                "error": error,
                "signature": header,
                "at": self._clock(),
            }
            with self._cond:
                if generation == self._generation:
                    self._attempts.append(record)
                self._cond.notify_all()
            made.append(record)
            if status is not None and 200 <= status < 300:
                break
        return made

    def _post(self, url: str, payload: str, header: str) -> tuple[int | None, str | None]:
        request = urllib.request.Request(
            url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": header,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            return int(exc.code), None
        except (OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"

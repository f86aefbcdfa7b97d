"""A webhook receiver for the Stripe double when no Functions emulator is running (domain tests,
benchmarks): it keeps each delivery's raw bytes and signature header so the caller can verify
and apply them itself, exactly as the `stripeWebhook` function would.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookSink:
    """Receives the double's signed webhook POSTs and keeps the raw bytes and signature."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.applied = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.received.append((raw, self.headers.get("Stripe-Signature") or ""))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/stripeWebhook"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def take(self) -> list[tuple[bytes, str]]:
        with self._lock:
            new = self.received[self.applied :]
            self.applied = len(self.received)
        return new

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.applied = 0

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

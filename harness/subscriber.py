"""A local webhook subscriber on loopback that checks signatures the way real consumers do and records what came.

Twilio-format requests are checked with twilio's own ``RequestValidator``; CloudEvents ones
with the HMAC-SHA256 recipe in docs/fanout.md. ``fail_rate`` makes a seeded share of requests
answer 500, ``status`` forces every answer (e.g. 410), ``delay`` slows answers down.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from harness.loopback import LoopbackHandler


@dataclass
class Received:
    """One request as the subscriber saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    fields: dict[str, str]
    signature_ok: bool
    answered: int
    at: float

    @property
    def delivery_id(self) -> str:
        return self.headers.get("x-delivery-id", "")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Subscriber:
    """Answers POSTs on ``url``; ``received`` lists every request, failed ones included."""

    secret: str
    fail_rate: float = 0.0
    status: int | None = None
    delay: float = 0.0
    seed: int = 7
    received: list[Received] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def check(self, path: str, headers: dict[str, str], body: bytes) -> tuple[bool, dict[str, str]]:
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            url = f"{self.url.split(':', 1)[0]}://{headers['host']}{path}"
            ok = RequestValidator(self.secret).validate(url, fields, headers.get("x-twilio-signature", ""))
            return bool(ok), fields
        timestamp = headers.get("x-signature-timestamp", "")
        expected = "sha256=" + hmac.new(self.secret.encode(), timestamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
        return fresh and hmac.compare_digest(expected, headers.get("x-signature", "")), {}

    def answer(self) -> int:
        if self.status is not None:
            return self.status
        with self._lock:
            failing = self._rng.random() < self.fail_rate
        return 500 if failing else 200

    def delivered(self) -> list[Received]:
        """Requests answered 2xx, in arrival order."""
        with self._lock:
            return [r for r in self.received if 200 <= r.answered < 300]

    def delivered_ids(self) -> set[str]:
        return {r.delivery_id for r in self.delivered()}

    def wait_for(self, count: int, *, timeout: float = 60.0) -> list[Received]:
        """Wait until ``count`` distinct deliveries succeeded (or the timeout); returns the successful ones."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.delivered_ids()) < count:
            time.sleep(0.05)
        return self.delivered()


def _handler(sub: Subscriber) -> type[BaseHTTPRequestHandler]:
    class Handler(LoopbackHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok, fields = sub.check(self.path, headers, body)
            if sub.delay:
                time.sleep(sub.delay)
            # Like a real consumer: a request whose signature does not check out (forged, or torn when the
            # sender died mid-request) is refused, so it never counts as delivered and the sender retries.
            status = sub.answer() if ok and len(body) == length else 403
            with sub._lock:
                sub.received.append(Received(self.path, headers, body, fields, ok, status, time.time()))
            self.send_json(b'{"ok":true}' if status < 300 else b'{"error":"subscriber says no"}', status)

    return Handler


@contextmanager
def running_subscriber(
    secret: str, *, path: str = "/hooks/twilio", tls: ssl.SSLContext | None = None, host_name: str = "127.0.0.1",
    **options: Any,
) -> Iterator[Subscriber]:
    """A subscriber on 127.0.0.1 (free port), https when ``tls`` is given; stopped when the block ends."""
    sub = Subscriber(secret=secret, **options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sub))
    server.daemon_threads = True
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    sub.url = f"{'https' if tls else 'http'}://{host_name}:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, name="subscriber", daemon=True)
    thread.start()
    try:
        yield sub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

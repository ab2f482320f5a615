"""The base of the small HTTP servers tests and benchmarks run on loopback (subscriber, OpenID issuer, stats)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from typing import Any


class LoopbackHandler(BaseHTTPRequestHandler):
    """A request handler that keeps stderr quiet and answers JSON with ``send_json``."""

    def send_json(self, body: bytes, status: int = 200) -> None:
        """Answer ``status`` with ``body`` (already JSON) and its length."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass

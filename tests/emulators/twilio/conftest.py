"""Fixtures: one recorded stand-in for the session, spec validation after every test, a webhook receiver."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from .spec_check import SPECS_DIR, SpecChecker
from .standin import LIVE, PROBLEMS, StandIn, stand_in


@pytest.fixture(scope="session")
def spec_checker() -> Iterator[SpecChecker]:
    if not (SPECS_DIR / "twilio_conversations_v1.json").is_file():
        pytest.fail(f"Twilio specs missing at {SPECS_DIR}: clone the repo beside shared/")
    checker = SpecChecker(SPECS_DIR)
    yield checker
    report = os.environ.get("TWILIO_SPEC_REPORT")
    if report:  # which route/status pairs were validated, for auditing coverage
        Path(report).write_text("\n".join(sorted(checker.routes_seen)) + f"\nchecked {checker.checked}\n")


@pytest.fixture(scope="session")
def twilio(spec_checker: SpecChecker) -> Iterator[StandIn]:
    """The shared stand-in (seed 7, recording every exchange). Tests create their own records."""
    with stand_in(spec_checker, "--seed", "7", "--time-scale", "10") as server:
        yield server


@pytest.fixture(autouse=True)
def _responses_match_the_specs(spec_checker: SpecChecker) -> Iterator[None]:
    """Fail the test if any response a stand-in gave during it does not validate against the specs."""
    PROBLEMS.clear()
    yield
    for server in list(LIVE):
        server.collect(spec_checker)
    problems = list(PROBLEMS)
    PROBLEMS.clear()
    if problems:
        pytest.fail("responses that do not match the Twilio specs:\n" + "\n".join(str(p) for p in problems[:20]),
                    pytrace=False)


@pytest.fixture
def client(twilio: StandIn) -> Any:
    return twilio.client()


# ---------------------------------------------------------------------- webhook receiver (loopback only)
@dataclass
class Received:
    """One request the receiver got."""

    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]


@dataclass
class Receiver:
    """A small threaded HTTP server on 127.0.0.1 that stores what it receives."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    store: list[Received] = []
    holder: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            host = self.headers["Host"]
            _path, _, query = self.path.partition("?")
            params = dict(parse_qsl(body if self.command == "POST" else query, keep_blank_values=True))
            store.append(Received(self.command, f"http://{host}{self.path}", dict(self.headers.items()), params))
            self.send_response(holder["r"].status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = _handle
        do_GET = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    rec = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook", requests=store)
    holder["r"] = rec
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()



_SDK_WARNINGS = (
    # twilio 9.13's async client still uses aiohttp.BasicAuth / auth=..., deprecated in aiohttp 3.14.
    "ignore:BasicAuth is deprecated:DeprecationWarning",
    "ignore:The 'auth' parameter is deprecated:DeprecationWarning",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            for spec in _SDK_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))

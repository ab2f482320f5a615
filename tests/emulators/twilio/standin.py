"""Start the Twilio stand-in as a real process and point the real, unmodified SDK at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from harness.process import RunningService, python_module_argv, start_service

from .spec_check import Problem, SpecChecker

LIVE: list[StandIn] = []
PROBLEMS: list[Problem] = []


class StandIn:
    """A running stand-in: its ready-line info plus admin helpers and SDK client factories."""

    def __init__(self, service: RunningService) -> None:
        self.service = service
        self.info: dict[str, Any] = service.info
        self.url: str = self.info["url"]
        self.account_sid: str = self.info["account_sid"]
        self.auth_token: str = self.info["auth_token"]
        self.api_key_sid: str = self.info["api_key_sid"]
        self.api_key_secret: str = self.info["api_key_secret"]
        self.http = httpx.Client(base_url=self.url, auth=(self.account_sid, self.auth_token), timeout=30)

    # ------------------------------------------------------------------ SDK clients (documented extension point)
    def client(self, username: str | None = None, password: str | None = None, **kwargs: Any) -> Client:
        """A sync ``twilio.rest.Client`` whose Conversations and Chat domains use our base URL."""
        client = Client(username or self.account_sid, password or self.auth_token, **kwargs)
        client.conversations.base_url = self.url
        client.chat.base_url = self.url
        return client

    def async_client(self, http: AsyncTwilioHttpClient, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Client:
        """Same, on the aiohttp-based ``AsyncTwilioHttpClient`` (build it inside the running loop)."""
        client = Client(username or self.account_sid, password or self.auth_token, http_client=http, **kwargs)
        client.conversations.base_url = self.url
        client.chat.base_url = self.url
        return client

    # ------------------------------------------------------------------ admin
    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, f"/_admin/{path}", **kwargs)
        response.raise_for_status()
        return response.json()

    def set_faults(self, spec: str) -> dict[str, Any]:
        return self.admin("POST", "faults", content=spec)  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        self.admin("DELETE", "faults")

    def collect(self, checker: SpecChecker) -> None:
        """Validate and clear every exchange recorded so far; problems go to ``PROBLEMS``."""
        exchanges = self.admin("GET", "exchanges", params={"clear": "1"})["exchanges"]
        PROBLEMS.extend(checker.check_all(exchanges))

    def stop(self) -> None:
        self.http.close()
        self.service.stop()


@contextmanager
def stand_in(checker: SpecChecker, *args: str, record: bool = True) -> Iterator[StandIn]:
    """Start a stand-in with extra CLI ``args``; validate its exchanges before it stops."""
    argv = python_module_argv("emulators.twilio", *(["--record"] if record else []), *args)
    server = StandIn(start_service("twilio-stand-in", argv, timeout=30))
    LIVE.append(server)
    try:
        yield server
    finally:
        LIVE.remove(server)
        try:
            if record:
                server.collect(checker)
        finally:
            server.stop()

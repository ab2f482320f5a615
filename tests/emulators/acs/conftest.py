"""Fixtures: a session stand-in (time-scale 0.01), SDK clients, and spec checks of every exchange.

Every test that talks to a stand-in started here has all the responses it caused checked
against the official Swagger specs, and all the events it caused against the Event Grid
schemas and examples, when it finishes (``_spec_guard``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.communication.chat import ChatClient, CommunicationTokenCredential
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)

from harness.process import RunningService, python_module_argv, start_service

from .specs import EventSpec, SpecSet

TIME_SCALE = "0.01"


@dataclass
class Acs:
    """A running stand-in: its ready line, an admin helper and a cursor for spec checks."""

    service: RunningService
    session: requests.Session = field(default_factory=requests.Session)
    exchange_cursor: int = 0
    event_cursor: int = 0

    @property
    def info(self) -> dict[str, Any]:
        return self.service.info

    @property
    def endpoint(self) -> str:
        return str(self.info["endpoint"])

    @property
    def connection_string(self) -> str:
        return str(self.info["connection_string"])

    @property
    def bundle(self) -> str:
        return str(self.info["ca_bundle"])

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.info['admin']}{path}", json=json, verify=self.bundle, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def new_exchanges(self) -> list[dict[str, Any]]:
        data = self.admin("GET", f"/exchanges?since={self.exchange_cursor}")
        self.exchange_cursor = data["next"]
        return list(data["exchanges"])

    def new_events(self) -> list[dict[str, Any]]:
        entries = self.admin("GET", f"/events?since={self.event_cursor}")["events"]
        if entries:
            self.event_cursor = entries[-1]["seq"]
        return list(entries)

    def identity(self) -> CommunicationIdentityClient:
        return CommunicationIdentityClient.from_connection_string(self.connection_string)

    def user(self, scopes: list[str] | None = None) -> tuple[CommunicationUserIdentifier, str]:
        """A new user and a chat token for it, through the real identity SDK."""
        user, token = self.identity().create_user_and_token([CommunicationTokenScope(s) for s in (scopes or ["chat"])])
        return user, token.token

    def chat(self, token: str) -> ChatClient:
        return ChatClient(self.endpoint, CommunicationTokenCredential(token))


@pytest.fixture(scope="session")
def specs(shared_dir: Path) -> SpecSet:
    return SpecSet.load(shared_dir)


@pytest.fixture(scope="session")
def event_spec(shared_dir: Path, specs: SpecSet) -> EventSpec:
    return EventSpec.load(shared_dir, specs)


def start_acs(cert_dir: Path, *flags: str, env: dict[str, str] | None = None) -> Acs:
    """Start a stand-in with ``flags`` (port 0), reusing the session's CA from ``cert_dir``."""
    argv = python_module_argv("emulators.acs", "--port", "0", "--cert-dir", str(cert_dir), *flags)
    return Acs(start_service("acs", argv, env=env))


@pytest.fixture(scope="session")
def cert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One CA for every stand-in of the session (``--cert-dir``), so one bundle trusts them all."""
    return tmp_path_factory.mktemp("acs-ca")


def spec_problems(server: Acs, specs: SpecSet, event_spec: EventSpec) -> list[str]:
    """Every response and event ``server`` gave since the last check, measured against the specs."""
    problems: list[str] = []
    for exchange in server.new_exchanges():
        problems += specs.check_exchange(exchange)
    for entry in server.new_events():
        problems += event_spec.check(entry["event"], entry["schema"])
    return problems


def _fail_on(problems: list[str]) -> None:
    if problems:
        pytest.fail("responses or events outside the official specs:\n" + "\n".join(problems[:40]), pytrace=False)


@pytest.fixture(scope="session")
def acs(cert_dir: Path) -> Iterator[Acs]:
    """The shared stand-in (seed 7, time-scale 0.01); trusted process-wide by the sync SDK."""
    server = start_acs(cert_dir, "--time-scale", TIME_SCALE, "--seed", "7")
    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = server.bundle
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous
        server.service.stop()


@pytest.fixture(autouse=True)
def _spec_guard(acs: Acs, specs: SpecSet, event_spec: EventSpec) -> Iterator[None]:
    """After each test: everything the shared stand-in answered or emitted must match the specs."""
    yield
    _fail_on(spec_problems(acs, specs, event_spec))


@pytest.fixture
def acs_factory(specs: SpecSet, event_spec: EventSpec, cert_dir: Path, acs: Acs) -> Iterator[Callable[..., Acs]]:
    """Start extra stand-ins with other flags; each is spec-checked, then stopped, when the test ends."""
    started: list[Acs] = []

    def factory(*flags: str, env: dict[str, str] | None = None) -> Acs:
        server = start_acs(cert_dir, *flags, env=env)
        assert server.bundle == acs.bundle
        started.append(server)
        return server

    yield factory
    problems: list[str] = []
    for server in started:
        try:
            problems += spec_problems(server, specs, event_spec)
        finally:
            server.service.stop()
    _fail_on(problems)

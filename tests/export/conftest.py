"""Export tests: the real SDKs against the session stand-ins (ACS time-scale 0.01) and Azurite."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.process import RunningService, running
from shared.container import AppContainer
from shared.export import ExportEngine
from tests.standins import ACS_TIME_SCALE, acs_argv

from .seeding import TwilioSeeder
from .slices import SliceKit


@pytest.fixture
def export_environ(standin_environ: dict[str, str]) -> dict[str, str]:
    """The stand-in settings with the export's pacing scaled like the ACS stand-in's limits."""
    return dict(standin_environ, EXPORT_RATE_TIME_SCALE=ACS_TIME_SCALE, EXPORT_CONCURRENCY="8",
                EXPORT_MAX_ATTEMPTS="8", EXPORT_FLUSH_EVERY="5")


@pytest.fixture
def container(export_environ: dict[str, str]) -> AppContainer:
    built = AppContainer.from_environ(export_environ)
    assert built.settings_error is None, built.settings_error
    return built


@pytest.fixture
def engine(container: AppContainer) -> Iterator[ExportEngine]:
    engine = container.export_engine
    yield engine
    engine.close()


@pytest.fixture
def seeder(twilio_standin: RunningService) -> Iterator[TwilioSeeder]:
    info = twilio_standin.info
    seeder = TwilioSeeder(str(info["url"]), str(info["account_sid"]), str(info["auth_token"]))
    yield seeder
    seeder.close()


class AcsAdmin:
    """Reads the ACS stand-in's state through its admin routes (what a test asserts against)."""

    def __init__(self, info: dict[str, Any]) -> None:
        trust = ssl.create_default_context(cafile=str(info["ca_bundle"]))
        self.http = httpx.Client(base_url=str(info["admin"]), verify=trust,
                                 timeout=30)

    def thread(self, thread_id: str) -> dict[str, Any]:
        response = self.http.get(f"/threads/{thread_id}")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def user_messages(self, thread_id: str) -> list[dict[str, Any]]:
        """Non-system messages in arrival order."""
        return [m for m in self.thread(thread_id)["messages"] if m["type"] in ("text", "html")]

    def set_faults(self, spec: str, seed: int = 1) -> None:
        self.http.put("/faults", json={"spec": spec, "seed": seed}).raise_for_status()

    def counters(self) -> dict[str, Any]:
        data: dict[str, Any] = self.http.get("/counters").json()
        return data

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def own_acs() -> Iterator[RunningService]:
    """An ACS stand-in of the test's own, so the faults it sets disturb no other test."""
    with running("acs-faults", acs_argv(seed=11), timeout=60) as service:
        yield service


@pytest.fixture
def faulty(export_environ: dict[str, str], own_acs: RunningService) -> Iterator[tuple[ExportEngine, AppContainer,
                                                                                       AcsAdmin]]:
    """The export engine on ``own_acs``, its container, and the admin reader of that stand-in."""
    environ = dict(export_environ, ACS_CONNECTION_STRING=str(own_acs.info["connection_string"]),
                   ACS_CA_BUNDLE=str(own_acs.info["ca_bundle"]))
    container = AppContainer.from_environ(environ)
    engine = container.export_engine
    admin = AcsAdmin(own_acs.info)
    yield engine, container, admin
    engine.close()
    admin.close()


@pytest.fixture
def acs_admin(acs_standin: RunningService) -> Iterator[AcsAdmin]:
    admin = AcsAdmin(acs_standin.info)
    yield admin
    admin.close()


@pytest.fixture
def kit(container: AppContainer, engine: ExportEngine) -> Iterator[SliceKit]:
    """The exporter's collaborators, each built on its own."""
    built = SliceKit(container, engine)
    yield built
    built.close()

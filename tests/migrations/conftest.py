"""Migration runs end to end: the app's migration Blueprint served by the local host stand-in, pumping
real Azurite queues, against the Twilio and ACS stand-ins."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.azurite import free_port
from emulators.host import LocalHost, local_host_in_thread
from function_app import create_app
from harness.process import RunningService, wait_for
from shared.container import AppContainer
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder
from tests.standins import ACS_TIME_SCALE

FUNCTION_KEY = "migration-tests-function-key"
ADMIN_KEY = "migration-tests-admin-key"


@dataclass
class MigrationHost:
    """The served app: its URL, an HTTP client with the function key, its container and host."""

    host: LocalHost
    http: httpx.Client
    container: AppContainer
    environ: dict[str, str]

    def invocations(self, name: str) -> int:
        return int(self.host.status()["functions"].get(name, {}).get("invocations", 0))


def eventually(check: Callable[[], Any], *, timeout: float = 90.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    try:
        return wait_for(check, timeout=timeout, what=what, every=0.1)
    except TimeoutError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def host_port() -> int:
    """The port the host will serve on, known before the app is built: its public URL is a setting."""
    return free_port()


@pytest.fixture
def migration_environ(standin_environ: dict[str, str], host_port: int) -> dict[str, str]:
    return dict(
        standin_environ,
        PUBLIC_BASE_URL=f"http://127.0.0.1:{host_port}",  # what Twilio calls; signatures are checked against it
        EXPORT_RATE_TIME_SCALE=ACS_TIME_SCALE,
        EXPORT_SLICE_SECONDS="0.4",  # short slices: a conversation needs several invocations
        EXPORT_LEASE_SECONDS="5",
        EXPORT_FLUSH_EVERY="5",
        MIGRATION_PLAN_SECONDS="10",
        LIVE_SYNC_DELAY_SECONDS="0.3",
        NIGHTLY_SCHEDULE="0 0 2 * * *",
    )


@pytest.fixture
def host_json(tmp_path: Path) -> Path:
    path = tmp_path / "host.json"
    path.write_text(json.dumps({"version": "2.0", "extensions": {"queues": {
        "batchSize": 8, "newBatchThreshold": 4, "maxPollingInterval": "00:00:00.200",
        "visibilityTimeout": "00:00:00.500", "maxDequeueCount": 2, "messageEncoding": "base64",
    }}}))
    return path


@pytest.fixture
def served(migration_environ: dict[str, str], host_json: Path, host_port: int) -> Iterator[MigrationHost]:
    container = AppContainer.from_environ(migration_environ)
    assert container.settings_error is None, container.settings_error
    app = create_app(container)
    with local_host_in_thread(app, settings=migration_environ, host_json=host_json, function_key=FUNCTION_KEY,
                              admin_key=ADMIN_KEY, port=host_port) as host:
        http = httpx.Client(base_url=host.url, headers={"x-functions-key": FUNCTION_KEY}, timeout=30)
        try:
            yield MigrationHost(host, http, container, migration_environ)
        finally:
            http.close()
            if "export_engine" in container.__dict__:
                container.export_engine.close()


@pytest.fixture
def seeder(twilio_standin: RunningService) -> Iterator[TwilioSeeder]:
    info = twilio_standin.info
    seeder = TwilioSeeder(str(info["url"]), str(info["account_sid"]), str(info["auth_token"]))
    yield seeder
    seeder.close()


@pytest.fixture
def acs_admin(acs_standin: RunningService) -> Iterator[AcsAdmin]:
    admin = AcsAdmin(acs_standin.info)
    yield admin
    admin.close()

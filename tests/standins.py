"""Session-wide stand-ins for Twilio and ACS, shared by every feature's tests (a pytest plugin).

Started once per session as real processes on loopback (``harness.process``) and stopped
by PID. Feature tests isolate themselves by creating their own users, threads and
conversations, never by resetting a stand-in other tests share.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.app_settings import standin_settings
from harness.process import RunningService, python_module_argv, running, start_service

TWILIO_ACCOUNT_SID = "AC" + "5" * 32
TWILIO_AUTH_TOKEN = "standin-auth-token-0123456789abcdef"
ACS_TIME_SCALE = "0.01"  # ACS's 30-per-minute windows become 30 per 0.6 s


def acs_argv(*, seed: int) -> list[str]:
    """The argv of an ACS stand-in on a free loopback port at ``ACS_TIME_SCALE``."""
    return python_module_argv("emulators.acs", "--host", "127.0.0.1", "--port", "0", "--time-scale", ACS_TIME_SCALE,
                              "--seed", str(seed))


@pytest.fixture(scope="session")
def acs_standin() -> Iterator[RunningService]:
    """The ACS stand-in (HTTPS); ``info`` has endpoint, connection_string, ca_bundle."""
    with running("acs", acs_argv(seed=7), timeout=60) as service:
        yield service


@pytest.fixture(scope="session")
def twilio_standin() -> Iterator[RunningService]:
    """The Twilio stand-in; ``info`` has url, account_sid, auth_token."""
    service = start_service(
        "twilio",
        python_module_argv("emulators.twilio", "--host", "127.0.0.1", "--port", "0",
                           "--account-sid", TWILIO_ACCOUNT_SID, "--auth-token", TWILIO_AUTH_TOKEN, "--seed", "7"),
        timeout=60,
    )
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def standin_environ(
    app_environ: dict[str, str], acs_standin: RunningService, twilio_standin: RunningService
) -> dict[str, str]:
    """``app_environ`` pointed at both stand-ins: the settings a deployed app would have, locally."""
    return {**app_environ, **standin_settings(
        storage_connection_string=app_environ["AzureWebJobsStorage"], twilio=twilio_standin, acs=acs_standin,
    )}

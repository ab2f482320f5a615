"""Fixtures: the sample app's settings with fresh queue names, and an in-process LocalHost factory."""

from __future__ import annotations

import asyncio
import inspect
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from emulators.host import HostConfig, LocalHost
from tests.emulators.host.sample_app.function_app import app as sample_app

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_app"
SAMPLE_HOST_JSON = SAMPLE_DIR / "host.json"
FUNCTION_KEY = "test-function-key"
ADMIN_KEY = "test-admin-key"
HostFactory = Callable[..., Awaitable[LocalHost]]


@pytest.fixture
def sample_settings() -> dict[str, str]:
    """App settings for the sample app; queue names are unique per test so tests never share messages."""
    suffix = uuid.uuid4().hex[:10]
    return {
        **os.environ,
        "SAMPLE_ROUTE": "configured",
        "SAMPLE_SCHEDULE": "0 */5 * * * *",
        "SAMPLE_FLAKY_QUEUE": f"flaky-{suffix}",
        "SAMPLE_POISON_QUEUE": f"doomed-{suffix}",
        "SAMPLE_TEXT_QUEUE": f"text-{suffix}",
    }


@pytest_asyncio.fixture
async def make_host(sample_settings: dict[str, str]) -> AsyncIterator[HostFactory]:
    """Start LocalHosts over the sample app (queues off unless asked); all are stopped at the end."""
    started: list[LocalHost] = []

    async def factory(**overrides: Any) -> LocalHost:
        options: dict[str, Any] = {
            "host_json": SAMPLE_HOST_JSON,
            "function_key": FUNCTION_KEY,
            "admin_key": ADMIN_KEY,
            "queues": False,
            "settings": sample_settings,
        }
        options.update(overrides)
        host = LocalHost(sample_app, **options)
        await host.start()
        started.append(host)
        return host

    yield factory
    for host in started:
        await host.stop()


@pytest_asyncio.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def eventually(check: Callable[[], Any], *, within: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``check`` (sync, or returning an awaitable) until it gives something truthy; fail after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {within:.0f} s (last value {result!r})")
        await asyncio.sleep(interval)


def host_config(**queue_options: Any) -> HostConfig:
    """The sample host.json with some ``extensions.queues`` keys replaced."""
    import json

    raw = json.loads(SAMPLE_HOST_JSON.read_text())
    raw["extensions"]["queues"].update(queue_options)
    return HostConfig.from_json(raw)

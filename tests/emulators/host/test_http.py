"""HTTP functions through the real server over loopback: routing, methods, auth levels, request/response mapping."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.emulators.host.conftest import ADMIN_KEY, FUNCTION_KEY, HostFactory, eventually
from tests.emulators.host.sample_app.recorder import recorded, release_blocked

pytestmark = pytest.mark.asyncio


async def test_anonymous_route_maps_request_and_response(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    async with client.post(
        f"{host.url}/api/hello?name=Ada&tag=a&tag=b", data=b"payload", headers={"x-test": "yes"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers.getall("Set-Cookie") == ["a=1", "b=2"]
        body = await response.json()
    assert body["method"] == "POST"
    assert body["params"] == {"name": "Ada", "tag": "a,b"}
    assert body["x_test"] == "yes"
    assert body["body"] == "payload"
    assert body["url"].startswith(f"{host.url}/api/hello?")


async def test_unknown_paths_are_404_and_wrong_methods_405(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    for path in ("/hello", "/api/nope", "/api/items/abc/extra", "/other/hello"):
        async with client.get(f"{host.url}{path}") as response:
            assert response.status == 404, path
    async with client.put(f"{host.url}/api/hello") as response:
        assert response.status == 405
    async with client.get(f"{host.url}/api/echo") as response:
        assert response.status == 405


async def test_function_level_accepts_function_or_admin_key_by_query_or_header(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    url = f"{host.url}/api/items/42"
    async with client.get(url) as response:
        assert response.status == 401
    async with client.get(url, params={"code": "wrong"}) as response:
        assert response.status == 401
    async with client.get(url, params={"code": FUNCTION_KEY}) as response:
        assert response.status == 200
        assert await response.json() == {"id": "42"}
    async with client.get(url, headers={"x-functions-key": FUNCTION_KEY}) as response:
        assert response.status == 200
    async with client.get(url, headers={"x-functions-key": ADMIN_KEY}) as response:
        assert response.status == 200


async def test_admin_level_needs_the_admin_key(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    url = f"{host.url}/api/ops/rebuild"
    async with client.post(url) as response:
        assert response.status == 401
    async with client.post(url, headers={"x-functions-key": FUNCTION_KEY}) as response:
        assert response.status == 401
    async with client.post(url, params={"code": ADMIN_KEY}) as response:
        assert response.status == 200
        assert await response.json() == {"op": "rebuild"}


async def test_route_templates(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    key = {"code": FUNCTION_KEY}
    async with client.get(f"{host.url}/api/items/abc", params=key) as response:
        assert response.status == 404  # {id:int} refuses non-numbers
    async with client.get(f"{host.url}/api/ITEMS/special/") as response:
        assert response.status == 200  # literal segments win and match case-insensitively
        assert await response.json() == {"special": True}
    async with client.get(f"{host.url}/api/files/a/b/c.txt") as response:
        assert await response.json() == {"path": "a/b/c.txt"}
    async with client.get(f"{host.url}/api/greet") as response:
        assert await response.text() == "hi nobody"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    async with client.get(f"{host.url}/api/greet/Bo") as response:
        assert await response.text() == "hi Bo"


async def test_async_handler_and_binary_body(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    payload = bytes(range(256))
    async with client.post(f"{host.url}/api/echo", data=payload) as response:
        assert response.status == 201
        assert response.headers["Content-Type"] == "application/octet-stream"
        assert await response.read() == payload


async def test_failing_handler_gives_500_and_is_counted(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    async with client.get(f"{host.url}/api/boom") as response:
        assert response.status == 500
    async with client.get(f"{host.url}/admin/host/status", headers={"x-functions-key": ADMIN_KEY}) as response:
        status = await response.json()
    assert status["functions"]["boom"]["failures"] == 1
    assert "RuntimeError: boom" in status["functions"]["boom"]["last_error"]
    async with client.get(f"{host.url}/admin/host/status", headers={"x-functions-key": FUNCTION_KEY}) as response:
        assert response.status == 401


async def test_sync_handler_runs_off_the_event_loop(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    release_blocked.clear()
    before = len(recorded("blocked"))
    blocked = asyncio.create_task(client.get(f"{host.url}/api/block"))
    try:
        await eventually(lambda: len(recorded("blocked")) > before)  # the handler now holds a worker thread
        async with client.get(f"{host.url}/api/hello") as response:
            assert response.status == 200  # served while the other handler still holds its thread
        assert not blocked.done()
    finally:
        release_blocked.set()
    async with await blocked as response:
        assert await response.json() == {"released": True}


async def test_setting_expression_in_route_and_context_argument(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    async with client.get(f"{host.url}/api/configured/ping") as response:
        assert response.status == 200
        assert await response.json() == {"pong": "configured_route"}
    assert recorded("context")[-1]["function_name"] == "configured_route"


async def test_route_prefix_from_host_json(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    from emulators.host import HostConfig

    host = await make_host(host_json=HostConfig(route_prefix=""))
    async with client.get(f"{host.url}/hello") as response:
        assert response.status == 200
    async with client.get(f"{host.url}/api/hello") as response:
        assert response.status == 404

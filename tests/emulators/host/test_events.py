"""Timer and Event Grid functions: the admin endpoint and the Event Grid webhook, over loopback."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest

from emulators.host.invoker import sync_pool_size
from tests.emulators.host.conftest import ADMIN_KEY, FUNCTION_KEY, HostFactory, eventually
from tests.emulators.host.sample_app.recorder import recorded

pytestmark = pytest.mark.asyncio
ADMIN = {"x-functions-key": ADMIN_KEY}


def grid_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "id": uuid.uuid4().hex,
        "topic": "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
        "subject": "thread/1/sender/8:acs:1",
        "eventType": "Microsoft.Communication.ChatMessageReceived",
        "eventTime": "2026-11-01T10:00:00.1234567Z",
        "dataVersion": "1.0",
        "data": {"messageBody": "hi"},
    }
    event.update(overrides)
    return event


def cloud_event(**overrides: Any) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/acs",
        "type": "Microsoft.Communication.ChatThreadCreated",
        "time": "2026-11-01T10:00:00Z",
        "data": {"threadId": "19:x"},
    }
    event.update(overrides)
    return event


def events_with(event_id: str) -> list[dict[str, Any]]:
    return [r for r in recorded("event") if r["id"] == event_id]


async def test_admin_endpoint_fires_a_timer(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    before = len(recorded("timer"))
    async with client.post(f"{host.url}/admin/functions/nightly", json={"input": ""}, headers=ADMIN) as response:
        assert response.status == 202
    await eventually(lambda: len(recorded("timer")) > before)
    assert recorded("timer")[-1] == {"past_due": False, "timer_class": "TimerRequest"}


async def test_admin_endpoint_needs_the_admin_key_and_a_known_function(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    url = f"{host.url}/admin/functions/nightly"
    async with client.post(url, json={"input": ""}) as response:
        assert response.status == 401
    async with client.post(url, json={"input": ""}, headers={"x-functions-key": FUNCTION_KEY}) as response:
        assert response.status == 401
    async with client.post(f"{host.url}/admin/functions/nope", json={}, headers=ADMIN) as response:
        assert response.status == 404
    async with client.post(f"{host.url}/admin/functions/hello", json={}, headers=ADMIN) as response:
        assert response.status == 400  # HTTP functions are called through their route
    async with client.post(f"{host.url}/admin/functions/on_event", json={"input": "{bad"}, headers=ADMIN) as response:
        assert response.status == 400


@pytest.mark.parametrize("make_event", [grid_event, cloud_event], ids=["eventgrid-schema", "cloudevents"])
async def test_admin_endpoint_fires_event_grid_in_both_schemas(
    make_host: HostFactory, client: aiohttp.ClientSession, make_event: Any
) -> None:
    host = await make_host()
    event = make_event()
    url = f"{host.url}/admin/functions/on_event"
    async with client.post(url, json={"input": json.dumps(event)}, headers=ADMIN) as response:
        assert response.status == 202
    (seen,) = await eventually(lambda: events_with(event["id"]))
    assert seen["schema"] == ("cloudevents" if "specversion" in event else "eventgrid")
    assert seen["type"] == event.get("eventType", event.get("type"))
    assert seen["data"] == event["data"]


async def test_webhook_answers_the_subscription_validation_handshake(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    validation = grid_event(
        eventType="Microsoft.EventGrid.SubscriptionValidationEvent",
        data={"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6", "validationUrl": "https://example.invalid"},
    )
    url = f"{host.url}/runtime/webhooks/eventgrid"
    params = {"functionName": "on_event", "code": FUNCTION_KEY}
    headers = {"aeg-event-type": "SubscriptionValidation"}
    async with client.post(url, params=params, json=[validation], headers=headers) as response:
        assert response.status == 200
        assert await response.json() == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}
    assert events_with(validation["id"]) == []
    origin = {"WebHook-Request-Origin": "eventgrid.azure.net"}
    async with client.options(url, params=params, headers=origin) as response:
        assert response.status == 200
        assert response.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"


async def test_webhook_delivers_each_event_of_a_batch(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    url = f"{host.url}/runtime/webhooks/eventgrid"
    params = {"functionName": "on_event", "code": FUNCTION_KEY}
    batch = [grid_event(), grid_event()]
    notify = {"aeg-event-type": "Notification"}
    async with client.post(url, params=params, json=batch, headers=notify) as response:
        assert response.status == 202
    assert all(len(events_with(e["id"])) == 1 for e in batch)
    single = cloud_event()
    ce_headers = {"Content-Type": "application/cloudevents+json; charset=utf-8"}
    async with client.post(url, params=params, data=json.dumps(single), headers=ce_headers) as response:
        assert response.status == 202
    assert events_with(single["id"])[0]["schema"] == "cloudevents"
    ce_batch = [cloud_event(), cloud_event()]
    async with client.post(url, params={**params, "code": ADMIN_KEY}, json=ce_batch) as response:
        assert response.status == 202
    assert all(len(events_with(e["id"])) == 1 for e in ce_batch)


def meeting_batch(parties: int, seconds: float) -> list[dict[str, Any]]:
    """A batch whose events each wait for all the others to be running (the barrier breaks after ``seconds``)."""
    meet = {"key": uuid.uuid4().hex, "parties": parties, "seconds": seconds}
    return [grid_event(data={"meet": meet}) for _ in range(parties)]


async def test_webhook_runs_the_events_of_a_batch_concurrently(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    """As the Event Grid extension does (single dispatch: every invocation started, then all awaited)."""
    host = await make_host()
    batch = meeting_batch(4, 30.0)
    params = {"functionName": "on_event", "code": FUNCTION_KEY}
    async with client.post(f"{host.url}/runtime/webhooks/eventgrid", params=params, json=batch) as response:
        assert response.status == 202
    assert all(len(events_with(e["id"])) == 1 for e in batch)
    counters = host.counters.snapshot()["functions"]["on_event"]
    assert (counters["successes"], counters["failures"]) == (4, 0)


async def test_webhook_concurrency_is_bounded_by_python_threadpool_thread_count(
    make_host: HostFactory, client: aiohttp.ClientSession, sample_settings: dict[str, str]
) -> None:
    """PYTHON_THREADPOOL_THREAD_COUNT=1: the worker runs one sync invocation at a time, so the barrier breaks."""
    host = await make_host(settings={**sample_settings, "PYTHON_THREADPOOL_THREAD_COUNT": "1"})
    batch = meeting_batch(2, 1.0)
    params = {"functionName": "on_event", "code": FUNCTION_KEY}
    async with client.post(f"{host.url}/runtime/webhooks/eventgrid", params=params, json=batch) as response:
        assert response.status == 500
    counters = host.counters.snapshot()["functions"]["on_event"]
    assert (counters["successes"], counters["failures"]) == (0, 2)


@pytest.mark.parametrize(("value", "expected"), [("", None), ("1", 1), ("16", 16), ("0", None), ("-3", None),
                                                  ("lots", None), (" 4 ", 4)])
async def test_sync_pool_size_follows_the_python_worker(value: str, expected: int | None) -> None:
    assert sync_pool_size({"PYTHON_THREADPOOL_THREAD_COUNT": value}) == expected
    assert sync_pool_size({}) is None


async def test_webhook_answers_500_when_an_event_fails(make_host: HostFactory, client: aiohttp.ClientSession) -> None:
    host = await make_host()
    url = f"{host.url}/runtime/webhooks/eventgrid"
    params = {"functionName": "on_event", "code": FUNCTION_KEY}
    ok, failing = grid_event(), grid_event(data={"fail": True})
    async with client.post(url, params=params, json=[ok, failing]) as response:
        assert response.status == 500  # Event Grid retries the delivery
    assert len(events_with(ok["id"])) == len(events_with(failing["id"])) == 1
    counters = host.counters.snapshot()["functions"]["on_event"]
    assert (counters["successes"], counters["failures"]) == (1, 1)


async def test_webhook_refuses_bad_keys_unknown_functions_and_bad_bodies(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host(eventgrid_key="system-key")
    url = f"{host.url}/runtime/webhooks/eventgrid"
    async with client.post(url, params={"functionName": "on_event"}, json=[grid_event()]) as response:
        assert response.status == 401
    async with client.post(url, params={"functionName": "on_event", "code": FUNCTION_KEY}, json=[]) as response:
        assert response.status == 401  # a distinct system key replaces the function key
    async with client.post(url, params={"functionName": "nightly", "code": "system-key"}, json=[]) as response:
        assert response.status == 404  # not an Event Grid function
    async with client.post(url, params={"functionName": "on_event", "code": "system-key"}, data=b"[1]") as response:
        assert response.status == 400


async def test_admin_endpoint_fires_a_queue_function_with_the_input_as_body(
    make_host: HostFactory, client: aiohttp.ClientSession
) -> None:
    host = await make_host()
    key = uuid.uuid4().hex
    body = json.dumps({"key": key, "fail_times": 0})
    async with client.post(f"{host.url}/admin/functions/flaky", json={"input": body}, headers=ADMIN) as response:
        assert response.status == 202
    (seen,) = await eventually(lambda: [r for r in recorded("flaky") if r["key"] == key])
    assert (seen["raw"], seen["dequeue_count"]) == (body, 1)

"""Queue triggers pumped from real Azurite: delivery, retries, poison queue, encodings, host.json options."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from emulators.host import LocalHost
from tests.emulators.host.conftest import HostFactory, eventually, host_config
from tests.emulators.host.sample_app.recorder import recorded

pytestmark = pytest.mark.asyncio
QueueFactory = Callable[..., QueueClient]


@pytest.fixture
def queue_settings(sample_settings: dict[str, str], storage_connection_string: str) -> dict[str, str]:
    sample_settings["AzureWebJobsStorage"] = storage_connection_string
    return sample_settings


@pytest_asyncio.fixture
async def queue_client(queue_settings: dict[str, str]) -> AsyncIterator[QueueFactory]:
    """Clients for the test's queues; ``base64=True`` encodes like the SDK samples and the host expect."""
    clients: list[QueueClient] = []

    def factory(name: str, *, base64: bool = True) -> QueueClient:
        client = QueueClient.from_connection_string(
            queue_settings["AzureWebJobsStorage"],
            name,
            message_encode_policy=TextBase64EncodePolicy() if base64 else None,
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


async def queue_host(make_host: HostFactory, **overrides: object) -> LocalHost:
    return await make_host(queues=True, **overrides)


def flaky_records(key: str) -> list[dict[str, object]]:
    return [r for r in recorded("flaky") if r["key"] == key]


async def is_empty(client: QueueClient) -> bool:
    return (await client.get_queue_properties()).approximate_message_count == 0


async def visible_count(client: QueueClient) -> int:
    return len(await client.peek_messages(max_messages=32))


async def test_queues_are_created_and_names_resolved(
    make_host: HostFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)
    queues = {f["name"]: f.get("queue") for f in host.describe_functions() if f["trigger"] == "queueTrigger"}
    assert queues == {
        "flaky": queue_settings["SAMPLE_FLAKY_QUEUE"],
        "always_fails": queue_settings["SAMPLE_POISON_QUEUE"],
        "plain_text": queue_settings["SAMPLE_TEXT_QUEUE"],
    }
    async with QueueServiceClient.from_connection_string(queue_settings["AzureWebJobsStorage"]) as service:
        names = {q.name async for q in service.list_queues()}
    for name in queues.values():
        assert {name, f"{name}-poison"} <= names


async def test_base64_message_is_delivered_once_and_deleted(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)
    queue = queue_client(queue_settings["SAMPLE_FLAKY_QUEUE"])
    key = uuid.uuid4().hex
    body = json.dumps({"key": key, "fail_times": 0, "text": "héllo"})
    sent = await queue.send_message(body)
    await eventually(lambda: host.counters.snapshot()["functions"]["flaky"]["successes"] == 1)
    (record,) = flaky_records(key)
    assert record["raw"] == body
    assert record["id"] == sent.id
    assert record["dequeue_count"] == 1
    assert record["has_times"] is True
    assert record["pop_receipt"]
    await eventually(lambda: is_empty(queue))  # deleted right after the function returned


async def test_failed_message_is_retried_with_increasing_dequeue_count(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)
    queue = queue_client(queue_settings["SAMPLE_FLAKY_QUEUE"])
    key = uuid.uuid4().hex
    await queue.send_message(json.dumps({"key": key, "fail_times": 2}))
    await eventually(lambda: host.counters.snapshot()["functions"]["flaky"]["successes"] == 1)
    assert [r["dequeue_count"] for r in flaky_records(key)] == [1, 2, 3]
    counters = host.counters.snapshot()["functions"]["flaky"]
    assert (counters["invocations"], counters["failures"], counters["released"], counters["poisoned"]) == (3, 2, 2, 0)
    await eventually(lambda: is_empty(queue))
    poison = queue_client(f"{queue_settings['SAMPLE_FLAKY_QUEUE']}-poison")
    assert await visible_count(poison) == 0


async def test_message_goes_to_poison_queue_after_max_dequeue_count(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)  # the sample host.json sets maxDequeueCount 3
    name = queue_settings["SAMPLE_POISON_QUEUE"]
    await queue_client(name).send_message("doomed")
    await eventually(lambda: host.counters.snapshot()["functions"]["always_fails"]["poisoned"] == 1)
    attempts = [r["dequeue_count"] for r in recorded("always_fails") if r["body"] == "doomed"]
    assert attempts == [1, 2, 3]
    poison = queue_client(f"{name}-poison", base64=False)
    (moved,) = await poison.peek_messages(max_messages=5)
    assert moved.content == "ZG9vbWVk"  # copied as stored: still base64
    assert (await queue_client(name).get_queue_properties()).approximate_message_count == 0


async def test_invalid_base64_is_never_invoked_and_ends_in_poison(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)
    name = queue_settings["SAMPLE_FLAKY_QUEUE"]
    await queue_client(name, base64=False).send_message("{not base64}")
    await eventually(lambda: host.counters.snapshot()["functions"]["flaky"]["poisoned"] == 1)
    counters = host.counters.snapshot()["functions"]["flaky"]
    assert counters["failures"] == 3
    assert "not valid base64" in counters["last_error"]
    poison = queue_client(f"{name}-poison", base64=False)
    assert [m.content for m in await poison.peek_messages(max_messages=5)] == ["{not base64}"]


async def test_message_encoding_none_passes_text_through(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host, host_json=host_config(messageEncoding="none"))
    key = uuid.uuid4().hex
    body = json.dumps({"key": key, "fail_times": 0})
    await queue_client(queue_settings["SAMPLE_FLAKY_QUEUE"], base64=False).send_message(body)
    await eventually(lambda: host.counters.snapshot()["functions"]["flaky"]["successes"] == 1)
    assert flaky_records(key)[0]["raw"] == body


async def test_visibility_timeout_hides_a_failed_message(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host, host_json=host_config(visibilityTimeout="00:05:00"))
    name = queue_settings["SAMPLE_POISON_QUEUE"]
    queue = queue_client(name)
    await queue.send_message("hide me")
    await eventually(lambda: host.counters.snapshot()["functions"]["always_fails"]["released"] == 1)
    # Released with a 5-minute visibility timeout: still in the queue, but nobody can see it.
    assert (await queue.get_queue_properties()).approximate_message_count == 1
    assert await visible_count(queue) == 0
    assert host.counters.snapshot()["functions"]["always_fails"]["invocations"] == 1


async def test_a_batch_of_messages_is_all_delivered(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)  # batchSize 4, newBatchThreshold 2
    queue = queue_client(queue_settings["SAMPLE_FLAKY_QUEUE"])
    keys = [uuid.uuid4().hex for _ in range(12)]
    for key in keys:
        await queue.send_message(json.dumps({"key": key, "fail_times": 0}))
    await eventually(lambda: host.counters.snapshot()["functions"]["flaky"]["successes"] == len(keys))
    assert all(len(flaky_records(key)) == 1 for key in keys)


async def test_status_endpoint_reports_queue_counters(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    import aiohttp

    from tests.emulators.host.conftest import ADMIN_KEY

    host = await queue_host(make_host)
    await queue_client(queue_settings["SAMPLE_POISON_QUEUE"]).send_message("count me")
    await eventually(lambda: host.counters.snapshot()["functions"]["always_fails"]["poisoned"] == 1)
    async with aiohttp.ClientSession() as session, session.get(
        f"{host.url}/admin/host/status", headers={"x-functions-key": ADMIN_KEY}
    ) as response:
        status = await response.json()
    assert status["state"] == "Running"
    assert status["functions"]["always_fails"] == {
        "invocations": 3,
        "successes": 0,
        "failures": 3,
        "poisoned": 1,
        "released": 2,
        "last_error": "RuntimeError: always fails",
    }
    assert status["totals"]["poisoned"] == 1


async def test_str_annotated_parameter_gets_the_body(
    make_host: HostFactory, queue_client: QueueFactory, queue_settings: dict[str, str]
) -> None:
    host = await queue_host(make_host)
    marker = uuid.uuid4().hex
    await queue_client(queue_settings["SAMPLE_TEXT_QUEUE"]).send_message(f"text {marker}")
    await eventually(lambda: host.counters.snapshot()["functions"]["plain_text"]["successes"] == 1)
    assert [r for r in recorded("plain_text") if marker in r["text"]] == [{"text": f"text {marker}", "type": "str"}]

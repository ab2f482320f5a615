"""The event fan-out under faults: ACS chat activity -> the ACS stand-in's Event Grid push -> the app's Event Grid
function and queue-triggered deliverer in a host stand-in running as a separate process -> a subscriber that
answers 500 to 30 % of the requests. The host process (the deliverer) is SIGKILLed three times mid-stream and
started again on the same port (Event Grid's sink). Every event is delivered at least once, duplicates carry the
same delivery id, nothing is lost, and what ran out of attempts is dead-lettered and replayed through the route.
"""

from __future__ import annotations

import random
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.communication.chat import ChatClient, ChatParticipant, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.storage.queue import QueueClient

from emulators.azurite import free_port
from harness.functions_host import ADMIN_KEY, FUNCTION_KEY, FunctionsHost
from harness.process import RunningService, python_module_argv, start_service, wait_for
from harness.subscriber import Subscriber, running_subscriber

pytestmark = pytest.mark.slow
SECRET = "chaos-subscriber-secret-0123456789"
MESSAGES = 80
KILLS = 3


@pytest.fixture
def host(app_environ: dict[str, str], tmp_path: Path) -> Iterator[FunctionsHost]:
    settings = dict(
        app_environ,
        FANOUT_ALLOW_HTTP="true", FANOUT_ALLOW_PRIVATE_TARGETS="true",
        FANOUT_MAX_ATTEMPTS="2",  # 30 % failures: ~9 % of the events run out of attempts and are dead-lettered
        FANOUT_RETRY_BASE_SECONDS="0.05", FANOUT_RETRY_MAX_SECONDS="0.2", FANOUT_CACHE_SECONDS="0",
        MIGRATION_PLAN_SECONDS="10", LIVE_SYNC_DELAY_SECONDS="0.5", NIGHTLY_SCHEDULE="0 0 2 * * *",
    )
    functions = FunctionsHost(settings, tmp_path, port=free_port())
    functions.start()
    yield functions
    functions.stop()


@pytest.fixture
def acs(host: FunctionsHost) -> Iterator[RunningService]:
    sink = f"http://127.0.0.1:{host.port}/runtime/webhooks/eventgrid?functionName=fanout_acs_event&code={ADMIN_KEY}"
    service = start_service("acs-fanout-chaos", python_module_argv(
        "emulators.acs", "--host", "127.0.0.1", "--port", "0", "--no-limits", "--seed", "21",
        "--time-scale", "0.01", "--event-sink", sink), timeout=60)
    yield service
    service.stop()


def _pending_events(acs: RunningService) -> int:
    trust = ssl.create_default_context(cafile=str(acs.info["ca_bundle"]))
    response = httpx.get(f"{acs.info['admin']}/events", verify=trust, timeout=30)
    return int(response.json()["pending"])


def _thread(acs: RunningService) -> ChatThreadClient:
    bundle = str(acs.info["ca_bundle"])
    identity = CommunicationIdentityClient.from_connection_string(str(acs.info["connection_string"]),
                                                                  connection_verify=bundle)
    users = [identity.create_user_and_token([CommunicationTokenScope.CHAT]) for _ in range(2)]
    (owner, token), (member, _) = users
    chat = ChatClient(str(acs.info["endpoint"]), CommunicationTokenCredential(token.token), connection_verify=bundle)
    created = chat.create_chat_thread("Chaos", thread_participants=[
        ChatParticipant(identifier=CommunicationUserIdentifier(u.properties["id"])) for u in (owner, member)])
    assert created.chat_thread is not None
    return ChatThreadClient(str(acs.info["endpoint"]), CommunicationTokenCredential(token.token),
                            created.chat_thread.id, connection_verify=bundle)


def _queued(host: FunctionsHost) -> int:
    """Delivery messages still queued, the delayed retries and those being handled included."""
    queue = QueueClient.from_connection_string(host.settings["AzureWebJobsStorage"], host.settings["DELIVERY_QUEUE"])
    with queue:
        return int(queue.get_queue_properties().approximate_message_count or 0)


def _admin(host: FunctionsHost) -> httpx.Client:
    return httpx.Client(base_url=host.url, headers={"x-functions-key": FUNCTION_KEY}, timeout=30)


def _by_message(subscriber: Subscriber) -> dict[str, set[str]]:
    """MessageSid -> the delivery ids it arrived under (successful answers only)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for received in subscriber.delivered():
        if received.fields.get("EventType") == "onMessageAdded":
            seen[received.fields["MessageSid"]].add(received.delivery_id)
    return seen


@pytest.mark.timeout(300)
def test_every_event_is_delivered_at_least_once_through_kills_and_a_failing_subscriber(
    host: FunctionsHost, acs: RunningService
) -> None:
    rng = random.Random("fanout-chaos")
    with running_subscriber(SECRET, fail_rate=0.3, seed=5) as subscriber:
        thread = _thread(acs)
        wait_for(lambda: _pending_events(acs) == 0, timeout=60, what="the thread's own events")
        with _admin(host) as admin:
            created = admin.post("/api/subscriptions", json={
                "url": subscriber.url, "format": "twilio", "secret": SECRET, "eventTypes": ["onMessageAdded"]})
            assert created.status_code == 201, created.text

        kill_after = set(rng.sample(range(5, MESSAGES - 5), KILLS))  # after that many events were sent
        sent: list[str] = []
        kills: list[tuple[int, int]] = []  # (events sent, events delivered) at each kill
        for n in range(MESSAGES):
            sent.append(thread.send_message(f"chaos message {n}").id)
            if len(sent) in kill_after:
                kills.append((len(sent), len(_by_message(subscriber))))
                host.kill()  # SIGKILL mid-stream: queue messages in flight stay hidden, Event Grid pushes fail
                time.sleep(rng.uniform(0.1, 0.8))
                host.start()
            time.sleep(0.02)

        with _admin(host) as admin:
            def settled() -> list[dict[str, Any]] | None:
                """Every event delivered or dead-lettered, Event Grid done and no delivery retry left queued."""
                if _pending_events(acs) or _queued(host):
                    return None
                dead = admin.get("/api/deliveries/dead", params={"limit": "100"}).json()["value"]
                return dead if len(_by_message(subscriber)) + len(dead) >= MESSAGES else None

            dead = wait_for(settled, timeout=120, what="every event delivered or dead-lettered", every=0.5)
            dead_before_replay = len(dead)
            subscriber.fail_rate = 0.0
            replay = admin.post("/api/deliveries/replay", json={"all": True})
            assert replay.status_code == 202, replay.text
            assert replay.json()["replayed"] == len(dead)
            wait_for(lambda: len(_by_message(subscriber)) >= MESSAGES, timeout=120, what="the replayed deliveries")
            assert admin.get("/api/deliveries/dead").json()["value"] == []

    delivered = _by_message(subscriber)
    lost = [m for m in sent if m not in delivered]
    assert lost == []  # none lost
    assert all(len(ids) == 1 for ids in delivered.values())  # one delivery id per event: duplicates recognisable
    per_id = Counter(r.delivery_id for r in subscriber.delivered())
    duplicates = sum(n - 1 for n in per_id.values())
    failed = [r for r in subscriber.received if r.answered >= 300]
    print(f"fan-out chaos: {MESSAGES} events, {len(kills)} kills, {len(failed)} failed answers, "
          f"{dead_before_replay} dead-lettered and replayed, {duplicates} duplicate deliveries, lost {len(lost)}")
    assert [sent_then for sent_then, _ in kills] == sorted(kill_after)  # each kill came with events still to send
    assert all(delivered < sent_then for sent_then, delivered in kills)  # and with sent events not yet delivered
    assert failed  # the subscriber really failed requests
    assert dead_before_replay > 0  # and some events really ran out of attempts
    assert all(r.signature_ok for r in subscriber.delivered())  # a request torn by a kill is refused, then retried

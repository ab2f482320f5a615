"""The dispatcher and the deliverer against a real loopback subscriber and the real Azurite queue and tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from harness.subscriber import Subscriber, running_subscriber
from shared.container import AppContainer
from shared.fanout.deliverer import Deliverer, Outcome
from shared.fanout.deliveries import DeliveryMessage, delivery_id_for, retry_delay
from shared.fanout.events import AcsEvent
from shared.fanout.http_clients import HttpClientPool
from shared.fanout.ssrf import UrlGuard
from shared.settings import Secret
from shared.state import Subscription
from shared.state.subscriptions import new_subscription_id

from .conftest import SECRET

THREAD = "19:abc@thread.v2"
USER = "8:acs:resource_0000-user"


def event(event_id: str = "ev-1", body: str = "hello", metadata: dict[str, str] | None = None) -> AcsEvent:
    return AcsEvent(
        id=event_id, event_type="Microsoft.Communication.ChatMessageReceivedInThread", source="/acs",
        subject=f"thread/{THREAD}/sender/{USER}", time="2026-01-01T00:00:00Z",
        data={"messageBody": body, "messageId": "1767225600000", "threadId": THREAD, "type": "Text",
              "senderCommunicationIdentifier": {"rawId": USER, "communicationUser": {"id": USER}},
              "composeTime": "2026-01-01T00:00:00Z", "metadata": metadata or {}},
    )


def subscribe(container: AppContainer, url: str, *, fmt: str = "twilio", **extra: Any) -> Subscription:
    return container.fanout.subscriptions.create_subscription({"url": url, "format": fmt, "secret": SECRET, **extra})


def queued(container: AppContainer) -> list[DeliveryMessage]:
    messages = container.delivery_queue.client.receive_messages(messages_per_page=32, visibility_timeout=1)
    return [DeliveryMessage.parse(m.content) for m in messages]


def test_one_delivery_per_matching_subscription_with_stable_ids(container: AppContainer) -> None:
    twilio = subscribe(container, "http://127.0.0.1:9/a")
    cloud = subscribe(container, "http://127.0.0.1:9/b", fmt="cloudevents")
    subscribe(container, "http://127.0.0.1:9/c", eventTypes=["onMessageRemoved"])
    migrated_too = subscribe(container, "http://127.0.0.1:9/d", includeMigrated=True)
    ids = container.fanout.dispatcher.dispatch(event())
    assert sorted(ids) == sorted(delivery_id_for(s.subscription_id, "ev-1") for s in (twilio, cloud, migrated_too))
    again = container.fanout.dispatcher.dispatch(event())  # Event Grid redelivers: same ids
    assert sorted(again) == sorted(ids)
    migrated = container.fanout.dispatcher.dispatch(event("ev-2", metadata={"migratedFrom": "twilio"}))
    assert migrated == [delivery_id_for(migrated_too.subscription_id, "ev-2")]
    messages = queued(container)
    assert len(messages) == 7
    by_format = {m.format: m for m in messages if m.event_id == "ev-1"}
    assert by_format["twilio"].body["EventType"] == "onMessageAdded"
    assert by_format["twilio"].body["Author"] == USER  # not mapped: the ACS id
    assert by_format["cloudevents"].body["type"] == "Microsoft.Communication.ChatMessageReceivedInThread"
    assert SECRET not in json.dumps([m.to_json() for m in messages])


def deliver_once(container: AppContainer, sub: Subscriber, *, fmt: str = "twilio", attempt: int = 1) -> Outcome:
    subscribe(container, sub.url, fmt=fmt)
    container.fanout.dispatcher.dispatch(event())
    (message,) = queued(container)
    container.delivery_queue.client.clear_messages()
    return container.fanout.deliverer.deliver(DeliveryMessage.from_json({**message.to_json(), "attempt": attempt}))


def test_a_twilio_delivery_passes_request_validator_and_carries_the_fields(container: AppContainer) -> None:
    with running_subscriber(SECRET) as sub:
        assert deliver_once(container, sub) is Outcome.DELIVERED
    (got,) = sub.received
    assert got.signature_ok
    assert got.headers["content-type"] == "application/x-www-form-urlencoded"
    assert got.delivery_id.startswith("dlv_")
    assert got.headers["i-twilio-idempotency-token"] == got.delivery_id
    assert got.fields["EventType"] == "onMessageAdded"
    assert got.fields["Body"] == "hello"
    assert got.fields["ConversationSid"] == THREAD
    assert got.fields["RetryCount"] == "0"
    assert got.fields["DateCreated"] == "2026-01-01T00:00:00.000Z"


def test_a_cloudevents_delivery_is_signed_over_timestamp_and_body(container: AppContainer) -> None:
    with running_subscriber(SECRET, path="/ce") as sub:
        assert deliver_once(container, sub, fmt="cloudevents") is Outcome.DELIVERED
    (got,) = sub.received
    assert got.signature_ok
    assert got.headers["content-type"].startswith("application/cloudevents+json")
    assert got.json()["id"] == "ev-1"
    assert got.json()["data"]["messageBody"] == "hello"


def test_a_failure_is_retried_as_a_new_message_with_the_next_attempt(container: AppContainer) -> None:
    with running_subscriber(SECRET, status=503) as sub:
        assert deliver_once(container, sub) is Outcome.RETRYING
    (retry,) = queued(container)
    assert retry.attempt == 2
    assert not list(container.dead_letters.list_dead_letters())


def test_the_last_attempt_goes_to_the_dead_letter_table_with_status_and_excerpt(container: AppContainer) -> None:
    with running_subscriber(SECRET, status=500) as sub:
        assert deliver_once(container, sub, attempt=3) is Outcome.DEAD  # FANOUT_MAX_ATTEMPTS=3
    (letter,) = container.dead_letters.list_dead_letters()
    assert (letter.attempts, letter.last_status, letter.last_error) == (3, 500, "HTTP 500")
    assert "subscriber says no" in letter.body_excerpt
    assert DeliveryMessage.parse(letter.payload).attempt == 1
    assert SECRET not in letter.payload
    assert queued(container) == []


def test_410_gone_disables_the_subscription_and_later_deliveries_are_dropped(container: AppContainer) -> None:
    with running_subscriber(SECRET, status=410) as sub:
        assert deliver_once(container, sub) is Outcome.GONE
        (subscription,) = container.subscriptions.list_subscriptions()
        assert not subscription.enabled
        assert "410" in (subscription.disabled_reason or "")
        assert container.fanout.dispatcher.dispatch(event("ev-3")) == []
        message = DeliveryMessage(delivery_id="dlv_x", subscription_id=subscription.subscription_id, event_id="e",
                                  event_type="t", format="twilio", body={})
        assert container.fanout.deliverer.deliver(message) is Outcome.DROPPED
    assert len(sub.received) == 1


def test_no_answer_is_a_failed_attempt(container: AppContainer) -> None:
    with running_subscriber(SECRET) as sub:
        sub.url = "http://127.0.0.1:9/closed"  # nothing listens on the discard port
        assert deliver_once(container, sub) is Outcome.RETRYING


class FlippingResolver:
    """Public at subscription time, loopback at delivery time: DNS rebinding."""

    def __init__(self) -> None:
        self.answers = ["93.184.216.34"]

    def __call__(self, host: str, port: int) -> Sequence[str]:
        return list(self.answers)


def test_the_guard_runs_again_at_delivery_time_after_resolution(container: AppContainer) -> None:
    resolver = FlippingResolver()
    guard = UrlGuard(allow_http=True, resolver=resolver)
    url = "http://hooks.example.com/h"
    guard.check(url)
    sub = container.subscriptions.create_subscription(Subscription(
        subscription_id=new_subscription_id(), url=url, format="twilio", secret=Secret(SECRET)))
    resolver.answers = ["127.0.0.1"]
    with httpx.Client() as http:
        deliverer = Deliverer(subscriptions=container.subscriptions, queue=container.delivery_queue,
                              dead_letters=container.dead_letters, guard=guard, http=HttpClientPool(lambda: http),
                              max_attempts=3)
        message = DeliveryMessage(delivery_id="dlv_rebind", subscription_id=sub.subscription_id, event_id="e",
                                  event_type="Microsoft.Communication.ChatThreadCreated", format="twilio", body={})
        assert deliverer.deliver(message) is Outcome.DEAD
    (letter,) = container.dead_letters.list_dead_letters()
    assert letter.last_status is None
    assert "loopback" in (letter.last_error or "")


def test_delivery_connects_to_the_checked_address_not_a_fresh_lookup(container: AppContainer) -> None:
    with running_subscriber(SECRET) as sub:
        port = sub.url.split(":")[2].split("/")[0]
        url = f"http://hooks.example.test:{port}/hooks/twilio"  # a name that does not exist in DNS
        guard = UrlGuard(allow_http=True, allow_private=True, resolver=lambda host, p: ["127.0.0.1"])
        created = container.subscriptions.create_subscription(Subscription(
            subscription_id=new_subscription_id(), url=url, format="twilio", secret=Secret(SECRET)))
        with httpx.Client() as http:
            deliverer = Deliverer(subscriptions=container.subscriptions, queue=container.delivery_queue,
                                  dead_letters=container.dead_letters, guard=guard, http=HttpClientPool(lambda: http))
            message = DeliveryMessage(delivery_id="dlv_pin", subscription_id=created.subscription_id, event_id="e",
                                      event_type="Microsoft.Communication.ChatThreadCreated", format="twilio",
                                      body={"EventType": "onConversationAdded"})
            assert deliverer.deliver(message) is Outcome.DELIVERED
    (got,) = sub.received
    assert got.headers["host"] == f"hooks.example.test:{port}"
    assert got.signature_ok  # signed over the URL the subscriber registered, which it reconstructs from Host


@pytest.mark.parametrize("text", ["", "[]", "{}", '{"delivery_id": 1}', "not json",
                                  json.dumps({"delivery_id": "d", "subscription_id": "s", "event_id": "e",
                                              "event_type": "t", "format": "xml", "body": {}})])
def test_malformed_queue_messages_are_refused(text: str) -> None:
    from shared.errors import BadRequestError

    with pytest.raises(BadRequestError):
        DeliveryMessage.parse(text)


def test_retry_delays_grow_exponentially_with_jitter_and_a_cap() -> None:
    import random

    rng = random.Random(1)
    delays = [retry_delay(n, base=10, cap=300, rng=rng) for n in range(1, 9)]
    assert all(5 * 2 ** (n - 1) <= d <= 10 * 2 ** (n - 1) for n, d in enumerate(delays[:5], start=1))
    assert all(150 <= d <= 300 for d in delays[5:])


def test_a_new_subscription_gets_events_at_once_on_the_instance_that_created_it(
    fanout_environ: dict[str, str],
) -> None:
    cached = AppContainer.from_environ(dict(fanout_environ, FANOUT_CACHE_SECONDS="60"))
    assert cached.fanout.dispatcher.dispatch(event("before")) == []  # caches "no subscriptions" for 60 s
    created = subscribe(cached, "http://127.0.0.1:9/late")
    assert cached.fanout.dispatcher.dispatch(event("after")) == [delivery_id_for(created.subscription_id, "after")]
    cached.fanout.subscriptions.delete_subscription(created.subscription_id)
    assert cached.fanout.dispatcher.dispatch(event("gone")) == []


def test_https_delivery_to_a_name_connects_to_the_checked_address_and_verifies_the_certificate(
    container: AppContainer,
) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.test").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    guard = UrlGuard(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
    pool = HttpClientPool(lambda: httpx.Client(verify=client_context))  # shared, as in the app
    with running_subscriber(SECRET, tls=server_context, host_name="hooks.example.test") as sub:
        created = container.subscriptions.create_subscription(Subscription(
            subscription_id=new_subscription_id(), url=sub.url, format="twilio", secret=Secret(SECRET)))
        deliverer = Deliverer(subscriptions=container.subscriptions, queue=container.delivery_queue,
                              dead_letters=container.dead_letters, guard=guard, http=pool)
        message = DeliveryMessage(delivery_id="dlv_tls", subscription_id=created.subscription_id, event_id="e",
                                  event_type="Microsoft.Communication.ChatThreadCreated", format="twilio",
                                  body={"EventType": "onConversationAdded"})
        assert deliverer.deliver(message) is Outcome.DELIVERED
        wrong_name = UrlGuard(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
        other = container.subscriptions.create_subscription(Subscription(
            subscription_id=new_subscription_id(), url=sub.url.replace("hooks.example.test", "other.example.test"),
            format="twilio", secret=Secret(SECRET)))
        mismatch = Deliverer(subscriptions=container.subscriptions, queue=container.delivery_queue,
                             dead_letters=container.dead_letters, guard=wrong_name, http=pool, max_attempts=1)
        assert mismatch.deliver(DeliveryMessage(
            delivery_id="dlv_tls2", subscription_id=other.subscription_id, event_id="e2", event_type="t",
            format="twilio", body={})) is Outcome.DEAD  # the certificate is checked against the URL's name,
        # even though a connection to the same address, verified for another name, is open in the pool
    pool.close()
    (got,) = sub.received
    assert got.signature_ok
    assert got.headers["host"].startswith("hooks.example.test:")


def test_a_delivery_too_big_for_a_table_row_is_dead_lettered_compressed_and_replays_intact(
    container: AppContainer,
) -> None:
    body = "x" * 40_000  # more than a Table Storage string property holds
    with running_subscriber(SECRET, status=500) as sub:
        created = subscribe(container, sub.url)
        message = DeliveryMessage(delivery_id="dlv_big", subscription_id=created.subscription_id, event_id="e",
                                  event_type="Microsoft.Communication.ChatMessageReceivedInThread", format="twilio",
                                  body={"EventType": "onMessageAdded", "Body": body}, attempt=3)
        assert container.fanout.deliverer.deliver(message) is Outcome.DEAD
    (letter,) = container.dead_letters.list_dead_letters()
    assert len(letter.payload) < 30_000
    assert container.fanout.dead_letters.replay({"deliveryIds": ["dlv_big"]}) == ["dlv_big"]
    (replayed,) = queued(container)
    assert replayed.body["Body"] == body
    assert replayed.attempt == 1


def test_the_registered_url_is_normalised_so_the_subscriber_can_check_the_signature(container: AppContainer) -> None:
    with running_subscriber(SECRET, path="") as sub:
        bare = sub.url.replace("http://127.0.0.1", "HTTP://127.0.0.1")  # no path, upper-case scheme
        created = subscribe(container, bare)
        assert created.url == sub.url.lower() + "/"
        sub.url = created.url
        container.fanout.dispatcher.dispatch(event())
        (message,) = queued(container)
        assert container.fanout.deliverer.deliver(message) is Outcome.DELIVERED
    (got,) = sub.received
    assert got.signature_ok


def test_first_attempts_go_straight_out_and_only_a_failure_queues_its_retry(container: AppContainer) -> None:
    """What the Event Grid trigger does by default: no queue message for a delivery that succeeds."""
    with running_subscriber(SECRET, path="/ok") as ok, running_subscriber(SECRET, path="/down", status=503) as down:
        good = subscribe(container, ok.url)
        bad = subscribe(container, down.url, fmt="cloudevents")
        fanout = container.fanout
        outcomes = fanout.dispatcher.deliver(event("ev-inline"), fanout.deliverer.deliver_to)
    assert outcomes == {delivery_id_for(good.subscription_id, "ev-inline"): Outcome.DELIVERED,
                        delivery_id_for(bad.subscription_id, "ev-inline"): Outcome.RETRYING}
    assert [r.delivery_id for r in ok.received] == [delivery_id_for(good.subscription_id, "ev-inline")]
    assert [r.answered for r in down.received] == [503]
    (retry,) = queued(container)
    assert retry.delivery_id == delivery_id_for(bad.subscription_id, "ev-inline")
    assert retry.attempt == 2
    assert retry.format == "cloudevents"

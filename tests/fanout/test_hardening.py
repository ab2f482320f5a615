"""Regressions of issue 17's fan-out findings: one total deadline per attempt and a capped read (2); non-ASCII
subscriber hosts normalised before the SSRF check, and any failure inside a delivery a dead letter (5)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from harness.subscriber import running_subscriber
from shared.container import AppContainer
from shared.errors import BadRequestError
from shared.fanout.deliverer import Deliverer, Outcome
from shared.fanout.deliveries import DeliveryMessage
from shared.fanout.http_clients import HttpClientPool, delivery_client
from shared.fanout.ssrf import UrlGuard
from shared.settings import Secret
from shared.state import Subscription
from shared.state.subscriptions import new_subscription_id

from .conftest import SECRET


@dataclass
class SlowServer:
    url: str
    sent: int = 0
    hung_up: bool = False  # the client closed the connection before the server had sent everything


@contextmanager
def slow_server(answer: Callable[[socket.socket, SlowServer], None]) -> Iterator[SlowServer]:
    """A loopback HTTP server that reads the request, then answers through ``answer`` (which may dawdle)."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = SlowServer(url=f"http://127.0.0.1:{listener.getsockname()[1]}/hook")

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            try:
                answer(conn, state)
            except OSError:
                state.hung_up = True

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        thread.join(timeout=30)
        listener.close()


def _trickle(payload: bytes, every: float) -> Callable[[socket.socket, SlowServer], None]:
    def answer(conn: socket.socket, state: SlowServer) -> None:
        for index in range(len(payload)):
            conn.sendall(payload[index:index + 1])
            state.sent += 1
            threading.Event().wait(every)

    return answer


def _deliverer(container: AppContainer, *, timeout: float, max_attempts: int = 3) -> Deliverer:
    guard = UrlGuard(allow_http=True, allow_private=True)
    return Deliverer(subscriptions=container.subscriptions, queue=container.delivery_queue,
                     dead_letters=container.dead_letters, guard=guard, max_attempts=max_attempts, retry_base_seconds=0,
                     http=HttpClientPool(lambda: delivery_client(timeout=5.0)), timeout_seconds=timeout)


def _message(sub: Subscription, *, attempt: int = 1, body: dict[str, str] | None = None) -> DeliveryMessage:
    return DeliveryMessage(delivery_id=f"dlv_{sub.subscription_id}", subscription_id=sub.subscription_id,
                           event_id="e", event_type="Microsoft.Communication.ChatThreadCreated", format="twilio",
                           body=body if body is not None else {"EventType": "onConversationAdded"}, attempt=attempt)


def _stored(container: AppContainer, url: str) -> Subscription:
    """A subscription row as an older version (or an operator) may have stored it, past today's checks."""
    return container.subscriptions.create_subscription(Subscription(
        subscription_id=new_subscription_id(), url=url, format="twilio", secret=Secret(SECRET)))


BODY_TRICKLE = b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + b"x" * 40
HEADER_TRICKLE = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"a" * 40 + b"\r\nContent-Length: 0\r\n\r\n"


@pytest.mark.parametrize(("what", "payload", "skip"), [("body", BODY_TRICKLE, 38), ("headers", HEADER_TRICKLE, 17)])
def test_a_subscriber_trickling_its_answer_gets_one_total_deadline(
    container: AppContainer, what: str, payload: bytes, skip: int
) -> None:
    # the answer's first ``skip`` bytes come at once, then one byte every 0.25 s: 10 s in all, each read quick
    def answer(conn: socket.socket, state: SlowServer) -> None:
        conn.sendall(payload[:skip])
        state.sent = skip
        _trickle(payload[skip:], 0.25)(conn, state)

    with slow_server(answer) as server:
        sub = _stored(container, server.url)
        outcome = _deliverer(container, timeout=1.0).deliver(_message(sub))
    assert outcome is Outcome.RETRYING  # per-read timeouts alone would have read it all and called it delivered
    assert server.hung_up  # the app closed the connection mid-answer
    assert server.sent < len(payload)
    (retry,) = [DeliveryMessage.parse(m.content) for m in container.delivery_queue.client.receive_messages()]
    assert retry.attempt == 2


def test_a_huge_answer_is_read_only_up_to_the_excerpt(container: AppContainer) -> None:
    def answer(conn: socket.socket, state: SlowServer) -> None:
        conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 50000000\r\n\r\n")
        chunk = b"y" * 65536
        for _ in range(50000000 // len(chunk)):
            conn.sendall(chunk)
            state.sent += len(chunk)

    with slow_server(answer) as server:
        sub = _stored(container, server.url)
        assert _deliverer(container, timeout=5.0).deliver(_message(sub, attempt=3)) is Outcome.DEAD
    assert server.hung_up
    (letter,) = container.dead_letters.list_dead_letters()
    assert (letter.last_status, letter.last_error, letter.body_excerpt) == (500, "HTTP 500", "y" * 1024)


@pytest.mark.parametrize(("typed", "stored"), [
    ("http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/hook", "http://127.0.0.1:{port}/hook"),
    ("http://LOCALHOST:{port}/h\u00e4ken?x=\u00fc", "http://localhost:{port}/h%C3%A4ken?x=%C3%BC"),
])
def test_non_ascii_urls_are_stored_as_ascii_and_delivered(container: AppContainer, typed: str, stored: str) -> None:
    with running_subscriber(SECRET) as subscriber:
        port = subscriber.url.split(":")[2].split("/")[0]
        created = container.fanout.subscriptions.create_subscription(
            {"url": typed.format(port=port), "format": "twilio", "secret": SECRET})
        assert created.url == stored.format(port=port)
        assert container.fanout.deliverer.deliver(_message(created)) is Outcome.DELIVERED
    (got,) = subscriber.received
    assert got.signature_ok


@pytest.mark.parametrize("url", ["https://\uff18.\uff18.\uff18.\uff18/", "https://b\u00fccher.example/"])
def test_the_guard_judges_the_normalised_host(url: str) -> None:
    from shared.fanout.subscriptions import normalise_url

    seen: list[str] = []
    guard = UrlGuard(resolver=lambda host, port: seen.append(host) or ["93.184.216.34"])
    target = guard.check(normalise_url(url))
    assert target.host.isascii()
    assert target.host in ("8.8.8.8", "xn--bcher-kva.example")


@pytest.mark.parametrize("url", ["https://\uff11\uff12\uff17.0.0.1/",
                                 "https://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/"])
def test_a_non_ascii_spelling_of_an_internal_host_is_refused(fanout_environ: dict[str, str], url: str) -> None:
    guard_container = AppContainer.from_environ({**fanout_environ, "FANOUT_ALLOW_PRIVATE_TARGETS": "false"})
    with pytest.raises(BadRequestError) as refused:
        guard_container.fanout.subscriptions.create_subscription({"url": url, "format": "twilio", "secret": SECRET})
    assert refused.value.code == "UnsafeTarget"
    assert "loopback" in refused.value.message


def test_a_stored_non_ascii_url_ends_as_a_dead_letter_not_in_the_poison_queue(container: AppContainer) -> None:
    sub = _stored(container, "http://\uff11\uff12\uff17.0.0.1:9/hook")
    assert container.fanout.deliverer.deliver(_message(sub)) is Outcome.DEAD
    (letter,) = container.dead_letters.list_dead_letters()
    assert letter.last_error == ("refused: url must be ASCII: send the host as IDNA (xn--...) "
                                 "and percent-encode the rest.")


def test_any_failure_inside_a_delivery_is_retried_then_dead_lettered(container: AppContainer) -> None:
    with running_subscriber(SECRET) as subscriber:
        sub = _stored(container, subscriber.url)
        broken = {"Body": "\ud800"}  # a lone surrogate cannot be form-encoded: the attempt raises inside the app
        assert container.fanout.deliverer.deliver(_message(sub, body=broken)) is Outcome.RETRYING
        assert container.fanout.deliverer.deliver(_message(sub, body=broken, attempt=3)) is Outcome.DEAD
    assert subscriber.received == []
    (letter,) = container.dead_letters.list_dead_letters()
    assert letter.last_error == "the delivery failed inside the app (UnicodeEncodeError)"
    assert DeliveryMessage.parse(letter.payload).body == broken  # replayable as it was


def test_a_failure_inside_a_first_attempt_from_the_trigger_is_queued_as_a_retry(container: AppContainer) -> None:
    with running_subscriber(SECRET) as subscriber:
        sub = _stored(container, subscriber.url)
        broken = {"Body": "\ud800"}
        assert container.fanout.deliverer.deliver_to(sub, _message(sub, body=broken)) is Outcome.RETRYING
    assert subscriber.received == []
    (retry,) = [DeliveryMessage.parse(m.content) for m in container.delivery_queue.client.receive_messages()]
    assert (retry.attempt, retry.body) == (2, broken)

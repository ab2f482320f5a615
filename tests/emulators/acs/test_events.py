"""Event Grid: every chat change emits the ACS events, batched to the sink, retried, logged, valid."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from azure.communication.chat import ChatParticipant

from .conftest import Acs
from .specs import EventSpec

P = "Microsoft.Communication."


@dataclass
class Sink:
    """A loopback webhook that records each POST and can fail the first ones."""

    url: str
    posts: list[tuple[dict[str, str], list[dict[str, Any]]]] = field(default_factory=list)
    fail_with: list[int] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [event for _, batch in self.posts for event in batch]


@pytest.fixture
def sink() -> Iterator[Sink]:
    state: dict[str, Sink] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            target = state["sink"]
            status = target.fail_with.pop(0) if target.fail_with else 200
            if status == 200:
                target.posts.append((dict(self.headers), json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["sink"] = Sink(f"http://127.0.0.1:{server.server_address[1]}/runtime/webhooks/eventgrid?functionName=OnChat")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["sink"]
    server.shutdown()
    server.server_close()


def wait_delivered(server: Acs, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        log = server.admin("GET", "/events")
        if log["pending"] == 0 or time.monotonic() > deadline:
            return dict(log)
        time.sleep(0.02)


def _chat_story(server: Acs) -> dict[str, str]:
    """Every kind of chat change, by three users."""
    alice, alice_token = server.user()
    bob, _ = server.user()
    carol, _ = server.user()
    chat = server.chat(alice_token)
    thread_id = chat.create_chat_thread(
        "events", thread_participants=[ChatParticipant(identifier=bob, display_name="Bob")]
    ).chat_thread.id
    client = chat.get_chat_thread_client(thread_id)
    message_id = client.send_message("hello", sender_display_name="Alice", metadata={"twilioSid": "IM9"}).id
    client.update_message(message_id, content="hello again")
    client.delete_message(message_id)
    client.update_topic("events 2")
    client.add_participants([ChatParticipant(identifier=carol, display_name="Carol")])
    client.remove_participant(carol)
    chat.delete_chat_thread(thread_id)
    return {
        "thread": thread_id,
        "alice": alice.properties["id"],
        "bob": bob.properties["id"],
        "carol": carol.properties["id"],
        "message": message_id,
    }


def test_every_chat_change_reaches_the_sink_in_event_grid_schema(
    acs_factory: Callable[..., Acs], sink: Sink, event_spec: EventSpec
) -> None:
    server = acs_factory("--time-scale", "0.01", "--event-sink", sink.url)
    ids = _chat_story(server)
    log = wait_delivered(server)
    assert {e["status"] for e in log["events"]} == {"delivered"}
    delivered = sink.events()
    assert len(delivered) == len(log["events"])
    for headers, batch in sink.posts:
        assert headers["aeg-event-type"] == "Notification"
        assert headers["Content-Type"] == "application/json"
        assert 1 <= len(batch) <= 10
    types = Counter(e["eventType"].removeprefix(P) for e in delivered)
    assert types == {
        "ChatThreadCreated": 1,
        "ChatThreadCreatedWithUser": 2,
        "ChatMessageReceivedInThread": 1,
        "ChatMessageReceived": 1,
        "ChatMessageEditedInThread": 1,
        "ChatMessageEdited": 1,
        "ChatMessageDeletedInThread": 1,
        "ChatMessageDeleted": 1,
        "ChatThreadPropertiesUpdated": 1,
        "ChatThreadPropertiesUpdatedPerUser": 2,
        "ChatThreadParticipantAdded": 1,
        "ChatParticipantAddedToThreadWithUser": 3,
        "ChatThreadParticipantRemoved": 1,
        "ChatParticipantRemovedFromThreadWithUser": 3,
        "ChatThreadDeleted": 1,
        "ChatThreadWithUserDeleted": 2,
    }
    for event in delivered:
        assert event_spec.check(event, "eventgrid") == []
        assert event["data"]["threadId"] == ids["thread"]
    received = next(e for e in delivered if e["eventType"] == P + "ChatMessageReceived")
    assert received["data"]["recipientCommunicationIdentifier"]["rawId"] == ids["bob"]
    assert received["data"]["messageBody"] == "hello"
    assert received["data"]["metadata"] == {"twilioSid": "IM9"}
    assert received["data"]["type"] == "Text"
    assert received["data"]["version"] == int(ids["message"])
    assert received["subject"] == f"thread/{ids['thread']}/sender/{ids['alice']}/recipient/{ids['bob']}"
    edited = next(e for e in delivered if e["eventType"] == P + "ChatMessageEditedInThread")
    assert edited["data"]["messageBody"] == "hello again"
    assert edited["data"]["version"] > int(ids["message"])


def test_cloud_events_schema(acs_factory: Callable[..., Acs], sink: Sink, event_spec: EventSpec) -> None:
    server = acs_factory("--time-scale", "0.01", "--event-sink", sink.url, "--event-schema", "cloudevents")
    _chat_story(server)
    wait_delivered(server)
    for headers, batch in sink.posts:
        assert headers["Content-Type"].startswith("application/cloudevents-batch+json")
        assert headers["aeg-event-type"] == "Notification"
        for event in batch:
            assert event["specversion"] == "1.0"
            assert event_spec.check(event, "cloudevents") == []


def test_failed_deliveries_are_retried(acs_factory: Callable[..., Acs], sink: Sink) -> None:
    sink.fail_with = [500, 503]
    server = acs_factory("--time-scale", "0.01", "--event-sink", sink.url, "--event-batch-size", "100")
    _, token = server.user()
    server.chat(token).create_chat_thread("retry me")
    log = wait_delivered(server)
    assert {e["status"] for e in log["events"]} == {"delivered"}
    assert max(e["attempts"] for e in log["events"]) == 3
    assert sink.fail_with == []
    assert {h["aeg-delivery-count"] for h, _ in sink.posts} == {"2"}


def test_a_400_from_the_sink_is_not_retried(acs_factory: Callable[..., Acs], sink: Sink) -> None:
    sink.fail_with = [400]
    server = acs_factory("--time-scale", "0.01", "--event-sink", sink.url, "--event-batch-size", "100")
    _, token = server.user()
    server.chat(token).create_chat_thread("bad request")
    log = wait_delivered(server)
    assert {e["status"] for e in log["events"]} == {"failed"}
    assert {e["attempts"] for e in log["events"]} == {1}


def test_events_are_logged_without_a_sink_and_the_sink_can_be_set_later(acs: Acs, sink: Sink) -> None:
    _, token = acs.user()
    thread_id = acs.chat(token).create_chat_thread("logged").chat_thread.id
    log = acs.admin("GET", f"/events?type={P}ChatThreadCreated")
    mine = [e for e in log["events"] if e["event"]["data"]["threadId"] == thread_id]
    assert len(mine) == 1
    assert mine[0]["status"] == "no-sink"
    acs.admin("PUT", "/events/config", json={"sink": sink.url})
    try:
        acs.chat(token).get_chat_thread_client(thread_id).send_message("now pushed")
        wait_delivered(acs)
        assert any(e["data"]["threadId"] == thread_id for e in sink.events())
    finally:
        acs.admin("PUT", "/events/config", json={"sink": None})

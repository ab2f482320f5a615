"""Translation of the official ACS Event Grid chat examples (both schemas) into Twilio webhooks and CloudEvents.

The state tables (real Azurite) say that one example thread was migrated from a Twilio
conversation, that two example users are mapped identities and that two example messages
were copied from Twilio messages; everything else stays an ACS id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from shared.container import AppContainer
from shared.errors import BadRequestError
from shared.fanout.cloudevents_format import to_cloud_event
from shared.fanout.events import MIGRATED_FROM_KEY, AcsEvent, parse_event
from shared.fanout.lookups import IdLookups
from shared.fanout.matching import matches
from shared.fanout.twilio_format import TwilioTranslator, twilio_date
from shared.settings import Secret
from shared.state import ConversationRecord, IdentityMapping, MessageMapping, Subscription
from shared.triggers.fanout import acs_event_of

from .conftest import load_examples

RAW = "8:acs:109f0644-b956-4cd9-87b1-71024f6e2f44_00000008-"
SCOTT = RAW + "5cbb-38a0-88f7-084822002453"
BOB = RAW + "5cbb-38f3-88f7-084822002454"
THREAD = "19:e07c8ddc5bab4c059ea9f11d29b544b6@thread.v2"
CONVERSATION = "CH" + "0e" * 16
SERVICE = "IS" + "5a" * 16
ACCOUNT = "AC" + "0" * 32
IM = "IM{:032d}".format


@pytest.fixture
def translator(container: AppContainer) -> TwilioTranslator:
    container.conversations.create_conversation(ConversationRecord(
        CONVERSATION, service_sid=SERVICE, thread_id=THREAD, status="done", attributes={"team": "blue"}
    ))
    container.identity_map.create_identity(IdentityMapping("scott", SCOTT))
    container.identity_map.create_identity(IdentityMapping("bob", BOB))
    container.messages.upsert_messages(CONVERSATION, [
        MessageMapping(CONVERSATION, 40, IM(40), ("1613782685440",)),
        MessageMapping(CONVERSATION, 41, IM(41), ("1613782685964",)),
    ])
    lookups = IdLookups(conversations=container.conversations, identity_map=container.identity_map,
                        messages=container.messages, cache_seconds=0)
    return TwilioTranslator(account_sid=ACCOUNT, lookups=lookups)


def _raw(example: dict[str, Any], key: str) -> str:
    return str(example["data"][key]["rawId"])


def expected_fields(name: str, example: dict[str, Any]) -> dict[str, str] | None:
    """What each thread-level example must become; None for the per-user copies."""
    mapped = {"AccountSid": ACCOUNT, "Source": "SDK", "ConversationSid": CONVERSATION, "ChatServiceSid": SERVICE}
    data = example["data"]
    unmapped = {"AccountSid": ACCOUNT, "Source": "SDK", "ConversationSid": data["threadId"]}
    table: dict[str, Callable[[], dict[str, str]]] = {
        "chat_message_received_in_thread": lambda: {
            **unmapped, "EventType": "onMessageAdded", "MessageSid": "1613783230064", "Index": "1613783230064",
            "DateCreated": "2021-02-20T01:07:10.064Z", "Body": "Talk about new Thread Events in commuication services",
            "Author": _raw(example, "senderCommunicationIdentifier"),
            "ClientIdentity": _raw(example, "senderCommunicationIdentifier"), "Attributes": "{}",
        },
        "chat_message_edited_in_thread": lambda: {
            **mapped, "EventType": "onMessageUpdated", "MessageSid": IM(41), "Index": "41",
            "DateCreated": "2021-02-20T00:58:05.964Z", "DateUpdated": "2021-02-20T00:59:10.464Z",
            "Body": "8effb181-1eb2-4a58-9d03-ed48a461b19b", "Author": "scott", "ClientIdentity": "scott",
            "Attributes": "{}",
        },
        "chat_message_deleted_in_thread": lambda: {
            **mapped, "EventType": "onMessageRemoved", "MessageSid": IM(40), "Index": "40",
            "DateCreated": "2021-02-20T00:58:05.440Z", "DateUpdated": "2021-02-20T00:59:10.464Z",
            "DateRemoved": "2021-02-20T00:59:10.464Z", "Author": "scott", "ClientIdentity": "scott",
            "Attributes": "{}",
        },
        "chat_thread_created": lambda: {
            **mapped, "EventType": "onConversationAdded", "ClientIdentity": "scott",
            "DateCreated": "2021-02-20T00:31:54.365Z", "DateUpdated": "2021-02-20T00:31:54.365Z",
            "FriendlyName": "Talk about new Thread Events in commuication services",
            "Attributes": '{"team":"blue"}', "State": "active",
        },
        "chat_thread_properties_updated": lambda: {
            **unmapped, "EventType": "onConversationUpdated",
            "ClientIdentity": _raw(example, "editedByCommunicationIdentifier"),
            "DateCreated": "2021-02-20T00:00:40.126Z", "DateUpdated": "2021-02-20T00:04:07.715Z",
            "FriendlyName": "Talk about new Thread Events in commuication services", "Attributes": "{}",
            "State": "active",
        },
        "chat_thread_deleted": lambda: {
            **unmapped, "EventType": "onConversationRemoved",
            "ClientIdentity": _raw(example, "deletedByCommunicationIdentifier"),
            "DateCreated": "2021-02-20T00:00:39.947Z", "DateUpdated": "2021-02-20T00:00:42.109Z",
            "DateRemoved": "2021-02-20T00:00:42.109Z", "Attributes": "{}", "State": "closed",
        },
        "chat_thread_participant_added": lambda: {
            **mapped, "EventType": "onParticipantAdded", "ClientIdentity": "scott", "Identity": "bob",
            "DateCreated": "2021-02-20T00:54:42.862Z", "Attributes": '{"key":"value"}',
        },
        "chat_thread_participant_removed": lambda: {
            **mapped, "EventType": "onParticipantRemoved", "ClientIdentity": "scott",
            "Identity": RAW + "5cbb-38e6-07fd-084822002467", "DateCreated": "2021-02-20T00:56:18.111Z",
            "DateUpdated": "2021-02-20T00:56:18.111Z", "DateRemoved": "2021-02-20T00:56:18.111Z",
            "Attributes": '{"key":"value"}',
        },
    }
    build = table.get(name)
    return build() if build is not None else None


@pytest.mark.parametrize("schema", ["event-grid-schema", "cloud-events-schema"])
def test_every_official_example_translates_to_its_twilio_webhook(
    shared_dir: Path, translator: TwilioTranslator, schema: str
) -> None:
    examples = load_examples(shared_dir, schema)
    translated = 0
    for name, raw in examples.items():
        event = parse_event(raw)
        assert event.is_chat, name
        expected = expected_fields(name, load_examples(shared_dir, "event-grid-schema")[name])
        assert translator.translate(event) == expected, name
        translated += expected is not None
    assert translated == 8  # one per Twilio post-event webhook; the 8 per-user copies have none


def test_both_schemas_of_an_example_give_the_same_webhook(shared_dir: Path, translator: TwilioTranslator) -> None:
    grid = load_examples(shared_dir, "event-grid-schema")
    cloud = load_examples(shared_dir, "cloud-events-schema")
    for name in grid:
        assert translator.translate(parse_event(grid[name])) == translator.translate(parse_event(cloud[name])), name


def test_the_trigger_objects_of_both_schemas_parse_like_their_json(shared_dir: Path) -> None:
    raw = load_examples(shared_dir, "event-grid-schema")["chat_message_received_in_thread"]
    grid_object = func.EventGridEvent(id=raw["id"], data=raw["data"], topic=raw["topic"], subject=raw["subject"],
                                      event_type=raw["eventType"], event_time=None, data_version="1.0")
    assert acs_event_of(grid_object) == dataclasses.replace(parse_event(raw), time=None)  # no event_time given
    assert acs_event_of(grid_object).event_type == "Microsoft.Communication.ChatMessageReceivedInThread"
    cloud = load_examples(shared_dir, "cloud-events-schema")["chat_message_received_in_thread"]
    cloud_object = func.CloudEvent(id=cloud["id"], source=cloud["source"], type=cloud["type"], specversion="1.0",
                                   subject=cloud["subject"], data=cloud["data"])
    parsed = acs_event_of(cloud_object)
    assert (parsed.id, parsed.source, parsed.data) == (cloud["id"], cloud["source"], cloud["data"])
    assert parsed == dataclasses.replace(parse_event(cloud), time=None)


def test_cloud_events_keep_the_acs_event_unchanged(shared_dir: Path) -> None:
    for name, raw in load_examples(shared_dir, "event-grid-schema").items():
        body = to_cloud_event(parse_event(raw))
        assert body["specversion"] == "1.0", name
        assert (body["id"], body["type"], body["source"], body["subject"], body["data"]) == (
            raw["id"], raw["eventType"], raw["topic"], raw["subject"], raw["data"]
        )
        assert body["time"] == raw["eventTime"]


@pytest.mark.parametrize("broken", [
    {"eventType": "Microsoft.Communication.ChatThreadCreated", "data": {}},  # no id
    {"id": "x", "data": {}},  # no type
    {"id": "x", "eventType": "Microsoft.Communication.ChatThreadCreated", "data": [1, 2]},
    {"specversion": "1.0", "id": "x", "source": "s", "data": {}},
])
def test_malformed_events_are_refused_with_the_field_named(broken: dict[str, Any]) -> None:
    with pytest.raises(BadRequestError):
        parse_event(broken)


def _sub(**overrides: Any) -> Subscription:
    values: dict[str, Any] = {"subscription_id": "sub_" + "0" * 24, "url": "https://example.com/hook",
                              "format": "twilio", "secret": Secret("s" * 16)}
    values.update(overrides)
    return Subscription(**values)


def _message_event(metadata: dict[str, str], short_type: str = "ChatMessageReceivedInThread") -> AcsEvent:
    return AcsEvent(id="e1", event_type="Microsoft.Communication." + short_type, source="", subject="", time=None,
                    data={"threadId": THREAD, "messageId": "1", "metadata": metadata})


def test_migrated_messages_reach_only_subscriptions_that_ask_for_them() -> None:
    migrated = _message_event({MIGRATED_FROM_KEY: "twilio"})
    live = _message_event({"key": "value"})
    assert migrated.is_migrated
    assert not live.is_migrated
    assert not matches(_sub(), migrated)
    assert matches(_sub(include_migrated=True), migrated)
    assert matches(_sub(), live)
    assert matches(_sub(), _message_event({MIGRATED_FROM_KEY: "slack"}))


def test_event_type_filters_use_each_formats_own_names() -> None:
    added = _message_event({})
    per_user = _message_event({}, "ChatMessageReceived")
    assert matches(_sub(event_types=("onMessageAdded",)), added)
    assert not matches(_sub(event_types=("onMessageRemoved",)), added)
    assert not matches(_sub(), per_user)  # no Twilio webhook for the per-recipient copy
    assert matches(_sub(format="cloudevents"), per_user)
    assert not matches(_sub(format="cloudevents", event_types=(added.event_type,)), per_user)
    assert not matches(_sub(enabled=False), added)


@pytest.mark.parametrize(("value", "expected"), [
    ("2021-02-19T16:59:10.464-08:00", "2021-02-20T00:59:10.464Z"),
    ("2021-02-20T00:04:07.7152073+00:00", "2021-02-20T00:04:07.715Z"),
    ("2021-02-19T00:43:10.14Z", "2021-02-19T00:43:10.140Z"),
    ("2021-02-19T00:43:10Z", "2021-02-19T00:43:10.000Z"),
    ("not a date", "not a date"),
    (None, None),
])
def test_dates_become_twilio_webhook_dates(value: str | None, expected: str | None) -> None:
    assert twilio_date(value) == expected

"""Real sync SDK round trips for every Identity and Chat operation, over HTTPS on loopback."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from azure.communication.chat import ChatMessageType, ChatParticipant
from azure.communication.identity import CommunicationTokenScope
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import Acs


def test_identity_operations(acs: Acs) -> None:
    client = acs.identity()
    user = client.create_user()
    assert user.properties["id"].startswith("8:acs:")
    token = client.get_token(user, [CommunicationTokenScope.CHAT, CommunicationTokenScope.VOIP])
    assert token.token.count(".") == 2
    expires = dt.datetime.fromisoformat(str(token.expires_on))
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)
    short = client.get_token(user, [CommunicationTokenScope.CHAT], token_expires_in=dt.timedelta(minutes=60))
    assert dt.datetime.fromisoformat(str(short.expires_on)) - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=60)
    user2, token2 = client.create_user_and_token([CommunicationTokenScope.CHAT_JOIN])
    assert token2.token
    client.revoke_tokens(user)
    client.delete_user(user2)
    with pytest.raises(ResourceNotFoundError):
        client.get_token(user2, [CommunicationTokenScope.CHAT])


@pytest.mark.parametrize("minutes", [59, 1441])
def test_token_lifetime_outside_60_to_1440_is_a_validation_error(acs: Acs, minutes: int) -> None:
    with pytest.raises(HttpResponseError) as caught:
        acs.identity().create_user_and_token(
            [CommunicationTokenScope.CHAT], token_expires_in=dt.timedelta(minutes=minutes)
        )
    assert caught.value.status_code == 400
    assert caught.value.error is not None
    assert caught.value.error.code == "ValidationError"
    assert caught.value.error.target == "ExpiresInMinutes"


def test_teams_token_exchange_answers_a_clear_error(acs: Acs) -> None:
    with pytest.raises(HttpResponseError) as caught:
        acs.identity().get_token_for_teams_user("aad-token", "client-id", "user-object-id")
    assert caught.value.status_code == 501
    assert "Teams" in str(caught.value)


def test_thread_lifecycle_and_messages(acs: Acs) -> None:
    alice, alice_token = acs.user()
    bob, bob_token = acs.user()
    chat = acs.chat(alice_token)
    created = chat.create_chat_thread(
        "Migrated: support-123",
        thread_participants=[
            ChatParticipant(
                identifier=bob, display_name="Bob", share_history_time=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
            )
        ],
    )
    assert not created.errors
    thread = created.chat_thread
    assert thread.id.startswith("19:")
    assert thread.id.endswith("@thread.v2")
    assert thread.created_by.properties["id"] == alice.properties["id"]
    client = chat.get_chat_thread_client(thread.id)
    props = client.get_properties()
    assert props.topic == "Migrated: support-123"

    sent = client.send_message(
        "hello <b>", chat_message_type=ChatMessageType.HTML, sender_display_name="Alice", metadata={"twilioSid": "IM1"}
    )
    assert sent.id.isdigit()
    assert len(sent.id) == 13
    second = client.send_message("plain")
    assert int(second.id) > int(sent.id)
    message = client.get_message(sent.id)
    assert message.type == ChatMessageType.HTML
    assert message.content.message == "hello <b>"
    assert message.sender_display_name == "Alice"
    assert message.metadata == {"twilioSid": "IM1"}
    assert message.sequence_id == "3"
    assert message.version == sent.id
    assert message.sender.properties["id"] == alice.properties["id"]

    client.update_message(sent.id, content="edited", metadata={"edited": "yes"})
    edited = client.get_message(sent.id)
    assert edited.content.message == "edited"
    assert edited.edited_on is not None
    assert int(edited.version) > int(sent.id)
    assert edited.metadata == {"twilioSid": "IM1", "edited": "yes"}

    listed = list(client.list_messages(results_per_page=2))
    assert [m.sequence_id for m in listed] == ["4", "3", "2", "1"]
    assert [m.type for m in listed[2:]] == [ChatMessageType.TOPIC_UPDATED, ChatMessageType.PARTICIPANT_ADDED]
    system = listed[3]
    assert system.sender is None
    assert {p.identifier.properties["id"] for p in system.content.participants} == {
        alice.properties["id"],
        bob.properties["id"],
    }

    client.delete_message(second.id)
    deleted = client.get_message(second.id)
    assert deleted.deleted_on is not None

    client.update_topic("new topic")
    assert client.get_properties().topic == "new topic"
    newest = next(iter(client.list_messages()))
    assert newest.type == ChatMessageType.TOPIC_UPDATED
    assert newest.content.topic == "new topic"

    bob_client = acs.chat(bob_token).get_chat_thread_client(thread.id)
    bob_client.send_typing_notification(sender_display_name="Bob")
    bob_client.send_read_receipt(sent.id)
    client.send_read_receipt(sent.id)
    receipts = list(client.list_read_receipts(results_per_page=1))
    assert {r.sender.properties["id"] for r in receipts} == {alice.properties["id"], bob.properties["id"]}
    assert all(r.chat_message_id == sent.id for r in receipts)

    assert thread.id in [t.id for t in chat.list_chat_threads()]
    chat.delete_chat_thread(thread.id)
    with pytest.raises(ResourceNotFoundError):
        client.get_properties()
    assert thread.id not in [t.id for t in chat.list_chat_threads()]


def test_participants_add_list_remove(acs: Acs) -> None:
    owner, token = acs.user()
    others = [acs.user()[0] for _ in range(3)]
    chat = acs.chat(token)
    thread_id = chat.create_chat_thread("people").chat_thread.id
    client = chat.get_chat_thread_client(thread_id)
    unknown = type(owner)("8:acs:00000000-0000-0000-0000-000000000000_nobody")
    errors = client.add_participants(
        [ChatParticipant(identifier=o, display_name=f"P{i}") for i, o in enumerate(others)]
        + [ChatParticipant(identifier=unknown)]
    )
    assert len(errors) == 1
    participant, error = errors[0]
    assert participant.identifier.properties["id"] == unknown.properties["id"]
    assert error.code == "403"
    people = list(client.list_participants(results_per_page=2))
    assert [p.display_name for p in people] == [None, "P0", "P1", "P2"]
    assert people[0].share_history_time == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    skipped = list(client.list_participants(results_per_page=10, skip=2))
    assert [p.display_name for p in skipped] == ["P1", "P2"]
    client.remove_participant(others[0])
    assert [p.display_name for p in client.list_participants()] == [None, "P1", "P2"]
    removed = next(iter(client.list_messages()))
    assert removed.type == ChatMessageType.PARTICIPANT_REMOVED
    assert removed.content.participants[0].identifier.properties["id"] == others[0].properties["id"]


def test_idempotent_create_returns_the_same_thread(acs: Acs) -> None:
    _, token = acs.user()
    chat = acs.chat(token)
    first = chat.create_chat_thread("once", idempotency_token="fixed-request-id").chat_thread
    again = chat.create_chat_thread("once", idempotency_token="fixed-request-id").chat_thread
    assert again.id == first.id
    assert again.created_on == first.created_on
    other = chat.create_chat_thread("once").chat_thread
    assert other.id != first.id
    assert sum(1 for t in chat.list_chat_threads() if t.topic == "once") == 2


def test_message_listing_pages_and_start_time(acs: Acs) -> None:
    _, token = acs.user()
    chat = acs.chat(token)
    client = chat.get_chat_thread_client(chat.create_chat_thread("paging").chat_thread.id)
    ids = [client.send_message(f"m{i}").id for i in range(7)]
    pages = list(client.list_messages(results_per_page=3).by_page())
    sizes = [len(list(page)) for page in pages]
    assert sizes == [3, 3, 3]
    listed = [m.id for m in client.list_messages(results_per_page=3)]
    assert listed[:7] == list(reversed(ids))
    cut = client.get_message(ids[4]).created_on
    recent = list(client.list_messages(start_time=cut))
    assert "m6" in [m.content.message for m in recent if m.type == ChatMessageType.TEXT]
    assert all(m.created_on >= cut for m in recent)
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert list(client.list_messages(start_time=future)) == []


def test_share_history_time_limits_what_a_late_participant_sees(acs: Acs) -> None:
    _, token = acs.user()
    late, late_token = acs.user()
    full, full_token = acs.user()
    chat = acs.chat(token)
    thread_id = chat.create_chat_thread("history").chat_thread.id
    client = chat.get_chat_thread_client(thread_id)
    old = client.send_message("before").id
    time.sleep(0.01)  # message ids are epoch ms: keep "before" strictly older than the share time
    share = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    client.add_participants([ChatParticipant(identifier=late, share_history_time=share)])
    client.add_participants(
        [ChatParticipant(identifier=full, share_history_time=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))]
    )
    new = client.send_message("after").id
    late_view = [m.id for m in acs.chat(late_token).get_chat_thread_client(thread_id).list_messages()]
    assert new in late_view
    assert old not in late_view
    with pytest.raises(ResourceNotFoundError):
        acs.chat(late_token).get_chat_thread_client(thread_id).get_message(old)
    full_view = [m.id for m in acs.chat(full_token).get_chat_thread_client(thread_id).list_messages()]
    assert old in full_view
    assert new in full_view


def test_list_threads_pages(acs: Acs) -> None:
    _, token = acs.user()
    chat = acs.chat(token)
    made = [chat.create_chat_thread(f"t{i}").chat_thread.id for i in range(5)]
    pages = list(chat.list_chat_threads(results_per_page=2).by_page())
    assert [len(list(p)) for p in pages] == [2, 2, 1]
    assert sorted(t.id for t in chat.list_chat_threads(results_per_page=2)) == sorted(made)

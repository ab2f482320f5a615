"""The reverse rows the fan-out reads: ACS thread -> conversation, ACS message id -> Twilio message (real Azurite)."""

from __future__ import annotations

from dataclasses import replace

from shared.container import AppContainer
from shared.state import ConversationRecord, MessageMapping

SID = "CH/odd#sid?" + "1" * 20  # keys are escaped both ways


def test_a_thread_maps_back_to_its_conversation_through_create_update_and_delete(container: AppContainer) -> None:
    store = container.conversations
    assert store.find_conversation_for_thread("19:t1@thread.v2") is None
    created = store.create_conversation(ConversationRecord(SID, thread_id="19:t1@thread.v2"))
    found = store.find_conversation_for_thread("19:t1@thread.v2")
    assert found is not None
    assert found.conversation_sid == SID
    store.update_conversation(replace(created, thread_id="19:t2@thread.v2", status="running"))
    assert store.find_conversation_for_thread("19:t1@thread.v2") is None  # a stale link is not believed
    moved = store.find_conversation_for_thread("19:t2@thread.v2")
    assert moved is not None
    assert moved.status == "running"
    assert [c.conversation_sid for c in store.list_conversations()] == [SID]  # reverse rows are not listed
    store.delete_conversation(SID)
    assert store.find_conversation_for_thread("19:t2@thread.v2") is None


def test_a_fresh_store_instance_finds_links_written_by_another(
    container: AppContainer, fanout_environ: dict[str, str]
) -> None:
    container.conversations.upsert_conversation(ConversationRecord(SID, thread_id="19:t3@thread.v2"))
    found = AppContainer.from_environ(fanout_environ).conversations.find_conversation_for_thread("19:t3@thread.v2")
    assert found is not None
    assert found.conversation_sid == SID


def test_acs_message_ids_map_back_to_twilio_messages_split_ones_included(container: AppContainer) -> None:
    store = container.messages
    store.upsert_messages(SID, [
        MessageMapping(SID, 0, "IM" + "0" * 32, ("1700000000001",)),
        MessageMapping(SID, 7, "IM" + "7" * 32, ("1700000000002", "1700000000003")),  # split in two on ACS
    ])
    for acs_id, index in (("1700000000001", 0), ("1700000000002", 7), ("1700000000003", 7)):
        found = store.find_message_by_acs_id(SID, acs_id)
        assert found is not None
        assert found.index == index
    assert store.find_message_by_acs_id(SID, "1700000000009") is None
    assert [m.index for m in store.list_messages(SID)] == [0, 7]  # reverse rows are not mappings
    assert [m.index for m in store.list_messages(SID, after_index=0)] == [7]
    assert store.delete_messages(SID) == 2
    assert store.find_message_by_acs_id(SID, "1700000000002") is None

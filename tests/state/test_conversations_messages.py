from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared.container import AppContainer
from shared.errors import ConcurrentUpdateError, LeaseHeldError
from shared.state import ConversationRecord, MessageMapping
from shared.state.conversations import ConversationNotFoundError
from shared.state.messages import MessageNotFoundError
from shared.state.tables import utcnow


def test_conversation_rows_round_trip_with_large_counters(container: AppContainer) -> None:
    store = container.conversations
    record = ConversationRecord(
        "CH" + "a" * 32, thread_id="19:thread@thread.v2", status="running", high_water_index=41,
        message_count=3, media_bytes=5 * 2**31, attributes={"topic": "ünïcode 🎉"},
    )
    store.upsert_conversation(record)
    back = store.get_conversation(record.conversation_sid)
    assert back.media_bytes == 5 * 2**31
    assert back.high_water_index == 41
    assert back.attributes == {"topic": "ünïcode 🎉"}
    assert back.etag
    with pytest.raises(ConversationNotFoundError):
        store.get_conversation("CH" + "b" * 32)


def test_updates_are_etag_guarded(container: AppContainer) -> None:
    store = container.conversations
    first = store.upsert_conversation(ConversationRecord("CHetag"))
    store.update_conversation(replace(first, high_water_index=5))
    with pytest.raises(ConcurrentUpdateError):
        store.update_conversation(replace(first, high_water_index=9))
    assert store.get_conversation("CHetag").high_water_index == 5


def test_a_live_lease_keeps_other_workers_out_until_it_expires(container: AppContainer) -> None:
    store = container.conversations
    now = utcnow()
    store.acquire_lease("CHlease", owner="worker-1", duration=timedelta(minutes=5), now=now)
    with pytest.raises(LeaseHeldError, match="CHlease"):
        store.acquire_lease("CHlease", owner="worker-2", duration=timedelta(minutes=5), now=now)
    renewed = store.acquire_lease("CHlease", owner="worker-1", duration=timedelta(minutes=5), now=now)
    assert renewed.lease_owner == "worker-1"
    later = now + timedelta(minutes=6)
    taken = store.acquire_lease("CHlease", owner="worker-2", duration=timedelta(minutes=5), now=later)
    assert taken.lease_owner == "worker-2"
    store.release_lease("CHlease", owner="worker-1")  # not the owner: nothing happens
    assert store.get_conversation("CHlease").lease_owner == "worker-2"
    store.release_lease("CHlease", owner="worker-2")
    assert store.get_conversation("CHlease").lease_owner is None


def test_status_filter_is_parameterised(container: AppContainer) -> None:
    store = container.conversations
    store.upsert_conversation(ConversationRecord("CHdone", status="done"))
    store.upsert_conversation(ConversationRecord("CHfailed", status="failed"))
    assert [c.conversation_sid for c in store.list_conversations(status="done")] == ["CHdone"]
    assert list(store.list_conversations(status="done' or Status ne 'x")) == []


def test_message_map_batches_above_100_and_reads_back_in_index_order(container: AppContainer) -> None:
    store = container.messages
    sid = "CH/with#odd?chars\\"
    mappings = [
        MessageMapping(sid, index, f"IM{index:032d}", (f"{1700000000000 + index}",) * (1 + index % 2))
        for index in range(0, 500, 2)
    ]
    assert store.upsert_messages(sid, reversed(mappings)) == 250
    back = list(store.list_messages(sid))
    assert [m.index for m in back] == [m.index for m in mappings]
    assert back[3].acs_message_ids == mappings[3].acs_message_ids
    assert [m.index for m in store.list_messages(sid, after_index=480)] == [482, 484, 486, 488, 490, 492, 494, 496, 498]
    assert store.get_message(sid, 10).twilio_message_sid == f"IM{10:032d}"
    with pytest.raises(MessageNotFoundError):
        store.get_message(sid, 11)
    assert store.delete_messages(sid) == 250
    assert list(store.list_messages(sid)) == []

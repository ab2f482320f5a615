"""MessageMapWriter on its own, on Azurite: map rows first, then the record; the lease guards every write."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

import pytest

from shared.container import AppContainer
from shared.errors import ConcurrentUpdateError
from shared.state import ConversationRecord, MessageMapping

from .slices import SliceKit


def _leased(container: AppContainer, owner: str) -> ConversationRecord:
    sid = "CH" + secrets.token_hex(16)
    return container.conversations.acquire_lease(sid, owner=owner, duration=timedelta(seconds=60))


def _row(sid: str, index: int, *ids: str) -> MessageMapping:
    return MessageMapping(sid, index, f"IM{index:032d}", ids, author="ann")


def test_a_flush_writes_the_rows_then_advances_the_high_water_index_and_counts(
    kit: SliceKit, container: AppContainer
) -> None:
    record = _leased(container, "writer-1")
    sid = record.conversation_sid
    writer = kit.writer(record, owner="writer-1")
    writer.add(_row(sid, 0, "acs-a"), media_bytes=10)
    writer.add(_row(sid, 1, "acs-b", "acs-c"), media_bytes=5)

    assert writer.pending == 2
    assert container.conversations.get_conversation(sid).high_water_index == -1  # nothing written yet
    writer.flush()

    assert writer.pending == 0
    stored = container.conversations.get_conversation(sid)
    assert (stored.high_water_index, stored.message_count, stored.media_bytes) == (1, 2, 15)
    assert stored.lease_owner == "writer-1"
    assert writer.record.etag == stored.etag
    assert [(r.index, r.acs_message_ids) for r in container.messages.list_messages(sid)] == [
        (0, ("acs-a",)), (1, ("acs-b", "acs-c"))]


def test_a_save_waits_for_the_batch_written_in_the_background(kit: SliceKit, container: AppContainer) -> None:
    record = _leased(container, "writer-2")
    sid = record.conversation_sid
    writer = kit.writer(record, owner="writer-2")
    writer.add(_row(sid, 0, "acs-a"))
    writer.flush(wait=False)

    saved = writer.save(status="running")

    assert (saved.status, saved.high_water_index, saved.message_count) == ("running", 0, 1)
    stored = container.conversations.get_conversation(sid)
    assert (stored.status, stored.high_water_index, stored.etag) == ("running", 0, saved.etag)
    writer.check()  # nothing failed


def test_a_lost_lease_stops_the_record_write_after_the_rows_are_written(
    kit: SliceKit, container: AppContainer
) -> None:
    record = _leased(container, "writer-3")
    sid = record.conversation_sid
    writer = kit.writer(record, owner="writer-3")
    other = container.conversations.update_conversation(replace(record, lease_owner="another-worker"))
    writer.add(_row(sid, 0, "acs-a"))

    with pytest.raises(ConcurrentUpdateError):
        writer.flush()
    with pytest.raises(ConcurrentUpdateError):
        writer.save(status="done")

    assert [r.index for r in container.messages.list_messages(sid)] == [0]  # the rows went first
    stored = container.conversations.get_conversation(sid)
    assert (stored.lease_owner, stored.high_water_index, stored.etag) == ("another-worker", -1, other.etag)


def test_the_last_write_of_a_slice_gives_the_lease_up_in_the_same_request(
    kit: SliceKit, container: AppContainer
) -> None:
    record = _leased(container, "writer-last")
    sid = record.conversation_sid
    writer = kit.writer(record, owner="writer-last")
    writer.add(_row(sid, 0, "acs-a"))
    writer.flush()
    assert not writer.released

    writer.finish(status="done")

    stored = container.conversations.get_conversation(sid)
    assert (stored.status, stored.lease_owner, stored.lease_expires_at, stored.high_water_index) == (
        "done", None, None, 0)
    assert writer.released
    taken = container.conversations.acquire_lease(sid, owner="next-slice", duration=timedelta(seconds=60))
    assert taken.lease_owner == "next-slice"  # free at once, not after the lease ran out


def test_the_rows_of_the_latest_sends_stay_in_memory_newest_last(kit: SliceKit, container: AppContainer) -> None:
    record = _leased(container, "writer-recent")
    sid = record.conversation_sid
    writer = kit.writer(record, owner="writer-recent")
    for index in range(100):
        writer.add(_row(sid, index, f"acs-{index}"))
    assert list(writer.recent) == list(range(36, 100))  # the last 64
    assert writer.recent[99].acs_message_ids == ("acs-99",)

"""ReceiptSender on its own: a participant's read position becomes one ACS read receipt, sent as that participant."""

from __future__ import annotations

import secrets

from shared.container import AppContainer
from shared.export import ExportEngine
from shared.state import MessageMapping

from .conftest import AcsAdmin
from .seeding import TwilioSeeder
from .slices import SliceKit

SEND_RECEIPT = "POST /chat/threads/{chatThreadId}/readReceipts"  # the stand-in counts by route


def _receipts_sent(acs_admin: AcsAdmin) -> int:
    return sum(acs_admin.counters()["counters"].get(SEND_RECEIPT, {}).values())


def test_a_new_read_position_is_sent_once_as_the_reader(
    kit: SliceKit, engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("receipts")
    reader = seeder.chat_participant(conv, "reader")
    seeder.chat_participant(conv, "writer")
    for n in range(4):
        seeder.message(conv, "writer", f"m{n}")
    assert engine.exporter.export_conversation(conv.sid).status == "done"  # nobody had read anything yet
    seeder.read_up_to(conv, reader.sid, 2)
    work = kit.open_slice(conv.sid, conv.service_sid)
    participants = list(work.people.by_participant.values())
    before = _receipts_sent(acs_admin)

    kit.receipts.send_receipts(work, participants)

    reader_id = container.identity_map.get_identity("reader").acs_user_id
    thread = acs_admin.thread(work.thread_id)
    receipts = {r["senderCommunicationIdentifier"]["rawId"]: r["chatMessageId"] for r in thread["readReceipts"]}
    assert receipts == {reader_id: container.messages.get_message(conv.sid, 2).acs_message_ids[-1]}
    assert container.conversations.get_conversation(conv.sid).attributes["receipts"] == {"reader": 2}
    assert _receipts_sent(acs_admin) == before + 1

    kit.receipts.send_receipts(work, participants)  # the same position again: nothing to send

    assert _receipts_sent(acs_admin) == before + 1


def test_a_thread_of_more_than_20_members_gets_no_receipts(
    kit: SliceKit, engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("crowded")
    reader = seeder.chat_participant(conv, "reader")
    seeder.message(conv, "reader", "m0")
    assert engine.exporter.export_conversation(conv.sid).status == "done"
    seeder.read_up_to(conv, reader.sid, 0)
    work = kit.open_slice(conv.sid, conv.service_sid)
    work.members = {f"8:acs:member-{n}" for n in range(21)}
    before = container.conversations.get_conversation(conv.sid)

    kit.receipts.send_receipts(work, list(work.people.by_participant.values()))

    after = container.conversations.get_conversation(conv.sid)
    assert (after.etag, after.attributes.get("receipts")) == (before.etag, before.attributes.get("receipts"))


def test_a_read_position_on_a_gap_falls_back_to_the_nearest_copy_before_it(
    kit: SliceKit, container: AppContainer
) -> None:
    sid = "CH" + secrets.token_hex(16)
    container.messages.upsert_messages(sid, [
        MessageMapping(sid, 0, "IM0", ("acs-0",)),
        MessageMapping(sid, 2, "IM2", ("acs-2a", "acs-2b")),
        MessageMapping(sid, 3, "IM3", ("acs-3",), deleted=True),
    ])

    found = [kit.receipts.mapped_at_or_before(sid, i) for i in range(5)]

    assert [r.index if r else None for r in found] == [0, 0, 2, 2, 2]
    assert kit.receipts.mapped_at_or_before(sid, 60) is None  # more than 50 back: given up


def test_rows_the_slice_just_wrote_are_read_from_memory(kit: SliceKit, container: AppContainer) -> None:
    sid = "CH" + secrets.token_hex(16)  # nothing of it in the table
    row = MessageMapping(sid, 7, "IM" + "7" * 32, ("acs-7",), author="ann")

    assert kit.receipts.mapped_at_or_before(sid, 9, recent={7: row}) == row  # the nearest before 9, from memory
    assert kit.receipts.mapped_at_or_before(sid, 9) is None  # the table has none


def test_readers_of_the_last_message_get_a_receipt_for_its_copy(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("read to the end")
    readers = [seeder.chat_participant(conv, name) for name in ("ria", "rob")]
    for n in range(5):
        seeder.message(conv, "ria", f"m{n}")
    for reader in readers:
        seeder.read_up_to(conv, reader.sid, 4)

    assert engine.exporter.export_conversation(conv.sid).status == "done"

    last = container.messages.get_message(conv.sid, 4).acs_message_ids[-1]
    thread = acs_admin.thread(str(container.conversations.get_conversation(conv.sid).thread_id))
    assert {r["senderCommunicationIdentifier"]["rawId"]: r["chatMessageId"] for r in thread["readReceipts"]} == {
        container.identity_map.get_identity(name).acs_user_id: last for name in ("ria", "rob")}

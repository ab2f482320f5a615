"""Reconciler on its own: copies ACS already holds above the high-water index are recorded, not sent again."""

from __future__ import annotations

from shared.container import AppContainer
from shared.export import ExportEngine

from .seeding import TwilioSeeder
from .slices import SliceKit


def test_complete_copies_are_recorded_and_a_split_message_sent_in_part_stays_partial(
    kit: SliceKit, engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("reconcile")
    seeder.chat_participant(conv, "ann")
    for n in range(3):
        seeder.message(conv, "ann", f"m{n}")
    work = kit.open_slice(conv.sid, conv.service_sid)
    kit.threads.set_up(work, list(work.people.by_participant.values()))
    client = engine.chat.thread_client(work.thread_id, engine.people.token("ann"))

    def copy(index: int, **extra: str) -> str:  # what an earlier slice sent before its map write was lost
        metadata = {"migratedFrom": "twilio", "twilioConversationSid": conv.sid, "originalAuthor": "ann",
                    "twilioMessageSid": conv.messages[index].sid, "twilioIndex": str(index), **extra}
        return str(client.send_message(f"m{index}", metadata=metadata).id)

    first = copy(0)
    half = copy(1, twilioPart="1", twilioPartCount="2")
    copy(2)  # cannot have been sent after an incomplete message: not recorded
    client.send_message("typed in ACS, not migrated")
    client.send_message("another conversation's copy", metadata={
        "migratedFrom": "twilio", "twilioConversationSid": "CH" + "9" * 32, "twilioMessageSid": "IM" + "9" * 32,
        "twilioIndex": "5"})

    kit.reconciler.reconcile(work)

    assert [(r.index, r.twilio_message_sid, r.acs_message_ids, r.author)
            for r in container.messages.list_messages(conv.sid)] == [(0, conv.messages[0].sid, (first,), "ann")]
    assert work.partial == {conv.messages[1].sid: {1: half}}
    stored = container.conversations.get_conversation(conv.sid)
    assert (stored.high_water_index, stored.message_count) == (0, 1)


def test_a_thread_with_nothing_above_high_water_records_nothing(
    kit: SliceKit, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("nothing new")
    seeder.chat_participant(conv, "ann")
    seeder.message(conv, "ann", "m0")
    work = kit.open_slice(conv.sid, conv.service_sid)
    kit.threads.set_up(work, list(work.people.by_participant.values()))
    before = container.conversations.get_conversation(conv.sid)

    kit.reconciler.reconcile(work)

    assert list(container.messages.list_messages(conv.sid)) == []
    assert work.partial == {}
    assert container.conversations.get_conversation(conv.sid).etag == before.etag

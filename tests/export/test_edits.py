"""ChangeApplier on its own: Twilio edits and deletions of copied messages applied in ACS, as the author."""

from __future__ import annotations

from typing import Any

from shared.container import AppContainer
from shared.export import ExportEngine
from shared.export.content import content_hash

from .conftest import AcsAdmin
from .seeding import TwilioSeeder
from .slices import SliceKit


def _by_index(acs_admin: AcsAdmin, container: AppContainer, sid: str, thread_id: str) -> dict[int, dict[str, Any]]:
    """The ACS copy of each Twilio index, by the ids in the message map (a deleted copy keeps no metadata)."""
    by_id = {m["id"]: m for m in acs_admin.user_messages(thread_id)}
    return {r.index: by_id[r.acs_message_ids[0]] for r in container.messages.list_messages(sid)}


def test_edits_and_deletions_reach_the_copies_and_the_map_once(
    kit: SliceKit, engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("edits")
    seeder.chat_participant(conv, "eve")
    for n in range(4):
        seeder.message(conv, "eve", f"original {n}")
    assert engine.exporter.export_conversation(conv.sid).status == "done"
    long_body = "x" * 30_000  # over ACS's 28 KB: the one copy it had carries what fits
    seeder.edit(conv, conv.messages[1].sid, "edited 1")
    seeder.delete(conv, conv.messages[2].sid)
    seeder.edit(conv, conv.messages[3].sid, long_body)
    work = kit.open_slice(conv.sid, conv.service_sid)

    kit.changes.apply_changes(work)

    assert (work.edits, work.deletions) == (2, 1)
    messages = _by_index(acs_admin, container, conv.sid, work.thread_id)
    assert messages[0]["content"]["message"] == "original 0"
    assert "twilioEdited" not in messages[0]["metadata"]
    assert messages[1]["content"]["message"] == "edited 1"
    assert messages[1]["metadata"]["twilioEdited"] == "true"
    assert "deletedOn" in messages[2]
    truncated = messages[3]
    assert long_body.startswith(truncated["content"]["message"])
    assert len(truncated["content"]["message"]) < len(long_body)
    assert (truncated["metadata"]["twilioEdited"], truncated["metadata"]["twilioTruncated"]) == ("true", "true")
    eve = container.identity_map.get_identity("eve").acs_user_id
    assert {m["senderCommunicationIdentifier"]["rawId"] for m in messages.values()} == {eve}
    twilio = {m.index: m for m in engine.source.messages(work.conv)}
    rows = {r.index: r for r in container.messages.list_messages(conv.sid)}
    assert [rows[i].deleted for i in range(4)] == [False, False, True, False]
    assert (rows[1].content_hash, rows[3].content_hash) == (content_hash(twilio[1]), content_hash(twilio[3]))

    kit.changes.apply_changes(work)  # the map knows them now: nothing is applied twice

    assert (work.edits, work.deletions) == (2, 1)

"""What is copied: threads, participants, messages, media, receipts, legacy channels, later changes."""

from __future__ import annotations

import hashlib
import json

from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest
from shared.export.content import EMPTY_BODY, MAX_MESSAGE_BYTES
from shared.export.thread_setup import thread_token
from shared.state.ledger import LedgerStatus

from .conftest import AcsAdmin
from .seeding import TwilioSeeder


def _run(engine: ExportEngine, seeder: TwilioSeeder, *, legacy: bool = False) -> dict[str, str]:
    report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,), include_legacy_public_channels=legacy))
    return {o.conversation_sid: o.status for o in report.outcomes}


def _thread(container: AppContainer, sid: str) -> str:
    thread_id = container.conversations.get_conversation(sid).thread_id
    assert thread_id is not None
    return thread_id


def test_a_rerun_copies_nothing_new_and_reuses_the_thread(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation(None, unique_name="by-unique-name")
    seeder.chat_participant(conv, "ann")
    for n in range(12):
        seeder.message(conv, "ann", f"message {n}")
    assert _run(engine, seeder) == {conv.sid: "done"}
    thread_id = _thread(container, conv.sid)
    assert acs_admin.thread(thread_id)["topic"] == "by-unique-name"

    second = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))

    assert [(o.status, o.messages) for o in second.outcomes] == [("done", 0)]
    assert _thread(container, conv.sid) == thread_id
    assert len(acs_admin.user_messages(thread_id)) == 12
    assert len(list(container.messages.list_messages(conv.sid))) == 12


def test_the_thread_token_is_stable_per_account_and_conversation() -> None:
    assert thread_token("AC1", "CH1") == thread_token("AC1", "CH1")
    assert thread_token("AC1", "CH1") != thread_token("AC1", "CH2")
    assert thread_token("AC1", "CH1") != thread_token("AC2", "CH1")


def test_an_author_who_left_keeps_authorship_and_the_creator_is_a_participant(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("left")
    seeder.chat_participant(conv, "zed")
    seeder.message(conv, "carol", "I was here before I left")
    seeder.message(conv, "zed", "and I stayed")

    assert _run(engine, seeder) == {conv.sid: "done"}

    thread = acs_admin.thread(_thread(container, conv.sid))
    members = {p["communicationIdentifier"]["rawId"] for p in thread["participants"]}
    carol = container.identity_map.get_identity("carol").acs_user_id
    assert carol in members
    assert thread["createdByCommunicationIdentifier"]["rawId"] in members
    first = acs_admin.user_messages(thread["id"])[0]
    assert first["senderCommunicationIdentifier"]["rawId"] == carol
    assert first["metadata"]["originalAuthor"] == "carol"


def test_metadata_long_bodies_empty_bodies_and_attributes(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("sizes")
    seeder.chat_participant(conv, "kim")
    long_body = "ünï 🙂 abc " * 2000  # 30,000 bytes: over ACS's 28 KB, under Twilio's 32 KB
    big_attributes = json.dumps({"k": "v" * 3900})  # near Twilio's 4 KB limit
    seeder.message(conv, "kim", long_body, attributes=big_attributes)
    seeder.message(conv, "kim", None, content_sid="HX" + "0" * 32)  # a template message: no body, no media
    seeder.message(conv, "kim", "small", attributes='{"priority": "high"}')

    assert _run(engine, seeder) == {conv.sid: "done"}

    messages = acs_admin.user_messages(_thread(container, conv.sid))
    parts = [m for m in messages if m["metadata"]["twilioIndex"] == "0"]
    assert len(parts) >= 2
    assert [m["metadata"]["twilioPart"] for m in parts] == [str(i) for i in range(1, len(parts) + 1)]
    assert "".join(m["content"]["message"] for m in parts) == long_body
    for message in messages:
        size = len(message["content"]["message"].encode()) + sum(
            len(k.encode()) + len(v.encode()) for k, v in message["metadata"].items())
        assert size <= MAX_MESSAGE_BYTES
    empty = next(m for m in messages if m["metadata"]["twilioIndex"] == "1")
    assert empty["content"]["message"] == EMPTY_BODY
    assert empty["metadata"]["twilioEmptyBody"] == "true"
    assert all(m["metadata"]["twilioAttributes"] == big_attributes for m in parts)
    small = messages[-1]
    meta = small["metadata"]
    assert meta["migratedFrom"] == "twilio"
    assert meta["twilioConversationSid"] == conv.sid
    assert meta["twilioMessageSid"] == conv.messages[2].sid
    assert meta["twilioAttributes"] == '{"priority": "high"}'
    assert meta["originalDateCreated"] == conv.messages[2].date_created.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "twilioAttributesTruncated" not in meta


def test_media_bytes_are_identical_in_blob_storage_and_referenced_in_the_message(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    image = bytes(range(256)) * 3000  # 768 KB: streamed in chunks
    pdf = b"%PDF-1.4\n" + b"x" * 1000
    conv = seeder.conversation("media")
    seeder.chat_participant(conv, "mo")
    image_sid = seeder.upload_media(image, "image/png", "photo.png")
    pdf_sid = seeder.upload_media(pdf, "application/pdf", "report.pdf")
    seeder.message(conv, "mo", None, media_sids=[image_sid])
    seeder.message(conv, "mo", "see attached", media_sids=[pdf_sid])

    assert _run(engine, seeder) == {conv.sid: "done"}

    assert hashlib.sha256(container.media.read_media(image_sid)).digest() == hashlib.sha256(image).digest()
    assert container.media.read_media(pdf_sid) == pdf
    props = container.media.container.get_blob_client(image_sid).get_blob_properties()
    assert props.content_settings.content_type == "image/png"
    messages = acs_admin.user_messages(_thread(container, conv.sid))
    shared = json.loads(messages[0]["metadata"]["fileSharingMetadata"])
    assert shared == [{"id": image_sid, "name": "photo.png", "extension": "png",
                       "url": shared[0]["url"], "attachmentType": "image"}]
    assert shared[0]["url"].endswith(f"/{image_sid}")
    assert "[Attachment: photo.png" in messages[0]["content"]["message"]
    second = json.loads(messages[1]["metadata"]["fileSharingMetadata"])
    assert second[0]["attachmentType"] == "file"
    assert messages[1]["content"]["message"].startswith("see attached\n[Attachment: report.pdf")
    assert container.conversations.get_conversation(conv.sid).media_bytes == len(image) + len(pdf)


def test_read_state_becomes_read_receipts_sent_as_each_participant(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("receipts")
    reader = seeder.chat_participant(conv, "reader")
    seeder.chat_participant(conv, "writer")
    for n in range(4):
        seeder.message(conv, "writer", f"m{n}")
    seeder.read_up_to(conv, reader.sid, 2)

    assert _run(engine, seeder) == {conv.sid: "done"}

    thread = acs_admin.thread(_thread(container, conv.sid))
    reader_id = container.identity_map.get_identity("reader").acs_user_id
    receipts = {r["senderCommunicationIdentifier"]["rawId"]: r["chatMessageId"] for r in thread["readReceipts"]}
    assert receipts == {reader_id: container.messages.get_message(conv.sid, 2).acs_message_ids[-1]}


def test_an_edit_and_a_deletion_are_applied_by_a_second_run_as_the_author(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("changes")
    seeder.chat_participant(conv, "eve")
    for n in range(5):
        seeder.message(conv, "eve", f"original {n}")
    assert _run(engine, seeder) == {conv.sid: "done"}
    seeder.edit(conv, conv.messages[1].sid, "edited 1")
    seeder.delete(conv, conv.messages[3].sid)
    seeder.message(conv, "eve", "new after the first run")

    report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))

    assert [(o.status, o.messages, o.edits, o.deletions) for o in report.outcomes] == [("done", 1, 1, 1)]
    thread = acs_admin.thread(_thread(container, conv.sid))
    visible = [m for m in thread["messages"] if m["type"] == "text" and "deletedOn" not in m]
    assert [m["content"]["message"] for m in visible] == [
        "original 0", "edited 1", "original 2", "original 4", "new after the first run"]
    assert "editedOn" in visible[1]
    assert container.messages.get_message(conv.sid, 3).deleted is True


def test_public_and_private_legacy_channels_are_each_exported_once(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    public = seeder.public_channel("lobby")
    seeder.channel_member(public, "pat")
    seeder.channel_message(public, "pat", "hello lobby")
    seeder.channel_message(public, "pat", "anyone?")
    private = seeder.public_channel("back office", kind="private")
    seeder.channel_member(private, "pia")
    seeder.channel_message(private, "pia", "private hello")

    assert _run(engine, seeder) == {private.sid: "done"}  # public channels only when asked
    assert _run(engine, seeder, legacy=True) == {private.sid: "done", public.sid: "done"}

    public_thread = acs_admin.user_messages(_thread(container, public.sid))
    assert [m["content"]["message"] for m in public_thread] == ["hello lobby", "anyone?"]
    assert public_thread[0]["metadata"]["twilioSource"] == "chat"
    assert [m["content"]["message"] for m in acs_admin.user_messages(_thread(container, private.sid))] == [
        "private hello"]
    assert container.conversations.get_conversation(public.sid).source == "chat"


def test_identities_with_awkward_characters_are_mapped_and_kept(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    awkward = ["a/b\\c#d?e", "spaced name", "émoji 🙂", "tilde~7E", "quote'\"<x>"]
    conv = seeder.conversation("awkward")
    for identity in awkward:
        seeder.chat_participant(conv, identity)
        seeder.message(conv, identity, f"from {identity}")
    seeder.sms_participant(conv, "whatsapp:+15550001111", attributes='{"friendlyName": "Wanda"}')
    seeder.message(conv, "whatsapp:+15550001111", "via whatsapp")

    assert _run(engine, seeder) == {conv.sid: "done"}

    messages = acs_admin.user_messages(_thread(container, conv.sid))
    for identity, message in zip(awkward, messages, strict=False):
        mapping = container.identity_map.get_identity(identity)
        assert message["senderCommunicationIdentifier"]["rawId"] == mapping.acs_user_id
        assert message["metadata"]["originalAuthor"] == identity
    whatsapp = container.identity_map.get_identity("whatsapp:+15550001111")
    assert whatsapp.kind == "whatsapp"
    assert messages[-1]["senderDisplayName"] == "Wanda"


def test_more_than_250_participants_is_not_migratable_and_nothing_is_written(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seeder.conversation("crowd")
    for n in range(251):
        seeder.chat_participant(conv, f"member-{n}")
    seeder.message(conv, "member-0", "hello crowd")

    report = engine.runner.run(MigrationRequest(conversations=(conv.sid,)))

    assert [o.status for o in report.outcomes] == ["not_migratable"]
    assert "251 participants" in (report.outcomes[0].reason or "")
    record = container.conversations.get_conversation(conv.sid)
    assert record.status == "not_migratable"
    assert record.thread_id is None
    assert list(container.messages.list_messages(conv.sid)) == []
    run = container.runs.get_run(report.run_id)
    assert {k: run.counts[k] for k in ("planned", "done", "failed", "not_migratable")} == {
        "planned": 1, "done": 0, "failed": 0, "not_migratable": 1}  # counted on its own, not as a failure
    assert run.status == "succeeded"
    assert report.result is not None
    assert report.result.exit_code == 3
    listed = container.run_ledger.list_settled(report.run_id, LedgerStatus.NOT_MIGRATABLE)
    assert [(e.conversation_sid, "251 participants" in (e.reason or "")) for e in listed] == [(conv.sid, True)]


def test_one_failing_conversation_does_not_stop_the_run(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    good = seeder.conversation("good")
    seeder.chat_participant(good, "gus")
    seeder.message(good, "gus", "fine")
    bad = seeder.conversation("bad author")
    seeder.chat_participant(bad, "bea")
    seeder.message(bad, "/" * 250, "an author whose identity cannot be stored as a key")

    report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))

    statuses = {o.conversation_sid: o.status for o in report.outcomes}
    assert statuses == {good.sid: "done", bad.sid: "failed"}
    failure = report.failures[0]
    assert "too long to store" in (failure.reason or "")
    assert "too long to store" in (container.conversations.get_conversation(bad.sid).last_error or "")
    run = container.runs.get_run(report.run_id)
    assert (run.status, run.counts["done"], run.counts["failed"]) == ("failed", 1, 1)


def test_since_selects_conversations_created_on_or_after_the_date(
    engine: ExportEngine, seeder: TwilioSeeder
) -> None:
    seeder.clock = seeder.clock.replace(year=2020)
    old = seeder.conversation("old")
    seeder.clock = seeder.clock.replace(year=2023)
    new = seeder.conversation("new")
    since = seeder.clock.replace(month=1, day=1, hour=0, minute=0)

    selected = engine.runner.select(MigrationRequest(services=(seeder.service_sid,), since=since))

    assert [c.sid for c in selected] == [new.sid]
    assert old.sid not in {c.sid for c in selected}

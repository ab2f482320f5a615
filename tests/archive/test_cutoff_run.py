"""A run with an archive cutoff: old messages in the transcript, one link message first, the rest copied."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from shared.archive_cutoff import ArchiveCutoff
from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest
from shared.export.archive.store import ArchiveStore
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .helpers import HOSTILE, seed, thread_messages, transcript


def test_keep_newest_archives_the_rest_and_links_it_first(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seed(seeder, 12, "keep", hostile_at=2, media_at=5)

    report = engine.runner.run(MigrationRequest(conversations=(conv.sid,), archive=ArchiveCutoff(keep_newest=4)))

    assert [(o.status, o.messages, o.archived) for o in report.outcomes] == [("done", 4, 8)]
    assert report.archived == 8
    lines = transcript(container, conv.sid)
    assert [line["index"] for line in lines] == list(range(8))
    assert [line["twilioMessageSid"] for line in lines] == [m.sid for m in conv.messages[:8]]
    assert lines[2]["body"] == HOSTILE
    assert lines[0]["displayName"] == "ben"
    assert lines[0]["dateCreated"] == conv.messages[0].date_created.strftime("%Y-%m-%dT%H:%M:%SZ")
    media_sid = conv.messages[5].media[0]["sid"] if isinstance(conv.messages[5].media, list) else None
    assert [m["sid"] for m in lines[5]["media"]] == [media_sid]
    assert container.media.read_media(str(media_sid)) == b"%PDF-1.4 archived " + bytes([5])

    messages = thread_messages(acs_admin, container, conv.sid)
    link = messages[0]["metadata"]
    assert link["twilioArchive"] == "true"
    assert link["twilioArchiveMessages"] == "8"
    assert (link["twilioArchiveFirstIndex"], link["twilioArchiveLastIndex"]) == ("0", "7")
    assert link["twilioArchiveFrom"] == lines[0]["dateCreated"]
    assert link["twilioArchiveTo"] == lines[7]["dateCreated"]
    assert link["twilioArchiveUrl"].endswith(f"/api/archives/{conv.sid}/transcript.html")
    assert link["twilioArchiveJsonUrl"].endswith(f"/api/archives/{conv.sid}/transcript.jsonl")
    assert [int(m["metadata"]["twilioIndex"]) for m in messages[1:]] == [8, 9, 10, 11]
    record = container.conversations.get_conversation(conv.sid)
    assert (record.high_water_index, record.message_count) == (11, 4)
    assert [r.index for r in container.messages.list_messages(conv.sid)] == [8, 9, 10, 11]

    page = ArchiveStore(container.media).read(conv.sid, "html").decode()
    assert html.escape(HOSTILE) in page
    assert "<script>document" not in page


def test_archive_before_a_date_takes_the_leading_old_messages(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seed(seeder, 6, "dated")
    cut = conv.messages[3].date_created  # messages 0-2 are older
    cut = cut if cut.tzinfo else cut.replace(tzinfo=UTC)

    report = engine.runner.run(MigrationRequest(conversations=(conv.sid,), archive=ArchiveCutoff(before=cut)))

    assert [(o.status, o.messages) for o in report.outcomes] == [("done", 3)]
    assert [line["index"] for line in transcript(container, conv.sid)] == [0, 1, 2]
    messages = thread_messages(acs_admin, container, conv.sid)
    assert messages[0]["metadata"]["twilioArchiveMessages"] == "3"
    assert [int(m["metadata"]["twilioIndex"]) for m in messages[1:]] == [3, 4, 5]
    # a second run with another cutoff changes nothing: the boundary is fixed once
    later = engine.runner.run(MigrationRequest(conversations=(conv.sid,),
                                        archive=ArchiveCutoff(before=cut + timedelta(days=1))))
    assert [(o.status, o.messages) for o in later.outcomes] == [("done", 0)]
    assert len(thread_messages(acs_admin, container, conv.sid)) == 4


def test_a_cutoff_that_archives_nothing_copies_everything_without_a_link(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seed(seeder, 3, "nothing-old")

    report = engine.runner.run(MigrationRequest(conversations=(conv.sid,),
                                         archive=ArchiveCutoff(before=datetime(2000, 1, 1, tzinfo=UTC))))

    assert [(o.status, o.messages) for o in report.outcomes] == [("done", 3)]
    messages = thread_messages(acs_admin, container, conv.sid)
    assert [m["metadata"].get("twilioArchive") for m in messages] == [None, None, None]
    assert ArchiveStore(container.media).metadata(conv.sid, "jsonl") is None


def test_verify_checks_the_transcript_against_twilio_and_names_a_tampered_line(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seed(seeder, 7, "verified", media_at=1)
    engine.runner.run(MigrationRequest(conversations=(conv.sid,), archive=ArchiveCutoff(keep_newest=2)))
    record = container.conversations.get_conversation(conv.sid)

    verdict = engine.verifier.verify(record)

    assert verdict.problems == []
    assert (verdict.twilio_messages, verdict.archived, verdict.acs_messages, verdict.media) == (7, 5, 2, 0)

    store = ArchiveStore(container.media)
    lines = store.read(conv.sid, "jsonl").splitlines(keepends=True)
    lines[3] = lines[3].replace(b"verified 3", b"verified 3 (altered)")
    store.stage(conv.sid, "jsonl", "tampered-block", b"".join(lines))
    metadata = store.metadata(conv.sid, "jsonl")
    assert metadata is not None
    store.commit(conv.sid, "jsonl", ["tampered-block"], content_type="application/x-ndjson", metadata=metadata)

    assert engine.verifier.verify(record).problems == ["archived message 3: content differs from Twilio"]


def test_keep_newest_zero_archives_everything_and_later_messages_are_copied_after_the_link(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seed(seeder, 3, "all-old")

    first = engine.runner.run(MigrationRequest(conversations=(conv.sid,), archive=ArchiveCutoff(keep_newest=0)))
    seeder.message(conv, "ana", "after the cutover")
    second = engine.runner.run(MigrationRequest(conversations=(conv.sid,)))

    assert [(o.status, o.messages) for o in (*first.outcomes, *second.outcomes)] == [("done", 0), ("done", 1)]
    assert [line["index"] for line in transcript(container, conv.sid)] == [0, 1, 2]
    messages = thread_messages(acs_admin, container, conv.sid)
    assert [m["metadata"].get("twilioArchive") or m["metadata"]["twilioIndex"] for m in messages] == ["true", "3"]
    assert engine.verifier.verify(container.conversations.get_conversation(conv.sid)).problems == []

"""SIGKILL mid-archive, then resume: nothing half-written was visible, the transcript is byte-identical to an
uninterrupted write, and the thread has one link message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from azure.storage.blob import BlobServiceClient

from shared.container import AppContainer
from shared.export import ExportEngine
from shared.export.archive.progress import ArchiveProgress
from shared.export.archive.store import ArchiveStore
from shared.state.media import MediaStore
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .helpers import bulk_conversation, thread_messages

REPO_ROOT = Path(__file__).resolve().parents[2]
COUNT = 14_000  # several 1 MiB blocks: room to kill between them


def _migrate(environ: dict[str, str], sid: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "migrate", "--conversation", sid, "--archive-keep-newest", "3"],
        cwd=REPO_ROOT, env={**os.environ, **environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_for_staged_block(container: AppContainer, sid: str) -> ArchiveProgress:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        record = container.conversations.find_conversation(sid)
        progress = ArchiveProgress.from_json(record.attributes.get("archive")) if record else None
        if progress is not None and progress.blocks >= 1:
            return progress
        time.sleep(0.05)
    raise AssertionError("the archive never staged a block")


def test_killed_mid_archive_resumes_to_an_identical_transcript_and_one_link(
    export_environ: dict[str, str], engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder,
    acs_admin: AcsAdmin, storage_connection_string: str,
) -> None:
    sid = bulk_conversation(seeder, COUNT, "killed-archive")
    environ = dict(export_environ, EXPORT_LEASE_SECONDS="2")
    process = _migrate(environ, sid)
    try:
        progress = _wait_for_staged_block(container, sid)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    store = ArchiveStore(container.media)
    assert progress.state == "writing"
    assert store.metadata(sid, "jsonl") is None  # staged blocks only: no transcript is visible
    assert store.metadata(sid, "html") is None
    record = container.conversations.get_conversation(sid)
    assert record.thread_id is not None
    assert acs_admin.user_messages(record.thread_id) == []  # no link, no copy before the archive is whole
    time.sleep(2.2)  # the dead worker's lease expires

    rerun = _migrate(environ, sid)
    assert rerun.wait(timeout=300) == 0

    final = ArchiveProgress.from_json(container.conversations.get_conversation(sid).attributes["archive"])
    assert final is not None
    assert (final.state, final.count, final.through) == ("linked", COUNT - 3, COUNT - 4)
    assert progress.blocks < final.blocks  # the kill came between blocks
    messages = thread_messages(acs_admin, container, sid)
    assert [m["metadata"].get("twilioArchive") for m in messages] == ["true", None, None, None]
    assert [m["metadata"].get("twilioIndex") for m in messages[1:]] == [str(COUNT - 3), str(COUNT - 2),
                                                                         str(COUNT - 1)]
    # the same archive written in one go, into a container of its own
    service = BlobServiceClient.from_connection_string(storage_connection_string)
    fresh = ArchiveStore(MediaStore(service, f"fresh-{sid[-12:]}"))
    conv = engine.source.get_conversation(sid)
    participants = engine.source.list_participants(conv)
    assert engine.archiver is not None
    written = engine.archiver.writer.__class__(store=fresh, retrier=engine.exporter._retrier).write(
        sid, conv.topic, engine.archiver.entries(conv, participants, 0, final.through),
        ArchiveProgress(final.through), save=lambda p: None)
    assert written.state == "committed"
    for fmt in ("jsonl", "html"):
        assert store.read(sid, fmt) == fresh.read(sid, fmt), fmt

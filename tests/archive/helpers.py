"""Seeding and reading helpers shared by the archive tests."""

from __future__ import annotations

import json
from typing import Any

from shared.container import AppContainer
from shared.export.archive.store import ArchiveStore
from tests.export.conftest import AcsAdmin
from tests.export.seeding import SeededConversation, TwilioSeeder

HOSTILE = "<b>bold</b> <script>document.title='pwned'</script> & <img src=x onerror=alert(1)>"


def seed(seeder: TwilioSeeder, count: int, topic: str, *, hostile_at: int | None = None,
         media_at: int | None = None) -> SeededConversation:
    conv = seeder.conversation(topic)
    seeder.chat_participant(conv, "ana")
    seeder.chat_participant(conv, "ben")
    for n in range(count):
        media = [seeder.upload_media(b"%PDF-1.4 archived " + bytes([n]), "application/pdf", f"doc{n}.pdf")
                 ] if n == media_at else None
        body = HOSTILE if n == hostile_at else f"{topic} {n}"
        seeder.message(conv, "ana" if n % 3 else "ben", body, media_sids=media)
    return conv


def transcript(container: AppContainer, sid: str) -> list[dict[str, Any]]:
    data = ArchiveStore(container.media).read(sid, "jsonl")
    return [json.loads(line) for line in data.splitlines()]


def thread_messages(admin: AcsAdmin, container: AppContainer, sid: str) -> list[dict[str, Any]]:
    thread_id = container.conversations.get_conversation(sid).thread_id
    assert thread_id is not None
    return [m for m in admin.user_messages(thread_id) if "deletedOn" not in m]

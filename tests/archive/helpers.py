"""Seeding and reading helpers shared by the archive tests."""

from __future__ import annotations

import json
from typing import Any

from shared.container import AppContainer
from shared.export.archive.store import ArchiveStore
from tests.export.conftest import AcsAdmin
from tests.export.seeding import SeededConversation, TwilioSeeder

BULK_BASE = 1_500_000_000  # the first bulk message's time (epoch seconds); one a minute after it
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


def bulk_conversation(seeder: TwilioSeeder, count: int, topic: str, *, seed: int = 7) -> str:
    """One conversation of ``count`` messages loaded at once through the stand-in's snapshot route (ana, ben)."""
    import random

    rng = random.Random(seed)
    sid = f"CH{rng.getrandbits(128):032x}"
    base = BULK_BASE
    participants = {}
    for identity in ("ana", "ben"):
        psid = f"MB{rng.getrandbits(128):032x}"
        participants[psid] = {
            "sid": psid, "conversation_sid": sid, "identity": identity, "attributes": "{}",
            "messaging_binding": None, "role_sid": None, "date_created": base, "date_updated": base,
            "last_read_message_index": None, "last_read_timestamp": None,
        }
    by_identity = {p["identity"]: p["sid"] for p in participants.values()}
    messages = []
    for index in range(count):
        author = "ana" if index % 3 else "ben"
        messages.append({
            "sid": f"IM{rng.getrandbits(128):032x}", "conversation_sid": sid, "index": index, "author": author,
            "body": f"{topic} message {index}: " + "lorem ipsum dolor sit amet " * (1 + index % 7),
            "attributes": "{}", "media_sids": [], "participant_sid": by_identity[author],
            "date_created": base + index * 60, "date_updated": None, "receipts": [],
        })
    snapshot = {"version": 1, "conversations": [{
        "sid": sid, "service_sid": seeder.service_sid, "friendly_name": topic, "unique_name": None,
        "attributes": "{}", "state": "active", "date_created": base, "date_updated": base, "type": "private",
        "created_by": "system", "next_index": count, "messages": messages, "participants": participants,
        "webhooks": {},
    }]}
    seeder.http.post("/_admin/load", params={"mode": "merge"}, content=json.dumps(snapshot)).raise_for_status()
    return sid

"""A send whose answer was lost is looked for among every thread message since the attempt (bounded by time,
not by a page count): after cutover people chat in the same threads, so it may lie under many newer ones."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from azure.core.exceptions import HttpResponseError

from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest

from .conftest import AcsAdmin
from .seeding import TwilioSeeder

NEWER = 60  # user messages that arrive between the lost send and the search for it
SEARCH_DELAY_MS = 6000  # the search's list request is held this long: the newer messages arrive meanwhile


def _lost_sends(admin: AcsAdmin) -> int:
    route = admin.counters()["counters"].get("POST /chat/threads/{chatThreadId}/messages", {})
    return int(route.get("lost", 0))


def test_a_lost_send_under_60_newer_user_messages_is_found_not_resent(
    faulty: tuple[ExportEngine, AppContainer, AcsAdmin], seeder: TwilioSeeder
) -> None:
    engine, container, admin = faulty
    conv = seeder.conversation("chatty after cutover")
    seeder.chat_participant(conv, "uma")
    seeder.chat_participant(conv, "vic")
    seeder.message(conv, "uma", "copied on the first run")
    assert [o.status for o in engine.runner.run(MigrationRequest(conversations=(conv.sid,))).outcomes] == ["done"]
    record = container.conversations.get_conversation(conv.sid)
    assert record.thread_id is not None
    seeder.message(conv, "uma", "sent, its answer lost")

    # the next send is stored and its answer lost; the two listings of the next slice (reconcile, then the search
    # for the lost send) are held, and while the search waits, vic writes 60 messages in the thread
    admin.set_faults(f"lost:ops=ChatThread_SendChatMessage,n=1;"
                     f"latency:ops=ChatThread_ListChatMessages,ms={SEARCH_DELAY_MS},n=2")
    vic = container.export_engine.chat.thread_client(record.thread_id, engine.people.token("vic"))
    outcome: list[Any] = []
    runner = threading.Thread(target=lambda: outcome.append(
        engine.runner.run(MigrationRequest(conversations=(conv.sid,)))))
    runner.start()
    deadline = time.monotonic() + 60
    while _lost_sends(admin) == 0:
        assert time.monotonic() < deadline, "the send was never lost"
        time.sleep(0.01)
    written = 0
    while written < NEWER:
        try:
            vic.send_message(f"after cutover {written}", sender_display_name="Vic")
            written += 1
        except HttpResponseError as exc:  # the thread's own limit: wait as a client would
            if exc.status_code != 429:
                raise
            time.sleep(0.05)
    runner.join(timeout=120)
    assert not runner.is_alive()

    report = outcome[0]
    assert [o.status for o in report.outcomes] == ["done"]
    assert engine.stats.reconciled == 1  # found, not resent
    messages = admin.user_messages(record.thread_id)
    copies = Counter((m.get("metadata") or {}).get("twilioMessageSid") for m in messages)
    lost_sid = next(m["metadata"]["twilioMessageSid"] for m in messages
                    if (m.get("metadata") or {}).get("twilioIndex") == "1")
    assert copies[lost_sid] == 1
    position = [m["metadata"].get("twilioIndex") if m.get("metadata") else None for m in messages].index("1")
    assert len(messages) - 1 - position >= NEWER  # it lay under at least 60 newer messages when it was searched for
    row = container.messages.get_message(conv.sid, 1)
    assert row.acs_message_ids == (next(m["id"] for m in messages if (m.get("metadata") or {}).get("twilioIndex")
                                        == "1"),)

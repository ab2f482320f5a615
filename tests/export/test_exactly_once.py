"""Exactly once under faults: lost responses, 429 storms, 5xx, leases, time-budgeted slices."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest

from .conftest import AcsAdmin
from .seeding import TwilioSeeder


def _seed(seeder: TwilioSeeder, count: int, topic: str) -> str:
    conv = seeder.conversation(topic)
    seeder.chat_participant(conv, "ana")
    seeder.chat_participant(conv, "ben")
    for n in range(count):
        seeder.message(conv, "ana" if n % 3 else "ben", f"{topic} {n}")
    return conv.sid


def _assert_once_in_order(admin: AcsAdmin, container: AppContainer, sid: str, count: int) -> None:
    thread_id = container.conversations.get_conversation(sid).thread_id
    assert thread_id is not None
    messages = admin.user_messages(thread_id)
    sids = Counter(m["metadata"]["twilioMessageSid"] for m in messages)
    assert [s for s, n in sids.items() if n > 1] == []
    assert [int(m["metadata"]["twilioIndex"]) for m in messages] == list(range(count))
    rows = list(container.messages.list_messages(sid))
    assert [r.index for r in rows] == list(range(count))
    assert {r.acs_message_ids[0] for r in rows} == {m["id"] for m in messages}


def test_lost_responses_never_duplicate_a_message_or_a_thread(
    faulty: tuple[ExportEngine, AppContainer, AcsAdmin], seeder: TwilioSeeder
) -> None:
    engine, container, admin = faulty
    sid = _seed(seeder, 40, "lost")
    admin.set_faults("lost:ops=ChatThread_SendChatMessage,p=0.3;lost:ops=Chat_CreateChatThread,n=1")

    report = engine.runner.run(MigrationRequest(conversations=(sid,)))

    assert [o.status for o in report.outcomes] == ["done"], report.outcomes
    _assert_once_in_order(admin, container, sid, 40)
    assert engine.stats.reconciled >= 5  # the sends whose answer was lost were found, not resent
    threads = [t for t in admin.http.get("/threads").json()["threads"] if t["topic"] == "lost"]
    assert len(threads) == 1
    assert admin.counters()["counters"]  # the stand-in counted the resets it made


def test_a_429_storm_is_ridden_out_with_retry_after_and_nothing_is_lost(
    faulty: tuple[ExportEngine, AppContainer, AcsAdmin], seeder: TwilioSeeder
) -> None:
    engine, container, admin = faulty
    sid = _seed(seeder, 30, "storm")
    admin.set_faults("status:ops=ChatThread_SendChatMessage,code=429,p=0.5,retry_after=0.05;"
                     "status:ops=ChatThread_AddChatParticipants|Chat_CreateChatThread,code=429,n=2,retry_after=none")

    report = engine.runner.run(MigrationRequest(conversations=(sid,)))

    assert [o.status for o in report.outcomes] == ["done"], report.outcomes
    _assert_once_in_order(admin, container, sid, 30)
    assert report.throttled >= 10


def test_5xx_on_sends_is_reconciled_then_resent_without_duplicates(
    faulty: tuple[ExportEngine, AppContainer, AcsAdmin], seeder: TwilioSeeder
) -> None:
    engine, container, admin = faulty
    sid = _seed(seeder, 25, "fivexx")
    admin.set_faults("status:ops=ChatThread_SendChatMessage,code=503,p=0.25;"
                     "status:ops=ChatThread_SendChatMessage,code=500,p=0.1")

    report = engine.runner.run(MigrationRequest(conversations=(sid,)))

    assert [o.status for o in report.outcomes] == ["done"], report.outcomes
    _assert_once_in_order(admin, container, sid, 25)


def test_a_held_lease_keeps_a_second_worker_out(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    sid = _seed(seeder, 3, "leased")
    container.conversations.acquire_lease(sid, owner="another-worker", duration=timedelta(minutes=5))

    outcome = engine.exporter.export_conversation(sid)

    assert (outcome.status, outcome.work_left, outcome.messages) == ("leased", True, 0)
    assert "another worker" in (outcome.reason or "")
    record = container.conversations.get_conversation(sid)
    assert (record.thread_id, record.lease_owner) == (None, "another-worker")


def test_time_budgeted_slices_resume_where_the_last_one_stopped(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    sid = _seed(seeder, 60, "slices")
    outcomes = []
    for _ in range(200):
        outcome = engine.exporter.export_conversation(sid, deadline=time.monotonic() + 0.25)
        outcomes.append(outcome)
        if not outcome.work_left:
            break

    assert outcomes[-1].status == "done"
    assert len(outcomes) >= 2
    assert all(o.status == "in_progress" and o.work_left for o in outcomes[:-1])
    assert sum(o.messages for o in outcomes) == 60
    _assert_once_in_order(acs_admin, container, sid, 60)
    assert container.conversations.get_conversation(sid).lease_owner is None

"""Planning resumes from its durable cursor: forced through many continuations (a tiny budget, small pages) while
conversations are added in Twilio and other exports finish, every conversation is planned exactly once, largest
first, for an on-demand run and for a nightly run."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest

from shared.container import AppContainer
from shared.export.request import MigrationRequest
from shared.migrations.worker import MigrationWorker, WorkerSettings
from shared.state import ConversationRecord, RunRecord
from shared.state.conversations import ConversationStatus
from shared.state.runs import RunKind, RunStatus, new_run_id
from shared.state.tables import utcnow
from tests.export.seeding import TwilioSeeder


class SteppingClock:
    """A monotonic clock that moves one second each time it is read: every planning step outlasts the budget."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def planning(migration_environ: dict[str, str]) -> Iterator[tuple[AppContainer, MigrationWorker]]:
    container = AppContainer.from_environ(migration_environ)
    assert container.settings_error is None, container.settings_error
    worker = MigrationWorker(
        engine=lambda: container.export_engine, runs=container.runs, ledger=container.run_ledger,
        conversations=container.conversations, messages=container.messages, queue=container.migration_queue,
        continuations=container.continuation_queue,
        live=container.live_sync, clock=SteppingClock(),
        settings=WorkerSettings(slice_seconds=1, plan_seconds=0.5, continuation_delay_seconds=0,
                                leased_delay_seconds=0, plan_page_size=3),
    )
    yield container, worker
    if "export_engine" in container.__dict__:
        container.export_engine.close()


def _drain(container: AppContainer) -> list[dict[str, Any]]:
    """Every work item on the queue (no host runs in these tests), removed."""
    items = []
    while True:
        batch = list(container.migration_queue.client.receive_messages(max_messages=32, visibility_timeout=60))
        if not batch:
            return items
        for message in batch:
            items.append(json.loads(message.content))
            container.migration_queue.client.delete_message(message)


def _plan_with_continuations(container: AppContainer, worker: MigrationWorker, run_id: str,
                             between: Callable[[int], None]) -> tuple[int, list[dict[str, Any]]]:
    """Run the planner item by item as the queue would deliver them, calling ``between`` after each; returns how
    many invocations it took and the export items it queued."""
    exports: list[dict[str, Any]] = []
    invocations = 0
    pending = [{"kind": "plan", "runId": run_id}]
    while pending:
        item = pending.pop(0)
        assert item["kind"] == "plan"
        worker.handle(item)
        invocations += 1
        between(invocations)
        for queued in _drain(container):
            (exports if queued["kind"] == "export" else pending).append(queued)
        assert invocations < 100, "planning never ended"
    return invocations, exports


def _seed(seeder: TwilioSeeder, topic: str, messages: int) -> str:
    conv = seeder.conversation(topic)
    seeder.chat_participant(conv, "pat")
    for n in range(messages):
        seeder.message(conv, "pat", f"{topic} {n}")
    return conv.sid


def test_an_on_demand_run_plans_each_conversation_once_through_continuations_while_twilio_grows(
    planning: tuple[AppContainer, MigrationWorker], seeder: TwilioSeeder
) -> None:
    container, worker = planning
    first = [_seed(seeder, f"first {n}", n % 4 + 1) for n in range(8)]
    run = container.migration_runs.start_run(MigrationRequest(services=(seeder.service_sid,)))
    _drain(container)  # the plan item start_run queued: the test delivers it
    added: list[str] = []

    def between(invocation: int) -> None:
        if invocation in (1, 2):  # conversations created while planning is under way land on later pages
            added.append(_seed(seeder, f"added {invocation}", 2))

    invocations, exports = _plan_with_continuations(container, worker, run.run_id, between)

    final = container.runs.get_run(run.run_id)
    assert final.status == RunStatus.RUNNING
    assert final.cursor is not None
    assert final.cursor["continuations"] == invocations - 1 >= 5
    planned = Counter(item["conversation"]["sid"] for item in exports)
    assert set(planned) == set(first) | set(added)
    assert set(planned.values()) == {1}  # each exactly once
    assert final.counts["planned"] == len(first) + len(added)
    ledger = container.run_ledger.tally(run.run_id)
    assert ledger["planned"] == len(planned)
    entries = [container.run_ledger.find_run_conversation(run.run_id, item["conversation"]["sid"])
               for item in exports]
    sizes = [e.planned_messages for e in entries if e is not None]
    pages = [sizes[n:n + 3] for n in range(0, len(sizes), 3)]  # each dispatch page is queued at once
    assert all(min(a) >= max(b) for a, b in pairwise(pages))  # largest first


def test_a_nightly_run_plans_each_conversation_once_through_continuations_while_exports_finish(
    planning: tuple[AppContainer, MigrationWorker], seeder: TwilioSeeder
) -> None:
    container, worker = planning
    conversations = container.conversations
    migrated = [_seed(seeder, f"migrated {n}", 2) for n in range(7)]
    for sid in migrated:  # migrated up to index 0: message 1 is new
        conversations.create_conversation(ConversationRecord(sid, service_sid=seeder.service_sid,
                                                             status=ConversationStatus.DONE, high_water_index=0))
    running = [_seed(seeder, f"being exported {n}", 2) for n in range(3)]
    for sid in running:  # exported by another run while the nightly one plans: done half-way through
        conversations.create_conversation(ConversationRecord(sid, service_sid=seeder.service_sid,
                                                             status=ConversationStatus.RUNNING, high_water_index=0))
    last_night = utcnow() - timedelta(seconds=1)  # other tests' conversations are older: they stay out
    container.runs.create_run(RunRecord(new_run_id(last_night), kind=RunKind.NIGHTLY, status=RunStatus.SUCCEEDED,
                                        created_at=last_night, parameters={"sweep": True}))
    fresh: list[str] = []

    def create_fresh(topic: str) -> str:
        conv = seeder.service.conversations.create(friendly_name=topic)  # dated now: after last night
        seeder.service.conversations(conv.sid).participants.create(identity="quinn")
        seeder.service.conversations(conv.sid).messages.create(author="quinn", body=f"hello from {topic}")
        return str(conv.sid)

    fresh.append(create_fresh("fresh before"))
    run_id = worker.start_nightly()
    _drain(container)

    def between(invocation: int) -> None:
        if invocation == 1:
            for sid in running:  # their exports finish: the list of done conversations changes under the cursor
                record = conversations.get_conversation(sid)
                conversations.update_conversation(replace(record, status=ConversationStatus.DONE))
            fresh.append(create_fresh("fresh during"))
        if invocation == 2:  # a migrated conversation is being exported again by another run, then done
            record = conversations.get_conversation(migrated[-1])
            conversations.update_conversation(replace(record, status=ConversationStatus.RUNNING))

    invocations, exports = _plan_with_continuations(container, worker, run_id, between)

    final = container.runs.get_run(run_id)
    assert final.status == RunStatus.RUNNING
    assert final.parameters["sweep"] is False
    assert final.cursor is not None
    assert final.cursor["continuations"] == invocations - 1 >= 5
    planned = Counter(item["conversation"]["sid"] for item in exports)
    assert set(planned.values()) == {1}  # each exactly once
    assert set(migrated[:-1]) | set(fresh) <= set(planned)
    assert set(planned) <= set(migrated) | set(running) | set(fresh)
    assert all(item["checkChanges"] is False for item in exports if item["conversation"]["sid"] in migrated)
    assert final.counts["planned"] == len(planned) == container.run_ledger.tally(run_id)["planned"]

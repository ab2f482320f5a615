"""At-least-once work items count once: a run's ledger decides its counts, so a redelivered export or plan item (a
worker killed after its slice, before the queue message was deleted) neither counts a conversation twice nor
finishes a run early, and messages a killed slice sent are still counted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.migrations.completion import RunCompletion
from shared.state.ledger import LedgerStatus, RunConversation
from shared.state.runs import RunRecord, RunStatus, new_run_id
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder
from tests.migrations.conftest import MigrationHost, eventually


def _finished(served: MigrationHost, location: str) -> dict[str, Any] | None:
    body: dict[str, Any] = served.http.get(location).json()
    return body if body["status"] in ("succeeded", "failed") else None


def test_redelivered_plan_and_export_items_change_no_count(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("Replayed")
    seeder.chat_participant(conv, "alice")
    for i in range(12):
        seeder.message(conv, "alice", f"replayed {i}")
    response = served.http.post("/api/migrations", json={"conversations": [conv.sid]})
    location = response.headers["Location"]
    run_id = response.json()["id"]
    final = eventually(lambda: _finished(served, location), what="the run")
    assert final["status"] == "succeeded"
    expected = {"planned": 1, "done": 1, "failed": 0, "notMigratable": 0, "messages": 12}
    assert {k: final["counts"][k] for k in expected} == expected

    # the same items again, as a queue delivers them after a worker died before deleting them
    item = {"sid": conv.sid, "serviceSid": seeder.service_sid, "source": "conversations",
            "friendlyName": "Replayed", "uniqueName": None}
    before = served.invocations("migration_worker")
    settled = served.container.conversations.get_conversation(conv.sid)
    served.container.migration_queue.send({"kind": "export", "runId": run_id, "conversation": item})
    served.container.migration_queue.send({"kind": "plan", "runId": run_id})
    eventually(lambda: served.invocations("migration_worker") >= before + 2, what="the replayed items")
    again = served.http.get(location).json()
    assert {k: again["counts"][k] for k in expected} == expected
    record = served.container.conversations.get_conversation(conv.sid)
    assert len(acs_admin.user_messages(str(record.thread_id))) == 12
    assert (record.status, record.updated_at) == ("done", settled.updated_at)  # the replay was skipped, not re-run


def test_the_ledger_counts_a_conversation_once_and_a_run_ends_only_when_all_ended(served: MigrationHost) -> None:
    runs, ledger = served.container.runs, served.container.run_ledger
    run = runs.create_run(RunRecord(new_run_id(), kind="on_demand", status=RunStatus.RUNNING))
    first, second = "CH" + "a1" * 16, "CH" + "b2" * 16
    assert ledger.plan_conversation(run.run_id, RunConversation(first, planned_messages=10, base_messages=4))
    assert not ledger.plan_conversation(run.run_id, RunConversation(first, planned_messages=99))  # a replayed plan
    assert [e.conversation_sid for e in ledger.plan_conversations(run.run_id, [
        RunConversation(first, planned_messages=99), RunConversation(second, planned_messages=5)])] == [second]
    entry = ledger.find_run_conversation(run.run_id, first)
    assert entry is not None
    assert (entry.planned_messages, entry.base_messages) == (10, 4)
    moved = [ledger.settle_conversation(run.run_id, replace(entry, status=LedgerStatus.DONE, messages=10))
             for _ in range(2)]  # the same outcome recorded twice
    assert moved == [True, False]
    runs.increment_counts(run.run_id, {"messages": 7})  # progress reported by slices so far
    tally = ledger.tally(run.run_id)
    assert tally == {"planned": 2, "planned_messages": 15, "done": 1, "failed": 0, "not_migratable": 0,
                     "messages": 10, "media_bytes": 0}
    midway = runs.apply_tally(run.run_id, tally)
    assert (midway.counts["done"], midway.counts["planned"], midway.counts["messages"]) == (1, 2, 10)

    second_entry = ledger.find_run_conversation(run.run_id, second)
    assert second_entry is not None
    assert ledger.settle_conversation(run.run_id, replace(second_entry, status=LedgerStatus.NOT_MIGRATABLE,
                                                          messages=2, reason="over 250 participants"))
    runs.increment_counts(run.run_id, {"messages": 50})  # over-reported progress (a slice counted twice)
    final = runs.apply_tally(run.run_id, ledger.tally(run.run_id))
    assert {k: final.counts[k] for k in ("planned", "done", "failed", "not_migratable", "messages")} == {
        "planned": 2, "done": 1, "failed": 0, "not_migratable": 1, "messages": 12}  # every one ended: the ledger's
    listed = ledger.list_settled(run.run_id, LedgerStatus.NOT_MIGRATABLE)
    assert [(e.conversation_sid, e.reason) for e in listed] == [(second, "over 250 participants")]


def test_counters_ahead_of_the_ledger_do_not_end_a_run(served: MigrationHost) -> None:
    """A settlement counted twice (a replace retried after the service applied it) makes the counters say every
    conversation ended; the run goes on until the ledger says so."""
    runs, ledger = served.container.runs, served.container.run_ledger
    completion = RunCompletion(runs=runs, ledger=ledger)
    run = runs.create_run(RunRecord(new_run_id(), kind="on_demand", status=RunStatus.RUNNING))
    first, second = "CH" + "c3" * 16, "CH" + "d4" * 16
    ledger.plan_conversations(run.run_id, [RunConversation(first, planned_messages=3),
                                           RunConversation(second, planned_messages=900)])
    runs.increment_counts(run.run_id, {"planned": 2})
    entry = ledger.find_run_conversation(run.run_id, first)
    assert entry is not None
    assert ledger.settle_conversation(run.run_id, replace(entry, status=LedgerStatus.DONE, messages=3))
    runs.increment_counts(run.run_id, {"done": 2})  # the one settlement, counted twice
    completion.finish_if_complete(run.run_id)
    assert runs.get_run(run.run_id).status == RunStatus.RUNNING  # the second conversation is still being copied

    entry = ledger.find_run_conversation(run.run_id, second)
    assert entry is not None
    assert ledger.settle_conversation(run.run_id, replace(entry, status=LedgerStatus.DONE, messages=900))
    completion.finish_if_complete(run.run_id)
    ended = runs.get_run(run.run_id)
    assert (ended.status, ended.counts["done"], ended.counts["messages"]) == (RunStatus.SUCCEEDED, 2, 903)

"""The nightly timer: new messages of migrated conversations (one Twilio request per conversation) and new
conversations every night; edits and deletions on sweep nights (every NIGHTLY_SWEEP_DAYS); nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.state import RunRecord
from shared.state.ledger import LedgerStatus
from shared.state.runs import RunStatus, new_run_id
from shared.state.tables import utcnow
from tests.export.conftest import AcsAdmin
from tests.export.seeding import SeededConversation, TwilioSeeder

from .conftest import ADMIN_KEY, MigrationHost, eventually


def _migrate(served: MigrationHost, seeder: TwilioSeeder, *topics: str) -> list[SeededConversation]:
    convs = [seeder.conversation(topic) for topic in topics]
    for conv in convs:
        seeder.chat_participant(conv, "erin")
        seeder.message(conv, "erin", f"first in {conv.sid}")
        seeder.message(conv, "erin", f"second in {conv.sid}")
    started = served.http.post("/api/migrations", json={"conversations": [c.sid for c in convs]})
    eventually(lambda: served.http.get(started.headers["Location"]).json()["status"] == "succeeded",
               what="the first migration")
    return convs


def _night(served: MigrationHost, previous: RunRecord) -> RunRecord:
    fired = served.http.post("/admin/functions/nightly_sync", json={"input": ""},
                             headers={"x-functions-key": ADMIN_KEY})
    assert fired.status_code == 202
    run: RunRecord = eventually(
        lambda: (r := served.container.runs.list_runs(limit=1)[0]).kind == "nightly" and r.status == "succeeded"
        and r.run_id != previous.run_id and r, what="the nightly run",
    )
    return run


def test_a_sweep_night_copies_new_messages_edits_deletions_and_new_conversations(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    grown, quiet, edited, pruned = _migrate(served, seeder, "grown", "quiet", "edited", "pruned")
    quiet_before = served.container.conversations.get_conversation(quiet.sid)

    first_night = utcnow() - timedelta(days=8)  # the first nightly run, 8 days ago: a sweep is due (every 7 days)
    previous = served.container.runs.create_run(RunRecord(
        new_run_id(first_night), kind="nightly", status=RunStatus.SUCCEEDED, created_at=first_night))
    seeder.message(grown, "erin", "third in grown")
    seeder.edit(edited, edited.messages[0].sid, "first, edited on Twilio after the migration")
    seeder.delete(pruned, pruned.messages[1].sid)
    fresh = seeder.service.conversations.create(friendly_name="created today")  # dated now: after last night
    seeder.service.conversations(fresh.sid).participants.create(identity="frank")
    seeder.service.conversations(fresh.sid).messages.create(author="frank", body="hello from today")

    nightly = _night(served, previous)
    assert nightly.parameters["since"] == first_night.isoformat()
    assert nightly.parameters["sweep"] is True
    # Conversations other tests left in the shared Twilio stand-in are new to this nightly too, so the run's totals
    # depend on test order; this test's own conversations are read from the run's ledger.
    assert nightly.counts["planned"] == nightly.counts["done"]
    ledger = {sid: served.container.run_ledger.find_run_conversation(nightly.run_id, sid)
              for sid in (grown.sid, edited.sid, pruned.sid, fresh.sid, quiet.sid)}
    assert [entry.status if entry else None for entry in ledger.values()] == [
        LedgerStatus.DONE, LedgerStatus.DONE, LedgerStatus.DONE, LedgerStatus.DONE, None]

    grown_record = served.container.conversations.get_conversation(grown.sid)
    assert [m["content"]["message"] for m in acs_admin.user_messages(str(grown_record.thread_id))] == [
        f"first in {grown.sid}", f"second in {grown.sid}", "third in grown"]
    edited_copy = acs_admin.user_messages(str(served.container.conversations.get_conversation(edited.sid).thread_id))
    assert edited_copy[0]["content"]["message"] == "first, edited on Twilio after the migration"
    pruned_copy = acs_admin.user_messages(str(served.container.conversations.get_conversation(pruned.sid).thread_id))
    assert [m["content"]["message"] for m in pruned_copy if not m.get("deletedOn")] == [f"first in {pruned.sid}"]
    fresh_record = served.container.conversations.get_conversation(fresh.sid)
    assert [m["content"]["message"] for m in acs_admin.user_messages(str(fresh_record.thread_id))] == [
        "hello from today"]
    quiet_after = served.container.conversations.get_conversation(quiet.sid)
    assert quiet_after.updated_at == quiet_before.updated_at  # not queued: nothing new there


def _twilio_counters(seeder: TwilioSeeder) -> dict[str, Any]:
    body: dict[str, Any] = seeder.http.get("/_admin/counters").json()
    return body


def test_a_plain_night_costs_two_twilio_requests_per_unchanged_conversation_and_leaves_edits_to_the_sweep(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    convs = _migrate(served, seeder, "one", "two", "three", "four")
    last_sweep = utcnow() - timedelta(seconds=1)  # conversations other tests created today stay out
    previous = served.container.runs.create_run(RunRecord(
        new_run_id(last_sweep), kind="nightly", status=RunStatus.SUCCEEDED, created_at=last_sweep,
        parameters={"sweep": True}))
    seeder.edit(convs[0], convs[0].messages[0].sid, "edited, left for the next sweep (or live sync)")
    seeder.http.delete("/_admin/counters").raise_for_status()

    nightly = _night(served, previous)
    assert nightly.parameters["sweep"] is False
    assert nightly.counts["planned"] == 0

    by_route = _twilio_counters(seeder)["by_route"]
    per_conversation = {route: sum(statuses.values()) for route, statuses in by_route.items()
                        if "/Conversations/{" in route or "/Channels/{" in route}
    assert per_conversation == {  # the newest message and the participants (for renames) of each, nothing else
        "GET /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Messages": 4,
        "GET /v1/Services/{ChatServiceSid}/Conversations/{ConversationSid}/Participants": 4}, by_route
    record = served.container.conversations.get_conversation(convs[0].sid)
    copied = acs_admin.user_messages(str(record.thread_id))
    assert copied[0]["content"]["message"] == f"first in {convs[0].sid}"

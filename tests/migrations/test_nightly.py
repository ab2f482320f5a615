"""The nightly timer: new messages, edits and deletions of migrated conversations, and new conversations;
nothing else."""

from __future__ import annotations

from datetime import timedelta

from shared.state import RunRecord
from shared.state.runs import new_run_id
from shared.state.tables import utcnow
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .conftest import ADMIN_KEY, MigrationHost, eventually


def test_nightly_sync_copies_only_what_changed_since_the_last_night(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    grown, quiet = seeder.conversation("grown"), seeder.conversation("quiet")
    edited, pruned = seeder.conversation("edited"), seeder.conversation("pruned")
    for conv in (grown, quiet, edited, pruned):
        seeder.chat_participant(conv, "erin")
        seeder.message(conv, "erin", f"first in {conv.sid}")
        seeder.message(conv, "erin", f"second in {conv.sid}")
    started = served.http.post("/api/migrations",
                               json={"conversations": [grown.sid, quiet.sid, edited.sid, pruned.sid]})
    eventually(lambda: served.http.get(started.headers["Location"]).json()["status"] == "succeeded",
               what="the first migration")
    quiet_before = served.container.conversations.get_conversation(quiet.sid)

    last_night = utcnow() - timedelta(seconds=1)
    previous = served.container.runs.create_run(RunRecord(new_run_id(last_night), kind="nightly",
                                                          status="succeeded", created_at=last_night))
    seeder.message(grown, "erin", "third in grown")
    seeder.edit(edited, edited.messages[0].sid, "first, edited on Twilio after the migration")
    seeder.delete(pruned, pruned.messages[1].sid)
    fresh = seeder.service.conversations.create(friendly_name="created today")  # dated now: after last night
    seeder.service.conversations(fresh.sid).participants.create(identity="frank")
    seeder.service.conversations(fresh.sid).messages.create(author="frank", body="hello from today")

    fired = served.http.post("/admin/functions/nightly_sync", json={"input": ""},
                             headers={"x-functions-key": ADMIN_KEY})
    assert fired.status_code == 202
    nightly = eventually(
        # The run made above is nightly and succeeded too: wait for a newer one (the timer starts it asynchronously).
        lambda: (r := served.container.runs.list_runs(limit=1)[0]).run_id != previous.run_id
        and r.kind == "nightly" and r.status == "succeeded" and r, what="the nightly run",
    )
    assert nightly.parameters["since"] == last_night.isoformat()
    assert nightly.counts["done"] == nightly.counts["planned"] >= 4

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

"""Archive cutoffs through POST /api/migrations, and the nightly run applying edits and deletions of archived
messages to the transcript."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.export.archive.store import ArchiveStore
from shared.state import RunRecord
from shared.state.ledger import LedgerStatus
from shared.state.runs import new_run_id
from shared.state.tables import utcnow
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .conftest import ADMIN_KEY, MigrationHost, eventually


@pytest.mark.parametrize(("body", "named"), [
    ({"archiveBefore": "2024-01-01", "archiveKeepNewest": 5}, "archiveBefore or archiveKeepNewest, not both"),
    ({"archiveKeepNewest": "5"}, "archiveKeepNewest must be a whole number"),
    ({"archiveKeepNewest": -1}, "archiveKeepNewest must be a whole number"),
    ({"archiveBefore": "last year"}, "archiveBefore must be an ISO 8601 date"),
])
def test_bad_cutoff_fields_are_400_naming_the_field(served: MigrationHost, body: dict[str, object],
                                                    named: str) -> None:
    response = served.http.post("/api/migrations", json=body)
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]
    assert served.container.runs.list_runs(limit=5) == [] or all(
        r.parameters.get("archiveKeepNewest") != body.get("archiveKeepNewest") for r in
        served.container.runs.list_runs(limit=5))


def _lines(served: MigrationHost, sid: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in ArchiveStore(served.container.media).read(sid, "jsonl").splitlines()]


def test_an_archived_edit_and_deletion_reach_the_transcript_on_the_next_sweep_night(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    conv = seeder.conversation("archived nightly")
    seeder.chat_participant(conv, "erin")
    for n in range(8):
        seeder.message(conv, "erin", f"note {n}")
    started = served.http.post("/api/migrations", json={"conversations": [conv.sid], "archiveKeepNewest": 3})
    assert started.status_code == 202
    run = eventually(lambda: (r := served.http.get(started.headers["Location"]).json())["status"] == "succeeded"
                     and r, what="the migration with a cutoff")
    assert run["parameters"]["archiveKeepNewest"] == 3
    assert [line["body"] for line in _lines(served, conv.sid)] == [f"note {n}" for n in range(5)]
    record = served.container.conversations.get_conversation(conv.sid)
    assert [m["metadata"].get("twilioIndex", "link") for m in acs_admin.user_messages(str(record.thread_id))] == [
        "link", "5", "6", "7"]

    last_night = utcnow() - timedelta(days=8)  # the first nightly run, 8 days ago: tonight sweeps (NIGHTLY_SWEEP_DAYS)
    previous = served.container.runs.create_run(RunRecord(new_run_id(last_night), kind="nightly",
                                                          status="succeeded", created_at=last_night))
    seeder.edit(conv, conv.messages[1].sid, "note 1, edited <i>after</i> the cutover")
    seeder.delete(conv, conv.messages[2].sid)
    fired = served.http.post("/admin/functions/nightly_sync", json={"input": ""},
                             headers={"x-functions-key": ADMIN_KEY})
    assert fired.status_code == 202
    nightly = eventually(
        lambda: (r := served.container.runs.list_runs(limit=1)[0]).kind == "nightly" and r.status == "succeeded"
        and r.run_id != previous.run_id and r, what="the nightly run",
    )
    # Conversations other tests left in the shared Twilio stand-in are new to this nightly too: it settles every one
    # it planned, and this conversation's own ledger row says it was swept and done.
    assert nightly.counts["done"] == nightly.counts["planned"]
    swept = served.container.run_ledger.find_run_conversation(nightly.run_id, conv.sid)
    assert swept is not None
    assert swept.status == LedgerStatus.DONE

    lines = _lines(served, conv.sid)
    assert [(line["index"], line["body"]) for line in lines] == [
        (0, "note 0"), (1, "note 1, edited <i>after</i> the cutover"), (3, "note 3"), (4, "note 4")]
    page = ArchiveStore(served.container.media).read(conv.sid, "html").decode()
    assert "note 1, edited &lt;i&gt;after&lt;/i&gt; the cutover" in page
    assert "note 2" not in page
    thread = [m for m in acs_admin.user_messages(str(record.thread_id)) if "deletedOn" not in m]
    assert thread[0]["metadata"]["twilioArchiveMessages"] == "4"
    assert "editedOn" in thread[0]
    assert len(thread) == 4  # no second link, no copy of an archived message
    after = served.container.conversations.get_conversation(conv.sid)
    assert served.container.export_engine.verifier.verify(after).problems == []

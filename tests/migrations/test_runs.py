"""Runs through HTTP and the queue worker: 202 + Location, status while in flight, continuation, dry runs,
poison handling."""

from __future__ import annotations

from typing import Any

from scripts.demo import status_line
from tests.export.conftest import AcsAdmin
from tests.export.seeding import TwilioSeeder

from .conftest import MigrationHost, eventually


def _seed(seeder: TwilioSeeder, *, messages: int) -> list[Any]:
    convs = []
    for n, count in enumerate((messages, 3)):
        conv = seeder.conversation(f"Room {n}")
        seeder.chat_participant(conv, "alice")
        seeder.chat_participant(conv, "bob")
        for i in range(count):
            seeder.message(conv, "alice" if i % 2 else "bob", f"message {i} of room {n}")
        convs.append(conv)
    return convs


def _finished(served: MigrationHost, location: str) -> dict[str, Any] | None:
    body: dict[str, Any] = served.http.get(location).json()
    return body if body["status"] in ("succeeded", "failed") else None


def test_a_run_is_planned_exported_in_slices_and_reported(
    served: MigrationHost, seeder: TwilioSeeder, acs_admin: AcsAdmin
) -> None:
    convs = _seed(seeder, messages=40)
    response = served.http.post("/api/migrations", json={"services": [seeder.service_sid]})
    assert response.status_code == 202
    location = response.headers["Location"]
    first = response.json()
    assert location == f"/api/migrations/{first['id']}"
    assert first["status"] == "planning"
    assert int(response.headers["Retry-After"]) > 0

    seen_running = eventually(lambda: (b := served.http.get(location).json())["counts"]["planned"] == 2 and b,
                              what="the plan")
    assert seen_running["counts"]["plannedMessages"] == 43
    final = eventually(lambda: _finished(served, location), what="the run to finish")
    assert final["status"] == "succeeded", final
    assert final["counts"] | {} == {
        "planned": 2, "done": 2, "failed": 0, "notMigratable": 0, "messages": 43, "plannedMessages": 43,
        "mediaBytes": 0,
    }
    assert final["estimatedSecondsLeft"] == 0.0
    assert final["failures"] == []
    assert final["notMigratable"] == []
    # ACS's 10/10 s and 30/60 s per-thread windows at time scale 0.01: the 40-message thread needs 0.6 s
    assert final["minimumSeconds"] == 0.6
    assert sum(final["progress"]["messages"]) == 43  # the chart's per-minute series
    assert final["progress"]["bucketMinutes"] == 1
    # 40 messages at 10 per 0.1 s with 0.4 s slices: the big conversation took more than one invocation
    assert served.invocations("migration_worker") == 1 + 2  # the plan and each conversation's first slice
    assert served.invocations("migration_continuation") >= 1  # next slices come from their own queue
    record = served.container.conversations.get_conversation(convs[0].sid)
    copied = acs_admin.user_messages(str(record.thread_id))
    assert [m["content"]["message"] for m in copied] == [f"message {i} of room 0" for i in range(40)]

    listed = served.http.get("/api/migrations", params={"limit": "5"}).json()["runs"]
    assert listed[0]["id"] == first["id"]
    # make demo prints this line while it polls the run (it once read a count the API no longer has)
    assert status_line(final) == ("   succeeded  planned   2  done   2  failed 0  not migratable 0  messages    43/43"
                                  "     eta 0.0")


def test_a_dry_run_plans_and_writes_nothing_to_acs(served: MigrationHost, seeder: TwilioSeeder) -> None:
    convs = _seed(seeder, messages=4)
    response = served.http.post("/api/migrations", json={"services": [seeder.service_sid], "dryRun": True})
    final = eventually(lambda: _finished(served, response.headers["Location"]), what="the dry run")
    assert final["status"] == "succeeded"
    assert final["counts"]["planned"] == 2
    assert final["counts"]["plannedMessages"] == 7
    assert final["counts"]["messages"] == 0
    assert final["minimumSeconds"] == 0.0  # 4 and 3 messages: under every window
    assert final["progress"] == {"bucketMinutes": 1, "messages": []}
    for conv in convs:
        assert served.container.conversations.find_conversation(conv.sid) is None


def test_bad_requests_are_4xx_and_record_no_run(served: MigrationHost) -> None:
    before = served.http.get("/api/migrations").json()["runs"]
    for body, status in (
        (b"{not json", 400), (b'{"services": "IS1"}', 400), (b'{"bogus": 1}', 400), (b"[1]", 400),
    ):
        response = served.http.post("/api/migrations", content=body, headers={"content-type": "application/json"})
        assert response.status_code == status, response.text
        assert response.json()["error"]["message"]
    wrong_type = served.http.post("/api/migrations", content=b"services=x",
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert wrong_type.status_code == 415
    assert served.http.get("/api/migrations").json()["runs"] == before
    assert served.http.get("/api/migrations/not-a-run").status_code == 404
    assert served.http.get("/api/migrations", params={"limit": "0"}).status_code == 400
    no_key = served.http.post("/api/migrations", json={}, headers={"x-functions-key": "wrong"})
    assert no_key.status_code == 401


def test_a_poisoned_work_item_marks_its_conversation_and_run_failed(served: MigrationHost) -> None:
    from shared.state import RunRecord
    from shared.state.runs import new_run_id

    run = served.container.runs.create_run(RunRecord(
        new_run_id(), kind="on_demand", status="running", counts={"planned": 1}
    ))
    broken_sid = "CH" + "e" * 32
    # no serviceSid: every attempt fails, the host moves it to the poison queue after maxDequeueCount
    served.container.migration_queue.send({"kind": "export", "runId": run.run_id, "conversation": {"sid": broken_sid}})
    failed = eventually(
        lambda: (r := served.container.conversations.find_conversation(broken_sid)) and r.status == "failed" and r,
        what="the poison handler",
    )
    assert "maxDequeueCount" in str(failed.last_error)
    final = eventually(
        lambda: (r := served.container.runs.get_run(run.run_id)).status != "running" and r, what="the run to end"
    )
    assert final.counts["failed"] == 1
    assert final.status == "failed"
    body = served.http.get(f"/api/migrations/{run.run_id}").json()
    assert body["failures"] == [{"conversationSid": broken_sid, "reason": failed.last_error,
                                 "friendlyName": None}]  # never planned by a run, so no name known

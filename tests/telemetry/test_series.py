"""A migration and a failing delivery, read back through an in-memory OpenTelemetry reader: the series and
spans the alert rules and the workbook in infra/ depend on, with their stable names and attributes."""

from __future__ import annotations

import json
import time

import httpx

from harness.subscriber import running_subscriber
from shared import telemetry as app_telemetry
from tests.console.test_console import _event
from tests.export.seeding import TwilioSeeder
from tests.migrations.conftest import MigrationHost, eventually

from .conftest import Telemetry

SECRET = "telemetry-subscriber-secret-01234567"


def test_a_migration_reports_messages_conversations_its_run_429s_and_a_span_per_slice(
    telemetry: Telemetry, served: MigrationHost, seeder: TwilioSeeder,
) -> None:
    throttled_before = telemetry.value("migration.throttled", **{"peer.service": "acs"})
    runs_before = telemetry.value("migration.runs", **{"migration.run.kind": "on_demand",
                                                        "migration.run.status": "succeeded"})
    convs = []
    for n, size in enumerate((40, 3)):
        conv = seeder.conversation(f"Telemetry {n}")
        for who in ("alice", "bob"):
            seeder.chat_participant(conv, who)
        for i in range(size):
            seeder.message(conv, "alice" if i % 2 else "bob", f"message {i}")
        convs.append(conv)
    started = served.http.post("/api/migrations", json={"conversations": [c.sid for c in convs]})
    run_id = started.json()["id"]
    final = eventually(lambda: (b := served.http.get(started.headers["Location"]).json())["status"] in (
        "succeeded", "failed") and b, what="the run", timeout=180)
    assert final["status"] == "succeeded"
    assert final["counts"]["messages"] == 43

    run = {"migration.run.id": run_id}
    assert telemetry.value("migration.messages.copied", **run) == 43
    assert telemetry.value("migration.conversations", **run, outcome="done") == 2
    assert telemetry.value("migration.conversations", **run, outcome="failed") == 0
    assert telemetry.value("migration.runs", **{"migration.run.kind": "on_demand",
                                                "migration.run.status": "succeeded"}) == runs_before + 1
    assert telemetry.value("migration.run.duration", **{"migration.run.kind": "on_demand"}) >= 1
    # one ACS call in five answered 429: some were, and each one's wait was recorded
    throttled = telemetry.value("migration.throttled", **{"peer.service": "acs"}) - throttled_before
    assert throttled >= 1
    assert telemetry.value("migration.throttle.wait", **{"peer.service": "acs"}) >= throttled

    slices = telemetry.finished_spans("migration.work_item", **{"migration.run.id": run_id,
                                                               "migration.item.kind": "export"})
    assert {s.attributes["migration.conversation.sid"] for s in slices} == {c.sid for c in convs}
    assert len(slices) >= 3  # the 40-message conversation took more than one 0.4 s slice
    assert len({s.context.trace_id for s in slices}) == len(slices)  # one trace per slice
    plans = telemetry.finished_spans("migration.work_item", **{"migration.run.id": run_id,
                                                              "migration.item.kind": "plan"})
    assert len(plans) == 1


def test_a_failing_delivery_reports_each_attempt_and_its_dead_letter(
    telemetry: Telemetry, served: MigrationHost,
) -> None:
    kinds = ("retrying", "dead-lettered", "delivered")
    before = {k: telemetry.value("fanout.deliveries", **{"fanout.format": "cloudevents"}, outcome=k) for k in kinds}
    dead_before = telemetry.value("fanout.dead_letters", **{"fanout.format": "cloudevents"})
    with running_subscriber(SECRET, path="/ce", status=503) as down:
        sub = served.http.post("/api/subscriptions", json={"url": down.url, "format": "cloudevents",
                                                          "secret": SECRET}).json()
        webhook = (f"{served.host.url}/runtime/webhooks/eventgrid?functionName=fanout_acs_event"
                   f"&code={served.host.keys.eventgrid_key}")
        assert httpx.post(webhook, content=json.dumps([_event("19:telemetry@thread.v2")]),
                          headers={"aeg-event-type": "Notification"}).status_code == 202
        dead = eventually(lambda: served.http.get("/api/deliveries/dead").json()["value"], what="the dead letter")
        delivery_id = dead[0]["deliveryId"]
        time.sleep(0.2)  # the second attempt's span ends as its function returns

    after = {k: telemetry.value("fanout.deliveries", **{"fanout.format": "cloudevents"}, outcome=k) for k in kinds}
    assert {k: after[k] - before[k] for k in kinds} == {"retrying": 1, "dead-lettered": 1, "delivered": 0}
    assert telemetry.value("fanout.dead_letters", **{"fanout.format": "cloudevents"}) == dead_before + 1
    assert telemetry.value("fanout.delivery.duration", **{"fanout.format": "cloudevents"}) >= 2
    attempts = telemetry.finished_spans("fanout.delivery", **{"fanout.delivery.id": delivery_id})
    assert sorted((s.attributes["fanout.attempt"], s.attributes["outcome"]) for s in attempts) == [
        (1, "retrying"), (2, "dead-lettered")]
    assert {s.attributes["fanout.subscription.id"] for s in attempts} == {sub["id"]}


def test_not_migratable_is_its_own_outcome_and_tokens_are_counted_by_route(telemetry: Telemetry) -> None:
    app_telemetry.conversation_settled("run-x", "skipped")
    app_telemetry.conversation_settled("run-x", "failed")
    assert telemetry.value("migration.conversations", **{"migration.run.id": "run-x"}, outcome="not_migratable") == 1
    assert telemetry.value("migration.conversations", **{"migration.run.id": "run-x"}, outcome="failed") == 1
    before = telemetry.value("tokens.issued", **{"token.route": "video", "caller.kind": "user"})
    app_telemetry.token_issued(route="video", caller_kind="user")
    assert telemetry.value("tokens.issued", **{"token.route": "video", "caller.kind": "user"}) == before + 1

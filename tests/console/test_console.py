"""An operator's cutover in the console, in Chromium: plan and start a run and watch it reach 100%, read why a
conversation could not be migrated (its hostile name stays text), replay a dead letter and see it delivered,
add, pause and delete a subscription; the page loads nothing from elsewhere and every control is labelled."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from playwright.sync_api import expect

from harness.subscriber import running_subscriber
from tests.export.seeding import TwilioSeeder
from tests.migrations.conftest import MigrationHost, eventually

if TYPE_CHECKING:
    from playwright.sync_api import Page

HOSTILE = "<img src=x onerror=alert(1)>"
SECRET = "console-subscriber-secret-0123456789"
LONG = 120_000  # ms: a run on the time-scaled stand-ins, on a shared 2-core machine


def _seed(seeder: TwilioSeeder) -> None:
    support = seeder.conversation("Support")
    for who in ("alice", "bob"):
        seeder.chat_participant(support, who)
    for i in range(25):
        seeder.message(support, "alice" if i % 2 else "bob", f"support message {i}")
    crowded = seeder.conversation(HOSTILE)  # 251 people: more than an ACS thread holds, so not migratable
    for n in range(251):
        seeder.chat_participant(crowded, f"guest{n:03d}")
    seeder.message(crowded, "guest000", "hello everyone")


def test_an_operator_plans_starts_and_watches_a_run_and_reads_why_a_conversation_was_not_migrated(
    served: MigrationHost, seeder: TwilioSeeder, page: Page, console_url: str,
) -> None:
    _seed(seeder)
    page.goto(console_url)
    assert "code=" not in page.url  # the key left the address bar (kept for this tab only)
    page.get_by_label("Services").fill(seeder.service_sid)
    page.get_by_role("button", name="Check the plan (dry run)").click()
    expect(page.locator("#plan-conversations")).to_have_text("2", timeout=LONG)
    expect(page.locator("#plan-messages")).to_have_text("26")
    expect(page.locator("#plan-minimum")).to_have_text(re.compile(r"^\d+ s$"))
    assert served.container.runs.list_runs(limit=1)[0].parameters["dryRun"] is True

    page.get_by_role("button", name="Start this run").click()
    expect(page.locator("#notice")).to_contain_text("started")
    run = served.container.runs.list_runs(limit=1)[0]
    assert run.parameters["dryRun"] is False
    card = page.locator(f"li.run[data-run-id='{run.run_id}']")
    conversations = card.locator("progress").first
    expect(conversations).to_have_attribute("data-percent", "100", timeout=LONG)
    expect(card.locator(".badge").first).to_have_text("succeeded", timeout=LONG)
    expect(card).to_contain_text("2 of 2 · 100%")
    expect(card.locator("svg.chart rect.col").first).to_be_attached()
    assert card.locator("svg.chart").get_attribute("aria-label").startswith("Messages copied per minute")

    card.get_by_text("Failed and not-migratable conversations (1)").click()
    failure = card.locator("details.failures li")
    expect(failure).to_have_count(1)
    expect(failure.locator(".conv-name")).to_have_text(HOSTILE)  # the name, as text
    expect(failure.locator(".reason")).to_contain_text("participants; an ACS thread holds at most 250")
    expect(failure).to_contain_text("not migratable")
    assert page.locator("main img").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def _event(thread_id: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()), "topic": "/subscriptions/x/resourcegroups/y/providers/microsoft.communication/"
        "communicationservices/z", "subject": f"thread/{thread_id}/sender/8:acs:someone",
        "eventType": "Microsoft.Communication.ChatMessageReceivedInThread", "dataVersion": "1.0",
        "metadataVersion": "1", "eventTime": datetime.now(UTC).isoformat(),
        "data": {"messageBody": "hello during the outage", "messageId": "1613783230064", "type": "Text",
                 "version": "1613783230064", "senderDisplayName": "Bob", "threadId": thread_id,
                 "senderCommunicationIdentifier": {"rawId": "8:acs:someone",
                                                   "communicationUser": {"id": "8:acs:someone"}},
                 "composeTime": datetime.now(UTC).isoformat(), "metadata": {}},
    }


def test_an_operator_adds_a_subscription_replays_its_dead_letter_pauses_and_deletes_it(
    served: MigrationHost, page: Page, console_url: str,
) -> None:
    with running_subscriber(SECRET, path="/ce", status=503) as down:
        page.goto(console_url)
        page.get_by_label("URL").fill(down.url)
        page.get_by_label("Format").select_option("cloudevents")
        page.get_by_label("Signing secret").fill(SECRET)
        page.get_by_role("button", name="Add subscription").click()
        row = page.locator("#sub-table tbody tr[data-subscription-id]")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(down.url)
        assert SECRET not in page.content()
        subscription_id = row.get_attribute("data-subscription-id")
        assert subscription_id == next(iter(served.container.subscriptions.list_subscriptions())).subscription_id

        webhook = (f"{served.host.url}/runtime/webhooks/eventgrid?functionName=fanout_acs_event"
                   f"&code={served.host.keys.eventgrid_key}")
        posted = httpx.post(webhook, content=json.dumps([_event("19:outage@thread.v2")]),
                            headers={"aeg-event-type": "Notification", "content-type": "application/json"})
        assert posted.status_code == 202
        dead = page.locator("#dead-table tbody tr[data-delivery-id]")
        expect(dead).to_have_count(1, timeout=LONG)
        expect(dead).to_contain_text("503")
        expect(dead).to_contain_text("subscriber says no")
        delivery_id = dead.get_attribute("data-delivery-id")
        assert len(down.received) == 2  # both attempts answered 503

        down.status = None  # the subscriber is back
        dead.get_by_role("button", name=f"Replay delivery {delivery_id}").click()
        expect(page.locator("#notice")).to_contain_text("Replayed 1 delivery")
        delivered = eventually(lambda: down.delivered(), timeout=60, what="the replayed delivery")
        assert [r.delivery_id for r in delivered] == [delivery_id]
        assert delivered[0].signature_ok is True
        assert delivered[0].json()["data"]["messageBody"] == "hello during the outage"
        expect(page.locator("#dead-table tbody")).to_contain_text("No dead letters", timeout=LONG)

        row.get_by_role("button", name=f"Disable subscription {down.url}").click()
        expect(row.locator(".state-off")).to_have_text("disabled")
        expect(row).to_contain_text("disabled by an operator")
        assert served.container.subscriptions.get_subscription(str(subscription_id)).enabled is False
        row.get_by_role("button", name=f"Enable subscription {down.url}").click()
        expect(row.locator(".state-on")).to_have_text("enabled")

        row.get_by_role("button", name=f"Delete subscription {down.url}").click()
        row.get_by_role("button", name=f"Confirm: delete subscription {down.url}").click()
        expect(page.locator("#sub-table tbody")).to_contain_text("No subscriptions yet.")
        assert list(served.container.subscriptions.list_subscriptions()) == []
        assert page.dialogs == []  # type: ignore[attr-defined]


def test_the_page_loads_only_its_own_assets_under_a_strict_csp_and_every_control_is_labelled(
    served: MigrationHost, page: Page, console_url: str,
) -> None:
    response = page.goto(console_url)
    assert response is not None
    assert response.status == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    expect(page.locator("#refreshed")).to_contain_text("Updated")
    origin = served.host.url
    assert page.requested  # type: ignore[attr-defined]
    assert all(url.startswith(origin) for url in page.requested)  # type: ignore[attr-defined]
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
        .map(el => el.id || el.outerHTML)""")
    assert unlabelled == []
    asset = httpx.get(f"{origin}/api/console/assets/console.js")  # anonymous: it holds no data
    assert asset.status_code == 200
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = httpx.get(f"{origin}/api/console/assets/console.js", headers={"if-none-match": asset.headers["etag"]})
    assert again.status_code == 304
    assert httpx.get(f"{origin}/api/console/assets/secrets.txt").status_code == 404
    assert httpx.get(f"{origin}/api/console").status_code == 401  # the page needs the function key
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # keyboard users can skip to the runs


def test_the_configuration_check_lists_each_check_with_its_status(
    served: MigrationHost, page: Page, console_url: str,
) -> None:
    page.goto(console_url)
    page.get_by_role("button", name="Run the configuration check").click()
    checks = page.locator("#doctor-list li[data-check]")
    expect(checks.first).to_be_attached(timeout=LONG)
    report = served.http.get("/api/health/deep").json()
    assert [c.get_attribute("data-check") for c in checks.all()] == [c["name"] for c in report["checks"]]
    storage = page.locator("#doctor-list li[data-check='storage']")
    expect(storage.locator(".badge")).to_have_text("pass")  # Azurite, with every right
    assert served.environ["TWILIO_AUTH_TOKEN"] not in page.content()

"""The console's run form carries the archive cutoff (docs/archive.md) to the dry run and to the run it starts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from shared.export.archive.store import ArchiveStore
from tests.export.seeding import TwilioSeeder
from tests.migrations.conftest import MigrationHost, eventually

if TYPE_CHECKING:
    from playwright.sync_api import Page

LONG = 120_000


def test_an_operator_plans_and_starts_a_run_that_archives_all_but_the_newest_messages(
    served: MigrationHost, seeder: TwilioSeeder, page: Page, console_url: str,
) -> None:
    conv = seeder.conversation("Archived from the console")
    seeder.chat_participant(conv, "alice")
    for i in range(6):
        seeder.message(conv, "alice", f"note {i}")
    page.goto(console_url)
    page.get_by_label("Conversations").fill(conv.sid)
    page.get_by_label("Or archive all but the newest").fill("2")
    page.get_by_role("button", name="Check the plan (dry run)").click()
    expect(page.locator("#plan-conversations")).to_have_text("1", timeout=LONG)
    dry = served.container.runs.list_runs(limit=1)[0]
    assert (dry.parameters["dryRun"], dry.parameters["archiveKeepNewest"]) == (True, 2)

    page.get_by_role("button", name="Start this run").click()
    expect(page.locator("#notice")).to_contain_text("started")
    run = served.container.runs.list_runs(limit=1)[0]
    assert (run.parameters["dryRun"], run.parameters["archiveKeepNewest"], run.parameters["archiveBefore"]) == (
        False, 2, None)
    eventually(lambda: served.container.runs.get_run(run.run_id).status == "succeeded", timeout=LONG / 1000,
               what="the run with a cutoff")
    lines = [json.loads(x) for x in ArchiveStore(served.container.media).read(conv.sid, "jsonl").splitlines()]
    assert [line["body"] for line in lines] == [f"note {i}" for i in range(4)]


def test_both_cutoffs_at_once_show_the_apis_reason(served: MigrationHost, page: Page, console_url: str) -> None:
    page.goto(console_url)
    page.get_by_label("Archive messages older than").fill("2024-01-31")
    page.get_by_label("Or archive all but the newest").fill("10")
    page.get_by_role("button", name="Check the plan (dry run)").click()
    expect(page.locator("#notice")).to_contain_text("Set archiveBefore or archiveKeepNewest, not both.")
    assert all(not r.parameters.get("archiveKeepNewest") for r in served.container.runs.list_runs(limit=5))

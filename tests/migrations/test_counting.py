"""One way of counting: the CLI and the API report the same counts for the same workspace, with not-migratable
conversations counted and listed on their own, and the CLI's exit code from the same counts."""

from __future__ import annotations

from typing import Any

import pytest

from shared import cli
from shared.container import AppContainer
from shared.export.outcomes import ExitCode
from tests.export.seeding import TwilioSeeder

from .conftest import MigrationHost, eventually


def _workspace(seeder: TwilioSeeder) -> dict[str, str]:
    """Two conversations that copy, one with 251 participants (not migratable), one that fails."""
    sids = {}
    for topic, count in (("fine", 3), ("also fine", 1)):
        conv = seeder.conversation(topic)
        seeder.chat_participant(conv, "gail")
        for n in range(count):
            seeder.message(conv, "gail", f"{topic} {n}")
        sids[topic] = conv.sid
    crowd = seeder.conversation("crowd")
    for n in range(251):
        seeder.chat_participant(crowd, f"member-{n}")
    seeder.message(crowd, "member-0", "hello crowd")
    sids["crowd"] = crowd.sid
    bad = seeder.conversation("bad author")
    seeder.chat_participant(bad, "bea")
    seeder.message(bad, "/" * 250, "an author whose identity cannot be stored as a key")
    sids["bad"] = bad.sid
    return sids


def _renamed(environ: dict[str, str], tag: str) -> dict[str, str]:
    """The same app on tables of its own: a second, independent migration of the same workspace."""
    names = ("IDENTITY_TABLE", "CONVERSATION_TABLE", "MESSAGE_TABLE", "RUN_TABLE", "MEDIA_CONTAINER")
    return {**environ, **{name: environ[name] + tag for name in names}}


def test_cli_and_api_report_the_same_counts_and_lists_for_the_same_workspace(
    served: MigrationHost, seeder: TwilioSeeder, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sids = _workspace(seeder)

    response = served.http.post("/api/migrations", json={"services": [seeder.service_sid]})
    api: dict[str, Any] = eventually(
        lambda: (b := served.http.get(response.headers["Location"]).json())["status"] in ("succeeded", "failed")
        and b, what="the API run", timeout=180)

    cli_environ = _renamed(served.environ, "cli")
    for name, value in cli_environ.items():
        monkeypatch.setenv(name, value)
    code = cli.main(["migrate", "--service", seeder.service_sid])
    capsys.readouterr()
    cli_container = AppContainer.from_environ(cli_environ)
    cli_run = cli_container.runs.list_runs(limit=1)[0]
    cli_view = cli_container.migration_runs.get_run(cli_run.run_id).to_json()

    assert api["counts"] == cli_view["counts"] == {
        "planned": 4, "done": 2, "failed": 1, "notMigratable": 1, "messages": 4, "plannedMessages": 6,
        "mediaBytes": 0}
    assert api["status"] == cli_view["status"] == "failed"
    assert code == ExitCode.FAILED
    for view in (api, cli_view):
        assert [f["conversationSid"] for f in view["failures"]] == [sids["bad"]]
        assert "too long to store" in view["failures"][0]["reason"]
        assert [n["conversationSid"] for n in view["notMigratable"]] == [sids["crowd"]]
        assert "251 participants" in view["notMigratable"][0]["reason"]

    assert cli.main(["status", cli_run.run_id]) == ExitCode.OK
    shown = capsys.readouterr().out
    assert "4 planned, 2 done, 1 failed, 1 not migratable, 4 messages" in shown
    assert sids["crowd"] in shown
    assert sids["bad"] in shown
    if "export_engine" in cli_container.__dict__:
        cli_container.export_engine.close()


def test_not_migratable_alone_succeeds_and_exits_3(
    served: MigrationHost, seeder: TwilioSeeder, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    crowd = seeder.conversation("crowd only")
    for n in range(251):
        seeder.chat_participant(crowd, f"member-{n}")
    seeder.message(crowd, "member-0", "hello crowd")
    for name, value in served.environ.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["migrate", "--conversation", crowd.sid]) == ExitCode.NOT_MIGRATABLE
    out = capsys.readouterr().out
    assert "Not migratable" in out
    run = served.container.runs.list_runs(limit=1)[0]
    assert run.status == "succeeded"
    assert run.error == "1 conversation(s) not migratable; see notMigratable"

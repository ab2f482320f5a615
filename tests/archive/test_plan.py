"""``acs-migrate plan`` with an archive cutoff prints the floor with and without it and writes nothing; ``migrate``
reports what it archived."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared import cli
from shared.container import AppContainer
from shared.export.pacing import minimum_duration
from shared.settings import ExportSettings
from tests.export.seeding import TwilioSeeder

from .helpers import BULK_BASE, bulk_conversation


@pytest.fixture
def plan_environ(export_environ: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    environ = {k: v for k, v in export_environ.items() if k != "EXPORT_RATE_TIME_SCALE"}  # ACS's real limits
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("EXPORT_RATE_TIME_SCALE", raising=False)
    return environ


def _floor(sends: int) -> str:
    return cli._duration(minimum_duration(sends, ExportSettings().send_limits))


def test_plan_prints_both_floors_for_either_cutoff_and_writes_nothing(
    plan_environ: dict[str, str], seeder: TwilioSeeder, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = bulk_conversation(seeder, 100, "planned")

    assert cli.main(["plan", "--conversation", sid, "--archive-keep-newest", "10"]) == 0
    out = capsys.readouterr().out
    assert (f"Floor without the archive cutoff: {_floor(100)}; with it (all but the newest 10 messages): "
            f"{_floor(11)}, 90 messages archived instead of copied.") in out

    cut = datetime.fromtimestamp(BULK_BASE + 40 * 60, UTC)  # messages 0-39 are older
    assert cli.main(["plan", "--conversation", sid, "--archive-before", cut.isoformat()]) == 0
    out = capsys.readouterr().out
    assert (f"Floor without the archive cutoff: {_floor(100)}; with it (messages before {cut.isoformat()}): "
            f"{_floor(61)}, 40 messages archived instead of copied.") in out
    assert AppContainer.from_environ(plan_environ).conversations.find_conversation(sid) is None

    assert cli.main(["migrate", "--conversation", sid, "--archive-keep-newest", "5"]) == 0  # 6 sends: one window
    assert "5 messages copied (95 archived)" in capsys.readouterr().out


def test_both_cutoffs_at_once_are_refused_by_the_command_line(
    plan_environ: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["plan", "--archive-keep-newest", "10", "--archive-before", "2024-01-01"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["migrate", "--archive-keep-newest", "ten"])
    assert "'ten' is not a whole number" in capsys.readouterr().err

"""The four output formats and the subcommand's exit codes, through `python -m shared.cli scan`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from shared.cli import main
from shared.scan.render import to_markdown, to_sarif
from shared.scan.rules import load_rulebook
from tests.scan.conftest import SAMPLES, expected_in, scan

SCHEMA = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    document = to_sarif(scan(SAMPLES / "js_app"))
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    run = document["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) == len(load_rulebook().rules) == len({r["id"] for r in rules})  # one rule per mapping
    assert all(r["help"]["text"] and r["help"]["markdown"] for r in rules)
    assert len(run["results"]) == len(expected_in(SAMPLES / "js_app")) + 3  # + package.json
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = next(r for r in run["results"] if r["ruleId"] == "CHAT-T3"
                 and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/chat.js")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/chat.js", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 19, "startColumn": 44}}


def test_sarif_with_notes_and_odd_paths_still_validates(tmp_path: Path) -> None:
    (tmp_path / "dir with space").mkdir()
    (tmp_path / "dir with space" / "chät.js").write_text('const t = require("twilio");\nfunction (\n', encoding="utf-8")
    (tmp_path / "bin.js").write_bytes(b"\0\1\2")
    document = to_sarif(scan(tmp_path))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(document)
    run = document["runs"][0]
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "dir%20with%20space/ch%C3%A4t.js"
    assert len(run["invocations"][0]["toolExecutionNotifications"]) == 2


def test_markdown_counts_and_effort_per_area() -> None:
    text = to_markdown(scan(SAMPLES / "python_app"))
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(
        r"^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \| ([\d.]+) h", text, re.M)}
    # area: uses, client, server, no counterpart, unverified, done by this app, hours
    assert rows["tokens"] == ("6", "0", "6", "0", "5", "6", "5.5")  # 1.4 h of token work at 25% + 4 h setup
    assert rows["webhooks"] == ("3", "0", "3", "0", "3", "3", "5")
    assert rows["video"] == ("3", "0", "3", "0", "3", "3", "13")
    assert rows["chat"] == ("2", "0", "2", "0", "2", "1", "10.5")  # read (replaced, 0.5 h) + thread write 2 h + 8 h
    assert "## Server side this app replaces" in text
    assert "this app's POST /api/token" in text
    assert "## How the estimate is made" in text


def test_cli_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(SAMPLES / "manifest_only"), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["filesScanned"] == 3
    assert data["findingsByArea"] == {"chat": 1, "video": 2, "tokens": 0, "webhooks": 0, "other": 4}
    assert {f["ruleId"] for f in data["findings"]} == {"PKG-CONVERSATIONS", "PKG-VIDEO", "PKG-VIDEO-PROCESSORS",
                                                       "PKG-TWILIO-NODE", "PKG-TWILIO-PY"}


def test_cli_table_groups_by_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(SAMPLES / "ts_app")]) == 0
    out = capsys.readouterr().out
    titles = [line.strip() for line in out.splitlines() if line.strip().startswith("src/")]
    assert titles == ["src/app.tsx", "src/chat/session.ts", "src/chat/twilio.ts", "src/useConversation.tsx"]
    assert "getChatThreadClient" in out
    assert "16 Twilio uses in 4 of 4 files read (chat 16); 0 notes." in out


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "ok.js").write_text("// twilio-video is gone\n", encoding="utf-8")
    assert main(["scan", str(SAMPLES / "js_app"), "--format", "markdown"]) == 0  # findings alone are not an error
    assert main(["scan", str(SAMPLES / "js_app"), "--fail-on-findings", "--format", "json"]) == 1
    assert main(["scan", str(clean), "--fail-on-findings"]) == 0
    assert main(["scan", str(tmp_path / "missing")]) == 2
    assert "Cannot scan" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad_format:
        main(["scan", str(clean), "--format", "xml"])
    assert bad_format.value.code == 2


def test_cli_output_file(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    assert main(["scan", str(SAMPLES / "python_app"), "--format", "sarif", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert main(["scan", str(SAMPLES / "python_app"), "--output", str(tmp_path / "no" / "dir" / "x.txt")]) == 2
    table = tmp_path / "table.txt"
    assert main(["scan", str(SAMPLES / "python_app"), "--output", str(table)]) == 0
    assert "app.py" in table.read_text(encoding="utf-8")


def test_markdown_counts_only_server_work_as_done_by_this_app() -> None:
    text = to_markdown(scan(SAMPLES / "js_app"))
    chat = re.search(r"^\| chat \| (\d+) \| (\d+) \| (\d+) \| \d+ \| \d+ \| (\d+) \|", text, re.M)
    assert chat is not None
    # 36 chat uses: 34 client, 2 server (the REST read and the participant write), both replaced by this app
    assert chat.groups() == ("36", "34", "2", "2")
    section = text.split("## Server side this app replaces")[1].split("##")[0]
    assert "getConversationBySid" not in section  # client work the app only helps with is not listed there

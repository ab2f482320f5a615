"""Files the scanner cannot use become notes, never a crash; vendored folders are skipped; nothing is run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.scan.conftest import scan

TWILIO_JS = 'import { Client } from "@twilio/conversations";\nconst c = new Client(t);\n'


def reasons(report: object) -> dict[str, str]:
    return {n.path: n.reason for n in report.notes}  # type: ignore[attr-defined]


def test_node_modules_and_build_output_are_skipped_with_a_note(sample_copy) -> None:  # type: ignore[no-untyped-def]
    root = sample_copy("js_app")
    for folder in ("node_modules/twilio-video", "dist", "vendor/lib"):
        (root / folder).mkdir(parents=True)
        (root / folder / "index.js").write_text(TWILIO_JS, encoding="utf-8")
    report = scan(root)
    assert not any(f.path.startswith(("node_modules", "dist", "vendor")) for f in report.findings)
    notes = reasons(report)
    assert notes["node_modules"].startswith("dependency folder; skipped by default")
    assert notes["dist"].startswith("build output; skipped by default")
    assert notes["vendor"].startswith("vendored code; skipped by default")
    included = scan(root, include_vendored=True)
    assert {f.path for f in included.findings} >= {"node_modules/twilio-video/index.js", "dist/index.js",
                                                    "vendor/lib/index.js"}


def test_exclude_globs(tmp_path: Path) -> None:
    (tmp_path / "keep.js").write_text(TWILIO_JS, encoding="utf-8")
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.js").write_text(TWILIO_JS, encoding="utf-8")
    report = scan(tmp_path, excludes=("legacy",))
    assert {f.path for f in report.findings} == {"keep.js"}


def test_binary_huge_and_minified_files_are_notes(tmp_path: Path) -> None:
    (tmp_path / "image.js").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0" + bytes(range(256)))
    (tmp_path / "huge.js").write_text(TWILIO_JS + "// padding\n" * 20_000, encoding="utf-8")
    (tmp_path / "app.min.js").write_text(TWILIO_JS, encoding="utf-8")  # *.min.js is build output: not read
    (tmp_path / "bundle.js").write_text(TWILIO_JS.replace("\n", ";") + "x=1;" * 10_000, encoding="utf-8")
    report = scan(tmp_path, max_file_bytes=100_000)
    notes = reasons(report)
    assert notes["image.js"] == "binary content; skipped"
    size = (tmp_path / "huge.js").stat().st_size
    assert notes["huge.js"] == f"{size} bytes, over the 100000-byte limit (--max-file-bytes); skipped"
    assert notes["bundle.js"] == "minified (very long lines); skipped"
    assert report.findings == []
    assert report.files_scanned == 0


def test_syntax_errors_keep_findings_from_readable_parts(tmp_path: Path) -> None:
    (tmp_path / "broken.js").write_text(TWILIO_JS + "function (( {\n", encoding="utf-8")
    (tmp_path / "broken.py").write_text("from twilio.rest import Client\ndef f(:\n", encoding="utf-8")
    (tmp_path / "package.json").write_text('{"dependencies": {"twilio": "5"', encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    report = scan(tmp_path)
    notes = reasons(report)
    assert notes["broken.js"] == "syntax errors from line 3; findings in the readable parts are kept"
    assert notes["broken.py"].startswith("not valid Python 3 (line 2")
    assert notes["package.json"].startswith("package.json is not valid JSON")
    assert notes["pyproject.toml"].startswith("pyproject.toml is not valid TOML")
    assert {(f.path, f.line, f.rule.id) for f in report.findings} == {
        ("broken.js", 1, "PKG-CONVERSATIONS"), ("broken.js", 2, "CHAT-C1")}


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_loops_and_broken_links_are_notes(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "chat.js").write_text(TWILIO_JS, encoding="utf-8")
    os.symlink("..", tmp_path / "src" / "loop")
    os.symlink("missing.js", tmp_path / "src" / "gone.js")
    report = scan(tmp_path)
    notes = reasons(report)
    assert notes["src/loop"] == "symbolic link loop or a folder reached twice; skipped"
    assert notes["src/gone.js"] == "broken symbolic link; skipped"
    assert [(f.path, f.rule.id) for f in report.findings] == [("src/chat.js", "PKG-CONVERSATIONS"),
                                                              ("src/chat.js", "CHAT-C1")]


def test_deep_nesting_is_a_note_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", encoding="utf-8")
    (tmp_path / "deep.js").write_text("const x = " + "a." * 20_000 + "b;\n", encoding="utf-8")
    report = scan(tmp_path)
    notes = reasons(report)
    assert set(notes) == {"deep.py", "deep.js"}
    assert report.findings == []


def test_scanned_code_is_never_run_or_imported(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    (tmp_path / "payload.py").write_text(
        f"from twilio.rest import Client\nopen({str(marker)!r}, 'w').write('ran')\nClient('AC', 'x')\n",
        encoding="utf-8")
    (tmp_path / "payload.js").write_text(
        f"require('fs').writeFileSync({str(marker)!r}, 'ran'); const t = require('twilio');\n", encoding="utf-8")
    report = scan(tmp_path)
    assert not marker.exists()
    assert "payload" not in sys.modules
    assert {(f.path, f.rule.id) for f in report.findings} == {
        ("payload.py", "PKG-TWILIO-PY"), ("payload.py", "REST-CLIENT"), ("payload.js", "PKG-TWILIO-NODE")}


def test_a_single_file_or_an_unknown_file_type(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("import twilio", encoding="utf-8")
    report = scan(tmp_path / "notes.md")
    assert report.findings == []
    assert reasons(report) == {"notes.md": "not a JavaScript, TypeScript, Python or manifest file; nothing to scan"}

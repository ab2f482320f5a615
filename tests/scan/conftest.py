"""Helpers for the scanner tests: the sample apps, their inline ``expect:`` annotations, a scan runner."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from shared.scan.engine import scan_path
from shared.scan.model import ScanReport
from shared.scan.walk import WalkOptions

SAMPLES = Path(__file__).parent / "samples"
EXPECT = re.compile(r"(?://|#|<!--)\s*expect:\s*([A-Z0-9, -]+?)\s*(?:-->)?\s*$")
SOURCES = (".js", ".jsx", ".ts", ".tsx", ".py", ".html")


def expected_in(root: Path) -> set[tuple[str, int, str]]:
    """(path, line, rule id) for every ``// expect: A, B`` (or ``#``, ``<!--``) comment in the sources under root."""
    found = set()
    for path in sorted(root.rglob("*")):
        if path.suffix not in SOURCES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                rel = path.relative_to(root).as_posix()
                found |= {(rel, number, rule.strip()) for rule in match.group(1).split(",")}
    return found


def found_in(report: ScanReport, *, sources_only: bool = True) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule.id) for f in report.findings
            if not sources_only or f.path.endswith(SOURCES)}


@pytest.fixture
def sample_copy(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Copy a sample app into tmp_path (so a test can add node_modules, symlinks, broken files)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(SAMPLES / name, target)
        return target

    return copy


def scan(root: Path, **options: object) -> ScanReport:
    return scan_path(root, WalkOptions(**options))  # type: ignore[arg-type]

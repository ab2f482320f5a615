"""Measure `acs-migrate scan` on a generated source tree: files and findings per second, by language.

Copies the test sample apps (tests/scan/samples) ``--copies`` times into a temporary folder, scans the
JavaScript/TypeScript copies, the Python copies and everything together, and prints seconds, files per
second and how the per-file cost of JS/TS compares with Python's in this run. Asserts nothing about time.

    .venv/bin/python bench/scan.py [--copies 40]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.scan.engine import scan_path

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "scan" / "samples"
GROUPS = {"js/ts": ("js_app", "ts_app", "html_page"), "python": ("python_app", "python_pkg")}


def build(root: Path, names: tuple[str, ...], copies: int) -> None:
    for copy in range(copies):
        for name in names:
            shutil.copytree(SAMPLES / name, root / f"{name}-{copy}")


def measure(root: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    report = scan_path(root)
    return time.perf_counter() - started, report.files_scanned, len(report.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=40)
    args = parser.parse_args()
    per_file: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for group, names in GROUPS.items():
            root = Path(tmp) / group.replace("/", "-")
            build(root, names, args.copies)
            seconds, files, findings = measure(root)
            per_file[group] = seconds / files
            print(f"{group:>7}: {files} files, {findings} findings in {seconds:.2f} s "
                  f"({files / seconds:.0f} files/s, {findings / seconds:.0f} findings/s)")
        seconds, files, findings = measure(Path(tmp))
        print(f"    all: {files} files, {findings} findings in {seconds:.2f} s ({files / seconds:.0f} files/s)")
    print(f"per-file cost, JS/TS vs Python: {per_file['js/ts'] / per_file['python']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

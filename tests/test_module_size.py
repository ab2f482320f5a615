"""Rooms a newcomer can hold: no module of the app's package (``shared/``) grows past 400 lines. A module that
needs more is doing more than one job; split it by job (docs/architecture.md shows the shape)."""

from __future__ import annotations

from pathlib import Path

MAX_LINES = 400
SHARED = Path(__file__).resolve().parents[1] / "shared"


def test_no_module_in_shared_is_over_400_lines() -> None:
    sizes = {path.relative_to(SHARED.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in SHARED.rglob("*.py")}
    assert len(sizes) > 100  # the package was found
    assert {name: lines for name, lines in sizes.items() if lines > MAX_LINES} == {}

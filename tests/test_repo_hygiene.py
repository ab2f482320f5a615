"""The repository never tracks the shared environments.

Worktrees hold `.venv`, `.venv-infra` and `node_modules` as symlinks to the shared copies; committed by
mistake, a checkout of main replaces the real folders there with self-pointing links (it happened once).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
def test_environment_folders_are_not_tracked() -> None:
    tracked = subprocess.run(["git", "ls-files", "--", ".venv", ".venv-infra", "node_modules"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    assert tracked == []

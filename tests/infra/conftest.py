"""Session fixtures for the offline infra checks: pycep-parser trees and one checkov report."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.bicep import INFRA_DIR, bicep_files, parse_bicep, run_checkov


@pytest.fixture(scope="session")
def bicep_trees() -> dict[str, dict[str, Any]]:
    """Every infra/**/*.bicep parsed by pycep-parser 0.7.1, by path relative to the repo."""
    try:
        trees, errors = parse_bicep(bicep_files())
    except FileNotFoundError as missing:
        pytest.fail(str(missing))
    if errors:
        pytest.fail("Bicep syntax errors:\n" + "\n".join(map(str, errors)))
    return trees


@pytest.fixture(scope="session")
def main_tree(bicep_trees: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return bicep_trees["infra/main.bicep"]


@pytest.fixture(scope="session")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """checkov over infra/ (exit code, JSON report), run once per session."""
    try:
        return run_checkov(INFRA_DIR, home=str(tmp_path_factory.mktemp("checkov-home")))
    except FileNotFoundError as missing:
        pytest.fail(str(missing))

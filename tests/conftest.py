"""Session-wide fixtures: the real Azurite, and where ../shared lives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.azurite import AzuriteEndpoints, running_azurite

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The reference folder beside the repo (specs and research); CI has it there too."""
    if not (SHARED_DIR / "specs").is_dir():
        pytest.fail(f"the reference folder {SHARED_DIR} is missing: clone the repo beside shared/")
    return SHARED_DIR


@pytest.fixture(scope="session")
def azurite() -> Iterator[AzuriteEndpoints]:
    """One in-memory Azurite (blob, queue, table) for the whole session, stopped by PID."""
    with running_azurite() as endpoints:
        yield endpoints


@pytest.fixture(scope="session")
def storage_connection_string(azurite: AzuriteEndpoints) -> str:
    return azurite.connection_string

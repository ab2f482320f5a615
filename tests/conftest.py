"""Session-wide fixtures: the real Azurite, and where ../shared lives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.azurite import AzuriteEndpoints, running_azurite

pytest_plugins = ["tests.standins", "tests.openapi_responses"]

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


VALID_ACS_CONNECTION = "endpoint=https://acs.example.test/;accesskey=" + "a2V5LWZvci10ZXN0cy1vbmx5"
VALID_ACCOUNT_SID = "AC" + "0" * 32


def unique_suffix() -> str:
    import secrets

    return secrets.token_hex(4)


@pytest.fixture
def app_environ(storage_connection_string: str) -> dict[str, str]:
    """A complete, valid set of app settings on Azurite, with tables and queues unique to the test."""
    suffix = unique_suffix()
    return {
        "AzureWebJobsStorage": storage_connection_string,
        "TWILIO_ACCOUNT_SID": VALID_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "test-auth-token-value",
        "ACS_CONNECTION_STRING": VALID_ACS_CONNECTION,
        "IDENTITY_TABLE": f"identities{suffix}",
        "CONVERSATION_TABLE": f"conversations{suffix}",
        "MESSAGE_TABLE": f"messages{suffix}",
        "RUN_TABLE": f"runs{suffix}",
        "SUBSCRIPTION_TABLE": f"subscriptions{suffix}",
        "DEAD_LETTER_TABLE": f"deadletters{suffix}",
        "MIGRATION_QUEUE": f"migration-{suffix}",
        "DELIVERY_QUEUE": f"deliveries-{suffix}",
        "MEDIA_CONTAINER": f"media-{suffix}",
        "VIDEO_ROOM_TABLE": f"videorooms{suffix}",
    }

"""Fixtures for the fan-out: settings that allow the loopback subscriber, a container, the official examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.container import AppContainer

EXAMPLES = Path("specs/acs/azure-rest-api-specs/specification/eventgrid/data-plane/Microsoft.Communication/stable/"
                "2018-01-01/examples")
SECRET = "subscriber-secret-0123456789abcdef"


@pytest.fixture
def fanout_environ(app_environ: dict[str, str]) -> dict[str, str]:
    """``app_environ`` with the development settings a loopback http subscriber needs, and fast retries."""
    return dict(
        app_environ,
        FANOUT_ALLOW_HTTP="true",
        FANOUT_ALLOW_PRIVATE_TARGETS="true",
        FANOUT_MAX_ATTEMPTS="3",
        FANOUT_RETRY_BASE_SECONDS="0",
        FANOUT_CACHE_SECONDS="0",
    )


@pytest.fixture
def container(fanout_environ: dict[str, str]) -> AppContainer:
    built = AppContainer.from_environ(fanout_environ)
    assert built.settings_error is None
    return built


def load_examples(shared_dir: Path, schema: str) -> dict[str, dict[str, Any]]:
    """``{file stem: event}`` of the official chat examples in ``schema`` (event-grid-schema or cloud-events-schema)."""
    folder = shared_dir / EXAMPLES / schema
    examples = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("chat_*.json"))}
    assert len(examples) == 16, sorted(examples)
    return examples

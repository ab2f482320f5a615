from __future__ import annotations

import pytest

from shared.container import AppContainer


@pytest.fixture
def container(app_environ: dict[str, str]) -> AppContainer:
    """An app container on Azurite with tables, queues and a container unique to the test."""
    built = AppContainer.from_environ(app_environ)
    assert built.settings_error is None
    return built

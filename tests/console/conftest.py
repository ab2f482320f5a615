"""The console in a real browser: the whole app on the local host, Azurite and the stand-ins, driven by
Playwright through Debian's Chromium. Without Chromium (or playwright) every test here is skipped with one
line saying what to install."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from harness.console_browser import MISSING, running_chromium
from tests.migrations.conftest import FUNCTION_KEY, MigrationHost, host_json, host_port, seeder, served  # noqa: F401
from tests.standins import ACS_TIME_SCALE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped: Playwright's sync API runs an event loop on this thread until it stops, and later tests
    that call ``asyncio.run`` need the thread free of it."""
    try:
        with running_chromium() as chromium:
            yield chromium
    except RuntimeError as exc:
        if str(exc) != MISSING:
            raise
        pytest.skip(MISSING)


@pytest.fixture
def migration_environ(standin_environ: dict[str, str]) -> dict[str, str]:
    """The migration tests' settings, plus a fan-out that may deliver to a loopback http subscriber."""
    return dict(
        standin_environ,
        EXPORT_RATE_TIME_SCALE=ACS_TIME_SCALE, EXPORT_SLICE_SECONDS="0.4", EXPORT_LEASE_SECONDS="5",
        EXPORT_FLUSH_EVERY="5", MIGRATION_PLAN_SECONDS="10", LIVE_SYNC_DELAY_SECONDS="0.3",
        NIGHTLY_SCHEDULE="0 0 2 * * *",
        FANOUT_ALLOW_HTTP="true", FANOUT_ALLOW_PRIVATE_TARGETS="true", FANOUT_MAX_ATTEMPTS="2",
        FANOUT_RETRY_BASE_SECONDS="0", FANOUT_CACHE_SECONDS="0",
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page that records dialogs (an injected ``alert`` would open one) and every request URL."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.dialogs = []  # type: ignore[attr-defined]
    tab.requested = []  # type: ignore[attr-defined]
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    tab.on("request", lambda request: tab.requested.append(request.url))  # type: ignore[attr-defined]
    yield tab
    context.close()


@pytest.fixture
def console_url(served: MigrationHost) -> str:  # noqa: F811
    return f"{served.host.url}/api/console?code={FUNCTION_KEY}"

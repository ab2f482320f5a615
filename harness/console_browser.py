"""Headless Debian Chromium driven by Playwright for Python: the console's browser tests and ``make demo``'s
screenshot. Playwright's own browser download cannot run here, so it drives the system binary."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
MISSING = "browser tests skipped: no Chromium at /usr/bin/chromium (Debian: apt-get install chromium) or no playwright"


def chromium_executable() -> str | None:
    """``CHROMIUM`` if set, else Debian's ``/usr/bin/chromium`` (or one on PATH); None when absent or playwright is."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return None
    candidates = [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", shutil.which("chromium") or ""]
    return next((c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)), None)


@contextmanager
def running_chromium() -> Iterator[Browser]:
    """A headless Chromium; raises RuntimeError naming what to install when there is none."""
    executable = chromium_executable()
    if executable is None:
        raise RuntimeError(MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def save_console_screenshot(host_url: str, function_key: str, path: Path, *, width: int = 1280) -> Path:
    """Open the console, wait until it shows the newest run, and save a full-page PNG to ``path``."""
    with running_chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        page.goto(f"{host_url}/api/console?code={function_key}")
        page.wait_for_selector("li.run", timeout=30_000)
        page.wait_for_function("document.getElementById('refreshed').textContent.startsWith('Updated')",
                               timeout=30_000)
        details = page.locator("details.failures").first
        if details.count():
            details.locator("summary").click()
            page.wait_for_selector("details.failures li", timeout=10_000)
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        page.close()
    return path

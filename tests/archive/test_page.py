"""The HTML transcript in a real browser (Chromium, a phone-sized viewport): escaped bodies, linked attachments,
no horizontal scrolling."""

from __future__ import annotations

from shared.archive_cutoff import ArchiveCutoff
from shared.container import AppContainer
from shared.export import ExportEngine, MigrationRequest
from shared.export.archive.store import ArchiveStore
from tests.export.seeding import TwilioSeeder

from .browser import PHONE, phone_page
from .helpers import HOSTILE, seed, transcript


def test_the_page_shows_markup_as_text_links_attachments_and_fits_a_phone(
    engine: ExportEngine, container: AppContainer, seeder: TwilioSeeder
) -> None:
    conv = seed(seeder, 6, "page", hostile_at=1, media_at=2)
    seeder.message(conv, "ana", "x" * 300)  # one unbroken long word: must wrap, not widen the page
    engine.runner.run(MigrationRequest(conversations=(conv.sid,), archive=ArchiveCutoff(keep_newest=1)))
    page_bytes = ArchiveStore(container.media).read(conv.sid, "html")
    media = transcript(container, conv.sid)[2]["media"][0]

    with phone_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: errors.append(f"dialog {dialog.message}") or dialog.dismiss())
        page.set_content(page_bytes.decode(), wait_until="load")

        assert page.locator("article").count() == 6
        assert page.locator("#m1 .body").inner_text() == HOSTILE
        assert page.locator("#m1 .body *").count() == 0  # no element came out of the body
        assert page.locator("script, img, iframe").count() == 0
        assert page.title() == "page – archived history"  # the body's script never ran
        assert errors == []
        link = page.locator("#m2 ul.media a")
        assert link.get_attribute("href") == media["url"]
        assert link.inner_text() == f"{media['name']} (application/pdf, {media['size']} bytes)"
        assert page.locator("#m0 header b").inner_text() == "ben"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert "6 archived messages from 2021-03-04" in page.locator("footer").inner_text()

"""``/api/archives/{conversation}/{file}``: the transcript for current participants of the thread, through the
same gate as migrated attachments; everyone else the same 404. The page opened in Chromium from the link."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import azure.functions as func
import httpx
import pytest

from harness.local_issuer import LocalIssuer
from shared.archive_cutoff import ArchiveCutoff
from shared.container import AppContainer
from shared.export import MigrationRequest
from shared.export.archive.store import ArchiveStore
from shared.triggers import archives
from tests.attachments.conftest import PUBLIC_BASE_URL, bearer, error_of
from tests.export.conftest import AcsAdmin
from tests.export.seeding import SeededConversation, TwilioSeeder
from tests.functions import handler, http_request

from .browser import phone_page
from .helpers import HOSTILE, seed, thread_messages


@dataclass
class ArchiveApp:
    container: AppContainer
    app: func.FunctionApp = field(init=False)

    def __post_init__(self) -> None:
        self.app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
        self.app.register_functions(archives.build_blueprint(self.container))

    def get(self, url: str, *, headers: dict[str, str] | None = None,
            params: dict[str, str] | None = None) -> func.HttpResponse:
        path = url.removeprefix(PUBLIC_BASE_URL)
        parts = path.split("/")
        route = {"conversation": parts[3], "file": parts[4]} if len(parts) == 5 else {}
        response: func.HttpResponse = handler(self.app, "archive_get")(
            http_request("GET", path, headers=headers, params=params, route_params=route))
        return response


@pytest.fixture
def archived(attachment_environ: dict[str, str], seeder: TwilioSeeder, acs_admin: AcsAdmin
             ) -> tuple[ArchiveApp, SeededConversation, dict[str, str]]:
    """ana and ben's conversation, archived but its newest two messages; eve in a conversation of her own."""
    container = AppContainer.from_environ(attachment_environ)
    assert container.settings_error is None, container.settings_error
    conv = seed(seeder, 6, "route", hostile_at=1, media_at=2)
    other = seeder.conversation("eve's")
    seeder.chat_participant(other, "eve")
    seeder.message(other, "eve", "mine")
    engine = container.export_engine
    try:
        engine.runner.run(MigrationRequest(conversations=(conv.sid, other.sid), archive=ArchiveCutoff(keep_newest=2)))
    finally:
        engine.close()
    link = thread_messages(acs_admin, container, conv.sid)[0]["metadata"]
    return ArchiveApp(container), conv, link


def test_a_participant_gets_each_transcript_through_a_short_lived_read_only_link(
    archived: tuple[ArchiveApp, SeededConversation, dict[str, str]], issuer: LocalIssuer
) -> None:
    app, conv, link = archived
    assert link["twilioArchiveUrl"] == f"{PUBLIC_BASE_URL}/api/archives/{conv.sid}/transcript.html"
    store = ArchiveStore(app.container.media)
    for url, fmt, content_type in ((link["twilioArchiveUrl"], "html", "text/html; charset=utf-8"),
                                   (link["twilioArchiveJsonUrl"], "jsonl", "application/x-ndjson; charset=utf-8")):
        response = app.get(url, headers=bearer(issuer, "ana"))
        assert response.status_code == 302
        location = response.headers["Location"]
        assert parse_qs(urlsplit(location).query)["sp"] == ["r"]
        download = httpx.get(location, timeout=30)
        assert download.status_code == 200
        assert download.content == store.read(conv.sid, fmt)
        assert download.headers["content-type"] == content_type
        assert download.headers["content-disposition"].startswith("inline" if fmt == "html" else "attachment")

    as_json = app.get(link["twilioArchiveUrl"], headers=bearer(issuer, "ben"), params={"format": "json"})
    assert as_json.status_code == 200
    assert set(json.loads(as_json.get_body())) == {"url", "expiresOn"}
    streamed = app.get(link["twilioArchiveUrl"], headers=bearer(issuer, "ben"), params={"format": "stream"})
    assert streamed.status_code == 200
    assert streamed.get_body() == store.read(conv.sid, "html")
    assert "sandbox" in streamed.headers["Content-Security-Policy"]


def test_a_non_participant_and_a_stranger_get_the_same_404_and_no_caller_gets_401(
    archived: tuple[ArchiveApp, SeededConversation, dict[str, str]], issuer: LocalIssuer
) -> None:
    app, conv, link = archived
    refused = app.get(link["twilioArchiveUrl"], headers=bearer(issuer, "eve"))  # an ACS user, not in the thread
    stranger = app.get(link["twilioArchiveUrl"], headers=bearer(issuer, "nobody-at-all"))
    missing = app.get(f"{PUBLIC_BASE_URL}/api/archives/CH{'0' * 32}/transcript.html", headers=bearer(issuer, "ana"))
    assert [r.status_code for r in (refused, stranger, missing)] == [404, 404, 404]
    assert error_of(refused) == error_of(stranger) == error_of(missing)
    assert app.get(link["twilioArchiveUrl"]).status_code == 401
    bad = app.get(f"{PUBLIC_BASE_URL}/api/archives/{conv.sid}/secrets.txt", headers=bearer(issuer, "ana"))
    assert bad.status_code == 400
    assert "transcript.html" in error_of(bad)["message"]


def test_a_participant_opens_the_page_on_a_phone_from_the_link(
    archived: tuple[ArchiveApp, SeededConversation, dict[str, str]], issuer: LocalIssuer
) -> None:
    app, conv, link = archived
    location = app.get(link["twilioArchiveUrl"], headers=bearer(issuer, "ana")).headers["Location"]

    with phone_page() as page:
        page.goto(location, wait_until="load")
        assert page.locator("article").count() == 4
        assert page.locator("#m1 .body").inner_text() == HOSTILE
        assert page.locator("script, img, iframe").count() == 0
        assert page.locator("#m2 ul.media a").get_attribute("href") == (
            f"{PUBLIC_BASE_URL}/api/attachments/{conv.sid}/{conv.messages[2].media[0]['sid']}")

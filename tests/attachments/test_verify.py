"""``acs-migrate verify`` compares display names and opens a sample of attachments through the served route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import httpx
import pytest
from azure.communication.chat import (
    ChatParticipant,
    ChatThreadClient,
    CommunicationTokenCredential,
    CommunicationUserIdentifier,
)

from emulators.host import local_host_in_thread
from harness.local_issuer import LocalIssuer
from scripts.demo_attachments import run_attachment_demo
from shared import acs_clients
from shared.container import AppContainer
from shared.export import MigrationRequest
from shared.triggers import attachments
from tests.export.seeding import TwilioSeeder

from .conftest import build, migrate, thread_of

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


@pytest.fixture
def served(attachment_environ: dict[str, str]) -> Iterator[str]:
    """The attachment route behind the local host stand-in (real HTTP, the host's routing); yields its URL."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(attachments.build_blueprint(AppContainer.from_environ(attachment_environ)))
    with local_host_in_thread(app, settings=attachment_environ, host_json=HOST_JSON, queues=False) as host:
        yield host.url


def test_verify_checks_names_and_opens_attachments_through_the_route(
    served: str, attachment_environ: dict[str, str], seeder: TwilioSeeder,
) -> None:
    app = build({**attachment_environ, "PUBLIC_BASE_URL": served})
    container = app.container
    seeder.user("ops/night shift", "Night Shift")
    conv = seeder.conversation("verified")
    seeder.chat_participant(conv, "ops/night shift")
    seeder.chat_participant(conv, "dana")
    png = seeder.upload_media(b"\x89PNG\r\n\x1a\n" + b"p" * 900, "image/png", "a.png")
    txt = seeder.upload_media(b"hello text", "text/plain", "b.txt")
    seeder.message(conv, "ops/night shift", "one", media_sids=[png])
    seeder.message(conv, "dana", "two", media_sids=[txt])
    engine = container.export_engine
    try:
        report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))
        assert [o.status for o in report.outcomes] == ["done"]
        record = container.conversations.get_conversation(conv.sid)

        clean = engine.verifier.verify(record)
        assert clean.problems == []
        assert (clean.names, clean.attachments, clean.media) == (2, 2, 2)

        creator = container.acs_users.issue_token(str(record.attributes["creator"]))
        acs = container.settings.acs
        thread = ChatThreadClient(acs.endpoint, CommunicationTokenCredential(creator.token),
                                  thread_of(container, conv), **acs_clients.transport_options(acs))
        dana = container.identity_map.get_identity("dana").acs_user_id
        thread.add_participants([ChatParticipant(identifier=CommunicationUserIdentifier(dana),
                                                 display_name="Somebody Else")])
        container.media.container.get_blob_client(txt).delete_blob()

        broken = engine.verifier.verify(record)
    finally:
        engine.close()
    assert "'dana' is shown as 'Somebody Else', Twilio names it 'dana'" in broken.problems
    assert f"attachment {txt}: participant 'ops/night shift' got 404 from the route" in broken.problems
    assert f"media {txt}" in " ".join(broken.problems)  # the missing blob is named by the media check too
    assert not any(png in problem for problem in broken.problems)
    still_in = httpx.get(f"{served}/api/attachments/{conv.sid}/{png}", headers={
        "x-functions-key": attachment_environ["TOKEN_BACKEND_KEY"]}, params={"identity": "dana"})
    assert still_in.status_code == 302  # dana is still a participant: only the name was changed


def test_the_demo_step_downloads_as_a_participant_and_is_refused_otherwise(
    served: str, attachment_environ: dict[str, str], seeder: TwilioSeeder, issuer: LocalIssuer,
    acs_admin_http: httpx.Client,
) -> None:
    container = build({**attachment_environ, "PUBLIC_BASE_URL": served}).container
    conv = seeder.conversation("demo")
    seeder.chat_participant(conv, "dora/explorer")
    seeder.message(conv, "dora/explorer", "map", media_sids=[seeder.upload_media(b"%PDF-1.4 map", "application/pdf",
                                                                                  "map.pdf")])
    migrate(container, seeder)

    shown = run_attachment_demo(container=container, admin=acs_admin_http, issuer=issuer)

    assert shown["participant"] == "dora/explorer"
    assert shown["participant: GET ?format=json"]["status"] == 200
    assert (shown["bytes downloaded"], shown["identical to the migrated copy"]) == (12, True)
    assert (shown["a signed-in user not in the thread"], shown["no credentials"]) == (404, 401)

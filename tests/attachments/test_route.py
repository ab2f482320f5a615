"""``/api/attachments``: participants get the bytes through a short-lived link, everyone else the same 404."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from azure.communication.chat import ChatThreadClient, CommunicationTokenCredential, CommunicationUserIdentifier
from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

from emulators.azurite import ACCOUNT_KEY, ACCOUNT_NAME, AzuriteEndpoints
from harness.local_issuer import LocalIssuer
from shared import acs_clients
from shared.attachments import AttachmentService, BlobLink, BlobSigner, ParticipantBlobAccess, ThreadMembership
from tests.export.seeding import TwilioSeeder

from .conftest import PUBLIC_BASE_URL, AttachmentApp, bearer, build, error_of, migrate, principal, thread_of

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
PDF = b"%PDF-1.4\n" + b"0123456789" * 500
HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def migrated(attachment_environ: dict[str, str], seeder: TwilioSeeder) -> tuple[AttachmentApp, dict[str, object]]:
    """Two conversations with media, migrated: ann and bob in the first, eve alone in the second."""
    app = build(attachment_environ)
    first = seeder.conversation("with media")
    seeder.chat_participant(first, "ann")
    seeder.chat_participant(first, "bob")
    png = seeder.upload_media(PNG, "image/png", "holiday photo.png")
    pdf = seeder.upload_media(PDF, "application/pdf", "Rechnung März.pdf")
    html = seeder.upload_media(HTML, "text/html", "page.html")
    seeder.message(first, "ann", "three files", media_sids=[png])
    seeder.message(first, "bob", None, media_sids=[pdf])
    seeder.message(first, "ann", "and a page", media_sids=[html])
    second = seeder.conversation("elsewhere")
    seeder.chat_participant(second, "eve")
    other = seeder.upload_media(b"eve's secret", "text/plain", "secret.txt")
    seeder.message(second, "eve", "mine", media_sids=[other])
    assert migrate(app.container, seeder) == {first.sid: "done", second.sid: "done"}
    return app, {"first": first, "second": second, "png": png, "pdf": pdf, "html": html, "other": other}


def _url(conversation: object, media: object) -> str:
    return f"{PUBLIC_BASE_URL}/api/attachments/{conversation.sid}/{media}"


def test_messages_link_the_route_and_never_the_storage_account(
    migrated: tuple[AttachmentApp, dict[str, object]], acs_admin_http: httpx.Client
) -> None:
    app, seeded = migrated
    thread = acs_admin_http.get(f"/threads/{thread_of(app.container, seeded['first'])}").json()  # type: ignore[arg-type]
    texts = [m for m in thread["messages"] if m["type"] in ("text", "html")]
    shared = json.loads(texts[0]["metadata"]["fileSharingMetadata"])
    assert shared == [{"id": seeded["png"], "name": "holiday photo.png", "extension": "png",
                       "url": _url(seeded["first"], seeded["png"]), "attachmentType": "image"}]
    assert texts[0]["content"]["message"].endswith(f"{_url(seeded['first'], seeded['png'])}]")
    account = urlsplit(app.container.storage.blobs.url).netloc
    for message in texts:
        assert account not in json.dumps(message)
        assert app.container.settings.names.media_container not in json.dumps(message)


def test_a_participant_follows_the_redirect_and_gets_identical_bytes_of_each_type(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    for key, data, content_type in (("png", PNG, "image/png"), ("pdf", PDF, "application/pdf"),
                                    ("html", HTML, "text/html")):
        response = app.get(_url(seeded["first"], seeded[key]), headers=bearer(issuer, "bob"))
        assert response.status_code == 302
        location = response.headers["Location"]
        assert parse_qs(urlsplit(location).query)["sp"] == ["r"]  # read-only
        download = httpx.get(location, timeout=30)
        assert download.status_code == 200
        assert hashlib.sha256(download.content).digest() == hashlib.sha256(data).digest()
        assert download.headers["content-type"] == content_type
    pdf = httpx.get(app.get(_url(seeded["first"], seeded["pdf"]), headers=bearer(issuer, "ann")).headers["Location"])
    assert pdf.headers["content-disposition"] == (
        "inline; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf")
    html = httpx.get(app.get(_url(seeded["first"], seeded["html"]), headers=bearer(issuer, "ann")).headers["Location"])
    assert html.headers["content-disposition"].startswith("attachment;")  # never rendered in a browser tab


def test_format_json_answers_the_link_and_when_it_expires(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    before = datetime.now(UTC)
    response = app.get(_url(seeded["first"], seeded["png"]), headers=bearer(issuer, "ann"), params={"format": "json"})
    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert set(body) == {"url", "expiresOn"}
    expires = datetime.fromisoformat(body["expiresOn"].replace("Z", "+00:00"))
    assert timedelta(minutes=4) < expires - before <= timedelta(minutes=5, seconds=1)  # the default lifetime
    assert httpx.get(body["url"]).content == PNG


def test_everyone_else_gets_the_same_404(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    first, second = seeded["first"], seeded["second"]
    app.container.acs_users.ensure_user("mallory")  # an ACS user, in no thread
    refusals = [
        app.get(_url(first, seeded["png"]), headers=bearer(issuer, "eve")),  # a user of another conversation
        app.get(_url(first, seeded["png"]), headers=bearer(issuer, "mallory")),  # an ACS user in no thread
        app.get(_url(first, seeded["png"]), headers=bearer(issuer, "nobody-ever-seen")),  # no ACS user at all
        app.get(_url(first, "ME" + "0" * 32), headers=bearer(issuer, "ann")),  # no such media
        app.get(_url(first, seeded["other"]), headers=bearer(issuer, "ann")),  # media of another conversation
        app.get(_url(second, seeded["png"]), headers=bearer(issuer, "eve")),  # pairing ids: eve's thread, ann's file
        app.get(f"{PUBLIC_BASE_URL}/api/attachments/CH{'1' * 32}/{seeded['png']}", headers=bearer(issuer, "ann")),
    ]
    assert [r.status_code for r in refusals] == [404] * len(refusals)
    assert len({r.get_body() for r in refusals}) == 1  # nothing tells them apart
    assert "Location" not in refusals[0].headers


def test_the_backend_acts_for_a_named_identity_only(
    migrated: tuple[AttachmentApp, dict[str, object]]
) -> None:
    app, seeded = migrated
    key = {"x-functions-key": "backend-key-for-attachment-tests-0123456789"}
    assert app.get(_url(seeded["first"], seeded["pdf"]), headers=key, params={"identity": "bob"}).status_code == 302
    assert app.get(_url(seeded["first"], seeded["pdf"]), headers=key, params={"identity": "eve"}).status_code == 404
    missing = app.get(_url(seeded["first"], seeded["pdf"]), headers=key)
    assert missing.status_code == 400
    assert error_of(missing)["target"] == "identity"
    wrong = app.get(_url(seeded["first"], seeded["pdf"]), headers={"x-functions-key": "x" * 40},
                    params={"identity": "bob"})
    assert wrong.status_code == 401


def test_anonymous_callers_get_401_and_a_bearer_challenge(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    response = app.get(_url(seeded["first"], seeded["png"]))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    expired = issuer.token("ann", lifetime=-120)
    stale = app.get(_url(seeded["first"], seeded["png"]), headers={"Authorization": f"Bearer {expired}"})
    assert stale.status_code == 401
    assert "expired" in error_of(stale)["message"]
    # Without App Service Authentication, a forged principal header is refused, browser or not.
    forged = app.get(_url(seeded["first"], seeded["png"]), headers={**principal("ann"), "Sec-Fetch-Mode": "navigate"})
    assert forged.status_code == 401


def test_behind_app_service_authentication_a_browser_signs_in_then_opens_the_link(
    attachment_environ: dict[str, str], migrated: tuple[AttachmentApp, dict[str, object]]
) -> None:
    _, seeded = migrated
    app = build({**attachment_environ, "TOKEN_TRUST_APP_SERVICE_AUTH": "true"})
    url = _url(seeded["first"], seeded["png"])
    navigation = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    first = app.get(url, headers=navigation)
    assert first.status_code == 302
    path = urlsplit(url).path
    assert first.headers["Location"] == "/.auth/login/aad?post_login_redirect_uri=" + path.replace("/", "%2F")
    scripted = app.get(url, headers={"Accept": "application/json"})  # a fetch without credentials: no redirect
    assert scripted.status_code == 401
    signed_in = app.get(url, headers={**navigation, **principal("ann")})
    assert signed_in.status_code == 302
    assert httpx.get(signed_in.headers["Location"]).content == PNG
    assert app.get(url, headers={**navigation, **principal("eve")}).status_code == 404


def test_malformed_ids_and_formats_are_400_naming_the_problem(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    first = seeded["first"]
    cases = {
        f"/api/attachments/{first.sid}/..%2F..%2Fsecret": "media",
        f"/api/attachments/{first.sid}/ME{'0' * 31}Z": "media",
        f"/api/attachments/..%2Fetc/{seeded['png']}": "conversation",
        f"/api/attachments/ch{'0' * 32}/{seeded['png']}": "conversation",
    }
    for path, target in cases.items():
        response = app.get(path, headers=bearer(issuer, "ann"))
        assert response.status_code == 400, path
        assert error_of(response)["target"] == target
    bad_format = app.get(_url(first, seeded["png"]), headers=bearer(issuer, "ann"), params={"format": "zip"})
    assert bad_format.status_code == 400
    assert error_of(bad_format)["target"] == "format"


def test_a_participant_removed_since_gets_404(
    migrated: tuple[AttachmentApp, dict[str, object]], issuer: LocalIssuer
) -> None:
    app, seeded = migrated
    container = app.container
    url = _url(seeded["first"], seeded["png"])
    assert app.get(url, headers=bearer(issuer, "bob")).status_code == 302
    record = container.conversations.get_conversation(seeded["first"].sid)
    creator = container.acs_users.issue_token(str(record.attributes["creator"]))
    acs = container.settings.acs
    thread = ChatThreadClient(acs.endpoint, CommunicationTokenCredential(creator.token), thread_of(
        container, seeded["first"]), **acs_clients.transport_options(acs))  # type: ignore[arg-type]
    thread.remove_participant(CommunicationUserIdentifier(container.identity_map.get_identity("bob").acs_user_id))

    assert app.get(url, headers=bearer(issuer, "bob")).status_code == 404
    assert app.get(url, headers=bearer(issuer, "ann")).status_code == 302


def test_an_expired_link_is_refused_by_storage(
    migrated: tuple[AttachmentApp, dict[str, object]]
) -> None:
    app, seeded = migrated
    container = app.container
    acs = container.settings.acs
    an_hour_ago = lambda: datetime.now(UTC) - timedelta(hours=1)  # noqa: E731
    access = ParticipantBlobAccess(
        blobs=container.storage.blobs, signer=BlobSigner(container.storage.blobs, clock=an_hour_ago),
        membership=ThreadMembership(identity_map=container.identity_map,
                                    identity_client=acs_clients.identity_client(acs), endpoint=acs.endpoint,
                                    client_options=acs_clients.transport_options(acs)),
        link_lifetime=timedelta(minutes=5), clock=an_hour_ago)
    service = AttachmentService(conversations=container.conversations, access=access,
                                container=container.settings.names.media_container)
    link = service.open_attachment("ann", seeded["first"].sid, str(seeded["png"]))
    assert isinstance(link, BlobLink)
    refused = httpx.get(link.url)
    assert refused.status_code == 403
    assert PNG not in refused.content


def test_a_deployment_that_cannot_sign_streams_the_bytes_with_type_and_disposition(
    migrated: tuple[AttachmentApp, dict[str, object]], attachment_environ: dict[str, str], issuer: LocalIssuer,
    azurite: AzuriteEndpoints,
) -> None:
    """Storage reached with a SAS token (no account key, no identity): the app cannot sign, so it streams."""
    _, seeded = migrated
    sas = generate_account_sas(ACCOUNT_NAME, ACCOUNT_KEY, ResourceTypes(service=True, container=True, object=True),
                               AccountSasPermissions(read=True, write=True, list=True, add=True, create=True,
                                                     update=True, process=True, delete=True),
                               expiry=datetime.now(UTC) + timedelta(hours=1),
                               services="bqt")
    endpoints = dict(part.split("=", 1) for part in azurite.connection_string.split(";") if "Endpoint=" in part)
    storage = ";".join(f"{k}={v}" for k, v in endpoints.items()) + f";SharedAccessSignature={sas}"
    app = build({**attachment_environ, "AzureWebJobsStorage": storage})
    assert app.container.thread_access is not None
    url = _url(seeded["first"], seeded["pdf"])

    streamed = app.get(url, headers=bearer(issuer, "ann"))
    assert streamed.status_code == 200
    assert streamed.get_body() == PDF
    assert streamed.headers["Content-Type"] == "application/pdf"
    assert streamed.headers["Content-Disposition"] == (
        "inline; filename=\"Rechnung M_rz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf")
    assert streamed.headers["X-Content-Type-Options"] == "nosniff"
    html = app.get(_url(seeded["first"], seeded["html"]), headers=bearer(issuer, "ann"))
    assert html.headers["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in html.headers["Content-Security-Policy"]

    as_json = json.loads(app.get(url, headers=bearer(issuer, "ann"), params={"format": "json"}).get_body())
    assert as_json == {"url": f"{url}?format=stream", "expiresOn": None, "contentType": "application/pdf",
                       "size": len(PDF)}
    assert app.get(url, headers=bearer(issuer, "eve")).status_code == 404

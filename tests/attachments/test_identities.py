"""Awkward identities end to end: Twilio user names reach ACS, and their owners open their attachments.

Identities with ``/ ? # %``, spaces, Unicode and 200+ characters; names in right-to-left script
and of 200 characters; media of several types. Everything goes through the real twilio SDK,
the ACS SDKs, Azurite and the route.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from twilio.rest import Client

from harness.local_issuer import LocalIssuer
from harness.process import RunningService
from shared.export.retry import Retrier, RetryStats
from shared.export.source import TwilioSource
from shared.export.users import UserNames, path_segment
from tests.export.seeding import TwilioSeeder

from .conftest import PUBLIC_BASE_URL, AttachmentApp, bearer, build, thread_of

PEOPLE = {  # identity -> Twilio friendly name
    "support/tier-2@example.com": "Support — Tier 2",
    "what?#now": "Wer? Was? #jetzt",
    "100% sure user": "Hundred Percent",
    "ユーザー/名前 مرحبا": "مرحبا بالعالم",
    "l" * 200 + "/long": "Ω" * 200,
}
MEDIA = [  # one per person: bytes, content type, file name
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20, "image/png", "diagram.png"),
    (b"%PDF-1.4\n" + b"pdf " * 900, "application/pdf", "contrat signé.pdf"),
    (b"ID3" + bytes(range(200)) * 30, "audio/mpeg", "voice note.mp3"),
    ("plain text ünï 🙂\n".encode() * 50, "text/plain", "notes?.txt"),
    (b"PK\x03\x04" + b"z" * 3000, "application/zip", "archive#1.zip"),
]


def _sdk(twilio: RunningService) -> Client:
    client = Client(str(twilio.info["account_sid"]), str(twilio.info["auth_token"]))
    client.conversations.base_url = str(twilio.info["url"])
    client.chat.base_url = str(twilio.info["url"])
    return client


def test_the_standin_decodes_percent_escaped_path_segments_as_twilio_does(
    seeder: TwilioSeeder, twilio_standin: RunningService
) -> None:
    info = twilio_standin.info
    raw = httpx.Client(base_url=str(info["url"]), auth=(str(info["account_sid"]), str(info["auth_token"])))
    for identity, name in PEOPLE.items():
        seeder.user(identity, name)
    for identity, name in PEOPLE.items():
        for api in ("v1", "v2"):
            escaped = raw.get(f"/{api}/Services/{seeder.service_sid}/Users/{quote(identity, safe='')}")
            assert escaped.status_code == 200, (api, identity, escaped.text)
            assert (escaped.json()["identity"], escaped.json()["friendly_name"]) == (identity, name)
    # What the SDK requests when handed the identity as it is: another path, or a cut-off one.
    unescaped = raw.get(f"/v1/Services/{seeder.service_sid}/Users/support/tier-2@example.com")
    assert unescaped.status_code == 404
    cut = raw.get(f"/v1/Services/{seeder.service_sid}/Users/what?#now")
    assert cut.status_code == 404
    raw.close()


def test_every_identity_resolves_through_the_sdk_in_conversations_and_chat(
    seeder: TwilioSeeder, twilio_standin: RunningService
) -> None:
    for identity, name in PEOPLE.items():
        seeder.user(identity, name)
    client = _sdk(twilio_standin)
    with pytest.raises(Exception, match="404"):  # the flaw being fixed: the SDK does not escape path values
        client.conversations.v1.services(seeder.service_sid).users("support/tier-2@example.com").fetch()
    names = UserNames(client, call=lambda fn, what: fn(), pages=lambda first, what: iter([list(first())]),
                      directory_after=10_000)
    for identity, name in PEOPLE.items():
        assert names.friendly_name("conversations", seeder.service_sid, identity) == name
        assert names.friendly_name("chat", seeder.service_sid, identity) == name
    assert names.friendly_name("conversations", seeder.service_sid, "no/such user") is None
    updated = client.conversations.v1.services(seeder.service_sid).users(
        path_segment("what?#now")).update(friendly_name="renamed")
    assert updated.identity == "what?#now"


def _auth(twilio: RunningService) -> tuple[str, str]:
    return str(twilio.info["account_sid"]), str(twilio.info["auth_token"])


def _user_requests(twilio_standin: RunningService) -> dict[str, int]:
    counters = httpx.get(f"{twilio_standin.info['url']}/_admin/counters", auth=_auth(twilio_standin)).json()["by_route"]
    return {route: sum(statuses.values()) for route, statuses in counters.items() if "user" in route.lower()}


def test_many_names_come_from_one_paged_read_of_the_service(
    seeder: TwilioSeeder, twilio_standin: RunningService
) -> None:
    for n in range(150):
        seeder.user(f"user/{n}?", f"Name {n}")
    retrier = Retrier(attempts=3, stats=RetryStats(), stop=threading.Event())
    source = TwilioSource(_sdk(twilio_standin), retrier=retrier)
    httpx.delete(f"{twilio_standin.info['url']}/_admin/counters", auth=_auth(twilio_standin))
    names = [source.users.friendly_name("conversations", seeder.service_sid, f"user/{n}?") for n in range(150)]
    assert names == [f"Name {n}" for n in range(150)]
    requests = _user_requests(twilio_standin)
    # 50 fetches one by one, then the whole service in pages of 100 (150 users: 2 pages), then nothing.
    assert sum(requests.values()) == 50 + 2, requests


@pytest.fixture
def awkward(attachment_environ: dict[str, str], seeder: TwilioSeeder) -> tuple[AttachmentApp, dict[str, Any]]:
    app = build(attachment_environ)
    for identity, name in PEOPLE.items():
        seeder.user(identity, name)
    conv = seeder.conversation("awkward people")
    media: dict[str, tuple[str, bytes, str]] = {}
    for (identity, _), (data, content_type, filename) in zip(PEOPLE.items(), MEDIA, strict=True):
        seeder.chat_participant(conv, identity)
        sid = seeder.upload_media(data, content_type, filename)
        seeder.message(conv, identity, f"from {identity}", media_sids=[sid])
        media[sid] = (identity, data, content_type)
    channel = seeder.public_channel("legacy channel")
    seeder.channel_member(channel, "support/tier-2@example.com")
    seeder.channel_member(channel, "ユーザー/名前 مرحبا")
    seeder.channel_message(channel, "ユーザー/名前 مرحبا", "in the old Chat API")
    engine = app.container.export_engine
    try:
        from shared.export import MigrationRequest

        report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,),
                                                    include_legacy_public_channels=True))
    finally:
        engine.close()
    assert {o.conversation_sid: o.status for o in report.outcomes} == {conv.sid: "done", channel.sid: "done"}
    return app, {"conv": conv, "channel": channel, "media": media}


def _thread(acs_admin_http: httpx.Client, thread_id: str) -> dict[str, Any]:
    data: dict[str, Any] = acs_admin_http.get(f"/threads/{thread_id}").json()
    return data


def test_display_names_reach_participants_and_every_message_in_both_apis(
    awkward: tuple[AttachmentApp, dict[str, Any]], acs_admin_http: httpx.Client
) -> None:
    app, seeded = awkward
    container = app.container
    users = {container.identity_map.get_identity(i).acs_user_id: name for i, name in PEOPLE.items()}
    thread = _thread(acs_admin_http, thread_of(container, seeded["conv"]))
    shown = {p["communicationIdentifier"]["rawId"]: p.get("displayName") for p in thread["participants"]}
    assert {u: shown.get(u) for u in users} == users
    texts = [m for m in thread["messages"] if m["type"] in ("text", "html")]
    assert [(m["senderCommunicationIdentifier"]["rawId"], m["senderDisplayName"]) for m in texts] == list(
        users.items())
    channel = _thread(acs_admin_http, thread_of(container, seeded["channel"]))
    channel_names = {p["communicationIdentifier"]["rawId"]: p.get("displayName") for p in channel["participants"]}
    tier2 = container.identity_map.get_identity("support/tier-2@example.com").acs_user_id
    rtl = container.identity_map.get_identity("ユーザー/名前 مرحبا").acs_user_id
    assert (channel_names[tier2], channel_names[rtl]) == ("Support — Tier 2", "مرحبا بالعالم")
    [message] = [m for m in channel["messages"] if m["type"] in ("text", "html")]
    assert message["senderDisplayName"] == "مرحبا بالعالم"


def test_each_awkward_participant_downloads_every_attachment_and_strangers_cannot(
    awkward: tuple[AttachmentApp, dict[str, Any]], issuer: LocalIssuer
) -> None:
    app, seeded = awkward
    conv = seeded["conv"]
    for media_sid, (_author, data, content_type) in seeded["media"].items():
        url = f"{PUBLIC_BASE_URL}/api/attachments/{conv.sid}/{media_sid}"
        for identity in PEOPLE:  # every participant, not only the author
            answer = app.get(url, headers=bearer(issuer, identity), params={"format": "json"})
            assert answer.status_code == 200, (identity, answer.get_body())
            download = httpx.get(json.loads(answer.get_body())["url"])
            assert hashlib.sha256(download.content).digest() == hashlib.sha256(data).digest()
            assert download.headers["content-type"] == content_type
        assert app.get(url, headers=bearer(issuer, "support/tier-3@example.com")).status_code == 404
        assert app.get(url).status_code == 401


def test_a_rename_in_twilio_reaches_the_thread_at_the_next_nightly_run(
    awkward: tuple[AttachmentApp, dict[str, Any]], attachment_environ: dict[str, str], seeder: TwilioSeeder,
    acs_admin_http: httpx.Client,
) -> None:
    app, seeded = awkward
    conv = seeded["conv"]
    before = app.container.conversations.get_conversation(conv.sid)
    seeder.service.users(path_segment("what?#now")).update(friendly_name="Neuer Name / نام جدید")

    nightly = build(attachment_environ).container  # a new night: a fresh process with no cached names
    worker = nightly.migration_worker
    record = nightly.conversations.get_conversation(conv.sid)
    engine = nightly.export_engine
    try:
        source_conv = engine.source.get_conversation(conv.sid, service_sid=seeder.service_sid)
        assert worker.planner.has_work(source_conv, record) is True
        assert worker.planner.has_work(
            engine.source.get_conversation(seeded["channel"].sid, service_sid=seeder.service_sid, source="chat"),
            nightly.conversations.get_conversation(seeded["channel"].sid)) is False
        outcome = engine.exporter.export_conversation(conv.sid)
        after = nightly.conversations.get_conversation(conv.sid)
        assert worker.planner.has_work(source_conv, after) is False
    finally:
        engine.close()
    assert (outcome.status, outcome.messages) == ("done", 0)
    renamed = nightly.identity_map.get_identity("what?#now").acs_user_id
    thread = _thread(acs_admin_http, thread_of(nightly, conv))
    names = {p["communicationIdentifier"]["rawId"]: p.get("displayName") for p in thread["participants"]}
    assert names[renamed] == "Neuer Name / نام جدید"
    assert len(thread["participants"]) == len({p["communicationIdentifier"]["rawId"]
                                                for p in _thread(acs_admin_http, before.thread_id or "")[
                                                    "participants"]})
    assert after.attributes["participantNames"] != before.attributes["participantNames"]

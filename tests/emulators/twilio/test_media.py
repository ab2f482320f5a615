"""Media Content Service: upload, media JSON, the expiring unauthenticated link, /Content redirect."""

from __future__ import annotations

import time

import httpx
import pytest

from .spec_check import SpecChecker
from .standin import StandIn, stand_in

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n% stand-in\n" + b"0" * 2048 + b"\n%%EOF\n"


def _upload(twilio: StandIn, service_sid: str, data: bytes, content_type: str, filename: str) -> dict:
    with httpx.Client(auth=(twilio.api_key_sid, twilio.api_key_secret)) as http:
        response = http.post(f"{twilio.url}/v1/Services/{service_sid}/Media", content=data,
                             headers={"Content-Type": content_type}, params={"Filename": filename})
    assert response.status_code == 201
    return response.json()


def test_message_media_download_through_the_temporary_link(client, twilio: StandIn) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="media")
    service_sid = conv.chat_service_sid
    img = _upload(twilio, service_sid, PNG, "image/png", "photo.png")
    pdf = _upload(twilio, service_sid, PDF, "application/pdf", "report.pdf")
    msg = client.conversations.v1.conversations(conv.sid).messages.create(
        author="alice", body="see attached", media_sid=[img["sid"], pdf["sid"]])
    assert [m["sid"] for m in msg.media] == [img["sid"], pdf["sid"]]
    assert msg.media[1] == {"sid": pdf["sid"], "size": len(PDF), "content_type": "application/pdf",
                            "filename": "report.pdf"}

    # The exporter's flow: media JSON with Basic auth, then the direct link with no auth at all.
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        meta = http.get(f"{twilio.url}/v1/Services/{service_sid}/Media/{pdf['sid']}").json()
    assert meta["message_sid"] == msg.sid
    assert meta["channel_sid"] == conv.sid
    assert meta["links"]["content"] == f"/v1/Services/{service_sid}/Media/{pdf['sid']}/Content"
    direct = meta["links"]["content_direct_temporary"]
    assert direct.startswith(f"{twilio.url}/")
    raw = httpx.get(direct)
    assert raw.status_code == 200
    assert raw.content == PDF
    assert raw.headers["Content-Type"].startswith("application/pdf")
    tampered = httpx.get(direct.replace("Signature=", "Signature=0"))
    assert tampered.status_code == 403
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token), follow_redirects=True) as http:
        via_content = http.get(f"{twilio.url}/v1/Services/{service_sid}/Media/{img['sid']}/Content")
    assert via_content.content == PNG
    unauth = httpx.get(f"{twilio.url}/v1/Services/{service_sid}/Media/{img['sid']}")
    assert unauth.status_code == 401


def test_multipart_upload(twilio: StandIn, client) -> None:
    service_sid = client.conversations.v1.configuration().fetch().default_chat_service_sid
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        response = http.post(f"{twilio.url}/v1/Services/{service_sid}/Media",
                             files={"Media": ("scan.pdf", PDF, "application/pdf")})
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "scan.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)


def test_direct_link_expires(spec_checker: SpecChecker) -> None:
    # --media-ttl 300 with --time-scale 150 gives links that live 2 s.
    with stand_in(spec_checker, "--media-ttl", "300", "--time-scale", "150") as server:
        client = server.client()
        service_sid = client.conversations.v1.configuration().fetch().default_chat_service_sid
        media = _upload(server, service_sid, PNG, "image/png", "short.png")
        link = media["links"]["content_direct_temporary"]
        time.sleep(2.3)
        expired = httpx.get(link)
        assert expired.status_code == 403
        assert b"expired" in expired.content
        with httpx.Client(auth=(server.account_sid, server.auth_token)) as http:
            fresh = http.get(f"{server.url}/v1/Services/{service_sid}/Media/{media['sid']}").json()
        assert httpx.get(fresh["links"]["content_direct_temporary"]).content == PNG


@pytest.mark.asyncio
async def test_async_download(twilio: StandIn, client) -> None:
    service_sid = client.conversations.v1.configuration().fetch().default_chat_service_sid
    media = _upload(twilio, service_sid, PDF, "application/pdf", "a.pdf")
    async with httpx.AsyncClient() as http:
        response = await http.get(media["links"]["content_direct_temporary"])
    assert response.content == PDF

"""Paging as Twilio does it: meta envelope, PageToken, default 50, clamp to 100, URLs on the serving host."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from twilio.http.async_http_client import AsyncTwilioHttpClient

from .standin import StandIn


@pytest.fixture(scope="module")
def thousand(twilio: StandIn) -> str:
    """A conversation with 1,000 messages (bulk-created through the SDK's async client)."""
    import asyncio

    async def build() -> str:
        async with AsyncTwilioHttpClient() as http:
            client = twilio.async_client(http)
            conv = await client.conversations.v1.conversations.create_async(friendly_name="thousand")
            msgs = client.conversations.v1.conversations(conv.sid).messages
            for start in range(0, 1000, 25):  # 25 per batch stays under 30 writes/s per conversation x time-scale
                await asyncio.gather(*(msgs.create_async(author="pager", body=f"#{i}")
                                       for i in range(start, start + 25)))
                await asyncio.sleep(0.1)
            return conv.sid  # type: ignore[no-any-return]

    return asyncio.run(build())


def test_sync_paging_through_1000_messages_both_orders(twilio: StandIn, thousand: str) -> None:
    client = twilio.client()
    msgs = client.conversations.v1.conversations(thousand).messages
    asc = [m.index for m in msgs.stream(page_size=50)]
    assert asc == list(range(1000))
    desc = [m.index for m in msgs.stream(order="desc", page_size=100)]
    assert desc == list(range(999, -1, -1))
    assert len(msgs.list(limit=120)) == 120  # limit only: PageSize=120 is clamped to 100, second page follows


@pytest.mark.asyncio
async def test_async_paging_through_1000_messages_both_orders(twilio: StandIn, thousand: str) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = twilio.async_client(http)
        msgs = client.conversations.v1.conversations(thousand).messages
        asc = [m.index async for m in await msgs.stream_async(page_size=100)]
        assert asc == list(range(1000))
        desc = [m.index for m in await msgs.list_async(order="desc", page_size=50)]
        assert desc == list(range(999, -1, -1))


def test_meta_envelope_and_tokens(twilio: StandIn, thousand: str) -> None:
    client = twilio.client()
    msgs = client.conversations.v1.conversations(thousand).messages
    page = msgs.page(order="desc", page_size=5)
    body = page._payload
    meta = body["meta"]
    assert meta["key"] == "messages"
    assert meta["page"] == 0
    assert meta["page_size"] == 5
    base = f"{twilio.url}/v1/Conversations/{thousand}/Messages"
    assert meta["first_page_url"] == f"{base}?Order=desc&PageSize=5&Page=0"
    assert meta["url"] == meta["first_page_url"]
    assert meta["previous_page_url"] is None
    assert meta["next_page_url"].startswith(f"{base}?Order=desc&PageSize=5&Page=1&PageToken=PT")
    second = page.next_page()
    assert [m.index for m in second] == [994, 993, 992, 991, 990]
    assert second._payload["meta"]["page"] == 1
    back = second.previous_page()
    assert [m.index for m in back] == [999, 998, 997, 996, 995]
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        default = http.get(base, headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
        assert default["meta"]["page_size"] == 50
        assert len(default["messages"]) == 50
        clamped = http.get(base, params={"PageSize": 500}).json()
        assert clamped["meta"]["page_size"] == 100
        assert len(clamped["messages"]) == 100
        assert http.get(base, params={"PageSize": 0}).status_code == 400
        assert http.get(base, params={"PageToken": "garbage"}).status_code == 400
        via_localhost = http.get(base.replace("127.0.0.1", "localhost")).json()
        assert via_localhost["meta"]["url"].startswith("http://localhost:")  # URLs follow the Host header


def test_deleting_while_paging_neither_skips_nor_repeats(twilio: StandIn) -> None:
    client = twilio.client()
    conv = client.conversations.v1.conversations.create(friendly_name="moving target")
    msgs = client.conversations.v1.conversations(conv.sid).messages
    made = [msgs.create(body=f"{i}") for i in range(12)]
    first = msgs.page(page_size=5)
    assert [m.index for m in first] == [0, 1, 2, 3, 4]
    msgs(made[1].sid).delete()  # behind the cursor
    msgs(made[6].sid).delete()  # ahead of the cursor
    second = first.next_page()
    assert [m.index for m in second] == [5, 7, 8, 9, 10]
    query = parse_qs(urlsplit(second._payload["meta"]["url"]).query)
    assert query["PageToken"] == ["PT4"]


def test_every_list_has_meta_key_and_paginates(twilio: StandIn) -> None:
    client = twilio.client()
    svc = client.conversations.v1.services.create(friendly_name="many")
    s = client.conversations.v1.services(svc.sid)
    for i in range(7):
        s.users.create(identity=f"u{i}")
        s.conversations.create(friendly_name=f"c{i}")
    assert [u.identity for u in s.users.list(page_size=3)] == [f"u{i}" for i in range(7)]
    assert [c.friendly_name for c in s.conversations.list(page_size=2)] == [f"c{i}" for i in range(7)]
    assert len(client.chat.v2.services(svc.sid).users.list(page_size=2)) == 7


def test_page_size_over_max_can_be_an_error(spec_checker) -> None:
    from .standin import stand_in

    with stand_in(spec_checker, "--page-size-over-max", "error") as server:
        assert server.http.get("/v1/Conversations", params={"PageSize": 101}).status_code == 400
        assert server.http.get("/v1/Conversations", params={"PageSize": 100}).json()["meta"]["page_size"] == 100

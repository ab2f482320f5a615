"""Programmable Chat v2 through the real SDK: channels public/private, members, messages, users."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient

from .standin import StandIn


def test_public_and_private_channels_and_the_conversation_identity(client) -> None:
    svc = client.chat.v2.services.create(friendly_name="Legacy chat")
    chat = client.chat.v2.services(svc.sid)
    public = chat.channels.create(friendly_name="lobby", unique_name="lobby", type="public",
                                  created_by="alice", date_created=datetime(2021, 6, 1, tzinfo=UTC))
    private = chat.channels.create(friendly_name="secret", type="private", attributes='{"vip":true}')
    assert public.type == "public"
    assert public.created_by == "alice"
    assert public.date_created == datetime(2021, 6, 1, tzinfo=UTC)
    assert [c.sid for c in chat.channels.list()] == [public.sid]  # Type defaults to public
    assert [c.sid for c in chat.channels.list(type=["private"])] == [private.sid]
    assert {c.sid for c in chat.channels.list(type=["public", "private"])} == {public.sid, private.sid}
    assert chat.channels("lobby").fetch().sid == public.sid

    convs = client.conversations.v1.services(svc.sid).conversations
    assert [c.sid for c in convs.list()] == [private.sid]  # one object, one CH SID
    assert convs(private.sid).fetch().friendly_name == "secret"
    with pytest.raises(TwilioRestException) as err:
        convs(public.sid).fetch()  # public channels are invisible to Conversations
    assert err.value.status == 404

    conv = convs.create(friendly_name="made in conversations")
    assert chat.channels(conv.sid).fetch().type == "private"
    assert chat.channels(private.sid).update(friendly_name="renamed").friendly_name == "renamed"
    assert chat.channels(public.sid).delete() is True


def test_members_messages_media_and_edits(client, twilio: StandIn) -> None:
    svc = client.chat.v2.services.create(friendly_name="chat-msgs")
    chat = client.chat.v2.services(svc.sid)
    chat.users.create(identity="ann", friendly_name="Ann")
    channel = chat.channels.create(friendly_name="general", type="public")
    ch = chat.channels(channel.sid)
    ann = ch.members.create(identity="ann", last_consumed_message_index=None)
    ch.members.create(identity="ben")
    assert [m.identity for m in ch.members.list(identity=["ben"])] == ["ben"]
    m0 = ch.messages.create(from_="ann", body="hello 👋", attributes='{"k":"v"}',
                            date_created=datetime(2020, 1, 1, 10, tzinfo=UTC))
    assert m0._from == "ann"
    assert m0.type == "text"
    assert m0.media is None
    assert m0.was_edited is False
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        media = http.post(f"{twilio.url}/v1/Services/{svc.sid}/Media", content=b"\x89PNG fake",
                          headers={"Content-Type": "image/png"}, params={"Filename": "pic.png"}).json()
    m1 = ch.messages.create(from_="ben", media_sid=media["sid"])
    assert m1.type == "media"
    assert m1.media == {"sid": media["sid"], "size": 9, "content_type": "image/png", "filename": "pic.png"}
    edited = ch.messages(m0.sid).update(body="hello (edited)", last_updated_by="ann")
    assert edited.was_edited is True
    assert edited.last_updated_by == "ann"
    ch.messages.create(from_="ann", body="third")
    ch.messages(m1.sid).delete()
    assert [m.index for m in ch.messages.list(order="desc")] == [2, 0]
    consumed = ch.members(ann.sid).update(last_consumed_message_index=2)
    assert consumed.last_consumed_message_index == 2
    assert consumed.last_consumption_timestamp is not None
    assert ch.members("ann").fetch().sid == ann.sid
    fetched = ch.fetch()
    assert fetched.members_count == 2
    assert fetched.messages_count == 2
    user = chat.users("ann").fetch()
    assert user.friendly_name == "Ann"
    assert user.joined_channels_count == 1
    assert [uc.channel_sid for uc in chat.users(user.sid).user_channels.list()] == [channel.sid]
    assert chat.users(user.sid).update(friendly_name="Ann B").friendly_name == "Ann B"
    roles = chat.roles.list()
    assert {r.type for r in roles} == {"channel", "deployment"}
    assert ch.members(ann.sid).delete() is True


@pytest.mark.asyncio
async def test_chat_async(twilio: StandIn) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = twilio.async_client(http)
        svc = await client.chat.v2.services.create_async(friendly_name="async chat")
        chat = client.chat.v2.services(svc.sid)
        channel = await chat.channels.create_async(friendly_name="a", type="private")
        await chat.channels(channel.sid).members.create_async(identity="zed")
        await chat.channels(channel.sid).messages.create_async(from_="zed", body="z")
        listed = await chat.channels.list_async(type=["private"])
        assert [c.sid for c in listed] == [channel.sid]
        msgs = await chat.channels(channel.sid).messages.list_async()
        assert [m.body for m in msgs] == ["z"]
        assert (await chat.fetch_async()).friendly_name == "async chat"


def test_v3_migration_makes_a_public_channel_a_conversation(client) -> None:
    svc = client.chat.v2.services.create(friendly_name="to migrate")
    chat = client.chat.v2.services(svc.sid)
    public = chat.channels.create(friendly_name="old lobby", type="public")
    chat.channels(public.sid).messages.create(from_="x", body="history")
    convs = client.conversations.v1.services(svc.sid).conversations
    assert convs.list() == []
    migrated = client.chat.v3.channels(svc.sid, public.sid).update(type="private",
                                                                    messaging_service_sid="MG" + "2" * 32)
    assert migrated.type == "private"
    assert migrated.messaging_service_sid == "MG" + "2" * 32
    assert [c.sid for c in convs.list()] == [public.sid]
    assert [m.body for m in convs(public.sid).messages.list()] == ["history"]

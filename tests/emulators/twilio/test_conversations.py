"""Conversations v1 round trips through the real SDK (sync and async) over real sockets."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient

from .standin import StandIn


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_services_create_list_fetch_delete(client) -> None:
    svc = client.conversations.v1.services.create(friendly_name="Support")
    assert svc.sid.startswith("IS")
    assert len(svc.sid) == 34
    assert isinstance(svc.date_created, datetime)
    assert svc.sid in {s.sid for s in client.conversations.v1.services.list()}
    assert client.conversations.v1.services(svc.sid).fetch().friendly_name == "Support"
    assert svc.links["conversations"].endswith(f"/v1/Services/{svc.sid}/Conversations")
    assert client.conversations.v1.services(svc.sid).delete() is True
    with pytest.raises(TwilioRestException) as err:
        client.conversations.v1.services(svc.sid).fetch()
    assert err.value.status == 404
    assert err.value.code == 20404


def test_conversation_lifecycle_and_unique_name(client, twilio: StandIn) -> None:
    unique = _name("case")
    conv = client.conversations.v1.conversations.create(
        friendly_name="Home Repair Visit ✨", unique_name=unique, attributes=json.dumps({"topic": "feedback"}),
        timers_inactive="PT1H", timers_closed="P1D",
    )
    assert conv.sid.startswith("CH")
    assert conv.state == "active"
    assert conv.url == f"{twilio.url}/v1/Conversations/{conv.sid}"
    assert set(conv.timers) == {"date_inactive", "date_closed"}
    fetched = client.conversations.v1.conversations(unique).fetch()
    assert fetched.sid == conv.sid
    assert json.loads(fetched.attributes) == {"topic": "feedback"}
    assert fetched.chat_service_sid == client.conversations.v1.configuration().fetch().default_chat_service_sid

    updated = client.conversations.v1.conversations(conv.sid).update(friendly_name="renamed", state="inactive")
    assert updated.friendly_name == "renamed"
    assert updated.state == "inactive"
    closed = client.conversations.v1.conversations(conv.sid).update(state="closed")
    assert closed.state == "closed"
    assert closed.timers == {}
    with pytest.raises(TwilioRestException) as err:
        client.conversations.v1.conversations(conv.sid).update(friendly_name="again")
    assert err.value.status == 400
    assert err.value.code == 50377

    with pytest.raises(TwilioRestException) as dup:
        client.conversations.v1.conversations.create(unique_name=unique)
    assert dup.value.status == 409

    assert client.conversations.v1.conversations(conv.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        client.conversations.v1.conversations(unique).fetch()
    assert gone.value.code == 20404
    assert "was not found" in gone.value.msg


def test_conversation_list_filters_state_and_dates(client) -> None:
    svc = client.conversations.v1.services.create(friendly_name="filters")
    convs = svc_convs = client.conversations.v1.services(svc.sid).conversations
    made = []
    for day, state in ((1, "active"), (2, "closed"), (3, "inactive"), (4, "closed")):
        made.append(convs.create(friendly_name=f"d{day}", state=state,
                                 date_created=datetime(2024, 1, day, 12, tzinfo=UTC)))
    assert [c.friendly_name for c in svc_convs.list()] == ["d1", "d2", "d3", "d4"]
    assert [c.friendly_name for c in svc_convs.list(state="closed")] == ["d2", "d4"]
    ranged = svc_convs.list(start_date="2024-01-02T00:00:00Z", end_date="2024-01-03T23:59:59Z")
    assert [c.friendly_name for c in ranged] == ["d3", "d2"]  # date filters sort newest first
    assert made[0].date_created == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_participants_chat_sms_whatsapp_and_read_horizon(client) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="people")
    parts = client.conversations.v1.conversations(conv.sid).participants
    alice = parts.create(identity="alice@example.com", attributes='{"role":"agent"}')
    sms = parts.create(messaging_binding_address="+15558675310", messaging_binding_proxy_address="+15017122661")
    wa = parts.create(messaging_binding_address="whatsapp:+15558675311",
                      messaging_binding_proxy_address="whatsapp:+15017122662")
    assert alice.messaging_binding is None
    assert alice.identity == "alice@example.com"
    assert sms.identity is None
    assert sms.messaging_binding == {"type": "sms", "address": "+15558675310", "proxy_address": "+15017122661"}
    assert wa.messaging_binding["type"] == "whatsapp"
    assert parts("alice@example.com").fetch().sid == alice.sid  # fetch by identity
    assert {p.sid for p in parts.list()} == {alice.sid, sms.sid, wa.sid}

    msgs = client.conversations.v1.conversations(conv.sid).messages
    first = msgs.create(author="alice@example.com", body="hello")
    assert first.participant_sid == alice.sid
    assert first.delivery is not None
    assert first.delivery["total"] == 2  # two non-chat participants
    receipts = msgs(first.sid).delivery_receipts.list()
    assert {r.participant_sid for r in receipts} == {sms.sid, wa.sid}
    assert msgs(first.sid).delivery_receipts(receipts[0].sid).fetch().status in ("sent", "delivered", "read")

    read = parts(alice.sid).update(last_read_message_index=first.index,
                                   last_read_timestamp=datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    assert read.last_read_message_index == first.index
    assert read.last_read_timestamp == "2024-05-01T09:30:00Z"  # the SDK keeps this one as a string
    assert parts(sms.sid).delete() is True
    with pytest.raises(TwilioRestException) as err:
        parts.create(identity="alice@example.com")
    assert err.value.status == 409


def test_messages_history_edit_delete_and_index_gaps(client) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="history")
    msgs = client.conversations.v1.conversations(conv.sid).messages
    created = [msgs.create(author="bob", body=f"m{i} 🎉", attributes=json.dumps({"i": i}),
                           date_created=datetime(2023, 3, 1, 8, i, tzinfo=UTC)) for i in range(5)]
    assert [m.index for m in created] == [0, 1, 2, 3, 4]
    assert created[2].date_created == datetime(2023, 3, 1, 8, 2, tzinfo=UTC)
    assert created[0].author == "bob"
    assert created[0].participant_sid is None
    system = msgs.create(body="no author")
    assert system.author == "system"

    edited = msgs(created[1].sid).update(body="m1 edited ✏️")
    assert edited.body == "m1 edited ✏️"
    assert edited.date_updated >= edited.date_created
    assert msgs(created[2].sid).delete() is True
    after = msgs.create(author="bob", body="after delete")
    assert after.index == 6
    assert [m.index for m in msgs.list()] == [0, 1, 3, 4, 5, 6]
    assert msgs(created[3].sid).fetch().body == "m3 🎉"
    big = "x" * (28 * 1024 + 10)
    assert len(msgs.create(author="bob", body=big).body) == len(big)
    with pytest.raises(TwilioRestException) as err:
        msgs.create(author="bob", body="y" * (32 * 1024 + 1))
    assert err.value.status == 400
    with pytest.raises(TwilioRestException):
        msgs.create(author="bob")  # no body, media or content


def test_users_roles_user_conversations_participant_conversations(client) -> None:
    svc = client.conversations.v1.services.create(friendly_name="people-svc")
    s = client.conversations.v1.services(svc.sid)
    user = s.users.create(identity="carol", friendly_name="Carol Ä", attributes='{"dept":"ops"}')
    assert user.sid.startswith("US")
    assert user.friendly_name == "Carol Ä"
    assert s.users("carol").fetch().sid == user.sid
    assert s.users(user.sid).update(friendly_name="Carol B").friendly_name == "Carol B"
    roles = s.roles.list()
    assert {r.type for r in roles} == {"service", "conversation"}
    role = s.roles.create(friendly_name="Auditor", type="conversation", permission=["sendMessage", "leaveConversation"])
    assert role.permissions == ["sendMessage", "leaveConversation"]
    assert s.roles(role.sid).update(permission=["sendMessage"]).permissions == ["sendMessage"]

    conv = s.conversations.create(friendly_name="ops room")
    part = s.conversations(conv.sid).participants.create(identity="carol", role_sid=role.sid)
    assert part.role_sid == role.sid
    s.conversations(conv.sid).messages.create(author="carol", body="hi")
    s.conversations(conv.sid).messages.create(author="carol", body="again")
    ucs = s.users(user.sid).user_conversations.list()
    assert [u.conversation_sid for u in ucs] == [conv.sid]
    uc = s.users(user.sid).user_conversations(conv.sid).update(last_read_message_index=0)
    assert uc.last_read_message_index == 0
    assert uc.unread_messages_count == 1
    pcs = s.participant_conversations.list(identity="carol")
    assert [p.conversation_sid for p in pcs] == [conv.sid]
    assert pcs[0].participant_sid == part.sid
    implicit = s.conversations(conv.sid).participants.create(identity="dave")
    assert s.users("dave").fetch().identity == "dave"
    assert implicit.identity == "dave"  # user created implicitly
    assert s.roles(role.sid).delete() is True
    assert s.users(user.sid).delete() is True


def test_configuration_and_webhook_configuration(client, twilio: StandIn) -> None:
    cfg = client.conversations.v1.configuration().fetch()
    assert cfg.default_chat_service_sid.startswith("IS")
    assert cfg.url == f"{twilio.url}/v1/Configuration"
    hooks = client.conversations.v1.configuration.webhooks().update(
        method="POST", filters=["onMessageAdded"], post_webhook_url="http://127.0.0.1:9/none", target="webhook")
    assert hooks.filters == ["onMessageAdded"]
    assert hooks.method == "POST"
    client.conversations.v1.configuration.webhooks().update(post_webhook_url="", filters=[""])
    svc = client.conversations.v1.services.create(friendly_name="cfg")
    scfg = client.conversations.v1.services(svc.sid).configuration().fetch()
    assert scfg.chat_service_sid == svc.sid
    assert scfg.default_conversation_role_sid.startswith("RL")
    swh = client.conversations.v1.services(svc.sid).configuration.webhooks().update(
        post_webhook_url="https://example.com/post", filters=["onMessageAdded", "onConversationAdded"], method="GET")
    assert swh.method == "GET"
    assert swh.post_webhook_url == "https://example.com/post"


def test_conversation_scoped_webhooks_crud(client) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="hooks")
    hooks = client.conversations.v1.conversations(conv.sid).webhooks
    hook = hooks.create(target="webhook", configuration_url="https://example.com/h",
                        configuration_method="POST", configuration_filters=["onMessageAdded"])
    assert hook.sid.startswith("WH")
    assert hook.configuration["filters"] == ["onMessageAdded"]
    studio = hooks.create(target="studio", configuration_flow_sid="FW" + "a" * 32)
    assert studio.configuration == {"flow_sid": "FW" + "a" * 32}
    assert len(hooks.list()) == 2
    assert hooks(hook.sid).update(configuration_filters=["onMessageUpdated"]).configuration["filters"] == [
        "onMessageUpdated"]
    assert hooks(studio.sid).delete() is True
    for _ in range(4):
        hooks.create(target="webhook", configuration_url="https://example.com/x")
    with pytest.raises(TwilioRestException):
        hooks.create(target="webhook", configuration_url="https://example.com/too-many")


def test_conversation_with_participants(client) -> None:
    conv = client.conversations.v1.conversation_with_participants.create(
        friendly_name="cwp", participant=[json.dumps({"identity": "erin"}),
                                          json.dumps({"messaging_binding": {"address": "+15550100",
                                                                            "proxy_address": "+15550101"}})])
    parts = client.conversations.v1.conversations(conv.sid).participants.list()
    assert sorted(p.identity or p.messaging_binding["address"] for p in parts) == ["+15550100", "erin"]


@pytest.mark.asyncio
async def test_async_client_round_trip(twilio: StandIn) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = twilio.async_client(http)
        conv = await client.conversations.v1.conversations.create_async(friendly_name="async ✓")
        part = await client.conversations.v1.conversations(conv.sid).participants.create_async(identity="async-a")
        msg = await client.conversations.v1.conversations(conv.sid).messages.create_async(author="async-a", body="hi")
        assert msg.participant_sid == part.sid
        updated = await client.conversations.v1.conversations(conv.sid).messages(msg.sid).update_async(body="edit")
        assert updated.body == "edit"
        fetched = await client.conversations.v1.conversations(conv.sid).fetch_async()
        assert fetched.friendly_name == "async ✓"
        assert isinstance(fetched.date_created, datetime)
        listed = await client.conversations.v1.conversations(conv.sid).messages.list_async()
        assert [m.sid for m in listed] == [msg.sid]
        streamed = [p async for p in await client.conversations.v1.conversations(conv.sid).participants.stream_async()]
        assert [p.sid for p in streamed] == [part.sid]
        assert await client.conversations.v1.conversations(conv.sid).messages(msg.sid).delete_async() is True
        assert await client.conversations.v1.conversations(conv.sid).delete_async() is True
        with pytest.raises(TwilioRestException) as err:
            await client.conversations.v1.conversations(conv.sid).fetch_async()
        assert err.value.status == 404


@pytest.mark.asyncio
async def test_async_users_roles_receipts_webhooks_services(twilio: StandIn) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = twilio.async_client(http)
        v1 = client.conversations.v1
        svc = await v1.services.create_async(friendly_name="async svc")
        s = v1.services(svc.sid)
        assert (await s.fetch_async()).friendly_name == "async svc"
        user = await s.users.create_async(identity="async-u", friendly_name="Async U")
        assert (await s.users(user.sid).update_async(attributes='{"x":1}')).attributes == '{"x":1}'
        role = await s.roles.create_async(friendly_name="r", type="service", permission=["editOwnUserInfo"])
        assert (await s.roles(role.sid).fetch_async()).type == "service"
        conv = await s.conversations.create_async(friendly_name="async scoped")
        c = s.conversations(conv.sid)
        await c.participants.create_async(identity="async-u")
        sms = await c.participants.create_async(messaging_binding_address="+15550200",
                                                messaging_binding_proxy_address="+15550201")
        msg = await c.messages.create_async(author="async-u", body="to sms")
        receipts = await c.messages(msg.sid).delivery_receipts.list_async()
        assert [r.participant_sid for r in receipts] == [sms.sid]
        hook = await c.webhooks.create_async(target="webhook", configuration_url="https://example.com/a")
        assert [w.sid for w in await c.webhooks.list_async()] == [hook.sid]
        ucs = await s.users(user.sid).user_conversations.list_async()
        assert [u.conversation_sid for u in ucs] == [conv.sid]
        cfg = await s.configuration().fetch_async()
        assert cfg.chat_service_sid == svc.sid
        assert [u.identity for u in await s.users.list_async()] == ["async-u"]
        assert await s.users(user.sid).delete_async() is True
        assert await v1.services(svc.sid).delete_async() is True


def test_custom_http_client_rewriting_twilio_hosts(twilio: StandIn) -> None:
    """Option B of research §1.2: a TwilioHttpClient subclass (the SDK's documented extension point)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    class LocalTwilioHttpClient(TwilioHttpClient):
        HOSTS = ("https://conversations.twilio.com", "https://chat.twilio.com")

        def __init__(self, base: str) -> None:
            super().__init__()
            self.base = base
            self.seen: list[str] = []

        def request(self, method: str, url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
            for host in self.HOSTS:
                if url.startswith(host):
                    url = self.base + url[len(host):]
            self.seen.append(url)
            return super().request(method, url, *args, **kwargs)

    http = LocalTwilioHttpClient(twilio.url)
    client = Client(twilio.account_sid, twilio.auth_token, http_client=http)  # no base_url override at all
    conv = client.conversations.v1.conversations.create(friendly_name="option B")
    for i in range(3):
        client.conversations.v1.conversations(conv.sid).messages.create(body=str(i))
    assert [m.body for m in client.conversations.v1.conversations(conv.sid).messages.stream(page_size=2)] == [
        "0", "1", "2"]
    assert client.chat.v2.services.list()
    assert all(url.startswith(twilio.url) for url in http.seen)

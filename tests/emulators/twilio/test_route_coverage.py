"""Every route the stand-in serves is driven through the real SDK, sync and async; every answer validates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from twilio.http.async_http_client import AsyncTwilioHttpClient

from emulators.twilio.app import build_app
from emulators.twilio.context import Settings

from .spec_check import SpecChecker
from .standin import StandIn, stand_in


class Call:
    """``await r(resource.create, **kw)`` runs ``create`` (sync client) or ``create_async`` (async client)."""

    def __init__(self, use_async: bool) -> None:
        self.use_async = use_async

    async def __call__(self, sdk_method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        if self.use_async:
            return await getattr(sdk_method.__self__, f"{sdk_method.__name__}_async")(*args, **kwargs)
        return sdk_method(*args, **kwargs)


async def _drive_everything(server: StandIn, client: Any, r: Call) -> None:
    v1 = client.conversations.v1
    cfg = await r(v1.configuration().update, default_inactive_timer="PT2H", default_closed_timer="P2D")
    assert cfg.default_inactive_timer == "PT2H"
    await r(v1.configuration().update, default_inactive_timer="", default_closed_timer="")
    await r(v1.configuration().fetch)
    await r(v1.configuration.webhooks().fetch)
    await r(v1.configuration.webhooks().update, filters=["onMessageAdded"])
    svc = await r(v1.services.create, friendly_name="everything")
    await r(v1.services.list)
    await r(v1.services(svc.sid).fetch)
    roles = await r(v1.services(svc.sid).roles.list)
    await r(v1.services(svc.sid).configuration().update, default_conversation_role_sid=roles[-1].sid,
            reachability_enabled=True)
    await r(v1.services(svc.sid).configuration().fetch)
    await r(v1.services(svc.sid).configuration.webhooks().fetch)
    await r(v1.services(svc.sid).configuration.webhooks().update, method="POST")
    notif = await r(v1.services(svc.sid).configuration.notifications().update, log_enabled=True,
                    new_message_enabled=True, new_message_template="New: ${MESSAGE}",
                    new_message_with_media_enabled=True, added_to_conversation_sound="ring")
    assert notif.new_message["enabled"] is True
    assert notif.new_message["with_media"]["enabled"] is True
    assert notif.added_to_conversation["sound"] == "ring"
    assert (await r(v1.services(svc.sid).configuration.notifications().fetch)).log_enabled is True
    assert await r(v1.services(svc.sid).bindings.list) == []
    media = server.http.post(f"/v1/Services/{svc.sid}/Media", content=b"bytes",
                             headers={"Content-Type": "text/plain"}).json()
    server.http.get(f"/v1/Services/{svc.sid}/Media/{media['sid']}")
    server.http.get(f"/v1/Services/{svc.sid}/Media/{media['sid']}/Content", follow_redirects=True)

    for scope in (v1, v1.services(svc.sid)):
        user = await r(scope.users.create, identity="everyone", friendly_name="Every One")
        await r(scope.users.list)
        await r(scope.users(user.sid).fetch)
        await r(scope.users(user.sid).update, friendly_name="Every Body")
        role = await r(scope.roles.create, friendly_name="R", type="conversation", permission=["sendMessage"])
        await r(scope.roles.list)
        await r(scope.roles(role.sid).fetch)
        await r(scope.roles(role.sid).update, permission=["sendMessage", "leaveConversation"])
        conv = await r(scope.conversations.create, friendly_name="c", unique_name="c-unique")
        await r(scope.conversations.list, state="active")
        await r(scope.conversations("c-unique").fetch)
        await r(scope.conversations(conv.sid).update, attributes=json.dumps({"a": 1}))
        c = scope.conversations(conv.sid)
        part = await r(c.participants.create, identity="everyone", role_sid=role.sid)
        sms = await r(c.participants.create, messaging_binding_address="+15550300",
                      messaging_binding_proxy_address="+15550301")
        await r(c.participants.list)
        await r(c.participants("everyone").fetch)
        await r(c.participants(part.sid).update, attributes="{}", last_read_message_index=0)
        msg = await r(c.messages.create, author="everyone", body="b",
                      media_sid=media["sid"] if scope is not v1 else None)
        await r(c.messages.list, order="desc")
        await r(c.messages(msg.sid).fetch)
        await r(c.messages(msg.sid).update, body="b2")
        receipt = (await r(c.messages(msg.sid).delivery_receipts.list))[0]
        await r(c.messages(msg.sid).delivery_receipts(receipt.sid).fetch)
        hook = await r(c.webhooks.create, target="webhook", configuration_url="https://example.com/w")
        await r(c.webhooks.list)
        await r(c.webhooks(hook.sid).fetch)
        await r(c.webhooks(hook.sid).update, configuration_method="GET")
        await r(c.webhooks(hook.sid).delete)
        await r(scope.users(user.sid).user_conversations.list)
        await r(scope.users(user.sid).user_conversations(conv.sid).fetch)
        await r(scope.users(user.sid).user_conversations(conv.sid).update, notification_level="muted")
        await r(scope.participant_conversations.list, identity="everyone")
        await r(scope.participant_conversations.list, address="+15550300")
        cwp = await r(scope.conversation_with_participants.create, friendly_name="cwp",
                      participant=[json.dumps({"identity": "x"})])
        await r(scope.conversations(cwp.sid).delete)
        await r(c.messages(msg.sid).delete)
        await r(c.participants(sms.sid).delete)
        await r(scope.users(user.sid).user_conversations(conv.sid).delete)
        await r(scope.conversations(conv.sid).delete)
        await r(scope.roles(role.sid).delete)
        await r(scope.users(user.sid).delete)

    chat = client.chat.v2
    csvc = await r(chat.services.create, friendly_name="chat everything")
    await r(chat.services.list)
    await r(chat.services(csvc.sid).fetch)
    await r(chat.services(csvc.sid).update, friendly_name="renamed", reachability_enabled=True,
            typing_indicator_timeout=7)
    s = chat.services(csvc.sid)
    user = await r(s.users.create, identity="cu", friendly_name="C U")
    await r(s.users.list)
    await r(s.users(user.sid).fetch)
    await r(s.users(user.sid).update, friendly_name="C V")
    role = await r(s.roles.create, friendly_name="cr", type="channel", permission=["sendMessage"])
    await r(s.roles.list)
    await r(s.roles(role.sid).fetch)
    await r(s.roles(role.sid).update, permission=["sendMessage", "leaveChannel"])
    ch = await r(s.channels.create, friendly_name="pub", type="public")
    await r(s.channels.list, type=["public", "private"])
    await r(s.channels(ch.sid).fetch)
    await r(s.channels(ch.sid).update, friendly_name="pub2")
    member = await r(s.channels(ch.sid).members.create, identity="cu", role_sid=role.sid)
    await r(s.channels(ch.sid).members.list, identity=["cu"])
    await r(s.channels(ch.sid).members(member.sid).fetch)
    await r(s.channels(ch.sid).members(member.sid).update, last_consumed_message_index=0)
    m = await r(s.channels(ch.sid).messages.create, from_="cu", body="x")
    await r(s.channels(ch.sid).messages.list, order="desc")
    await r(s.channels(ch.sid).messages(m.sid).fetch)
    await r(s.channels(ch.sid).messages(m.sid).update, body="y")
    await r(s.users(user.sid).user_channels.list)
    assert await r(s.bindings.list) == []
    assert await r(s.users(user.sid).user_bindings.list) == []
    hook = await r(s.channels(ch.sid).webhooks.create, type="webhook", configuration_url="https://example.com/c",
                   configuration_method="POST", configuration_filters=["onMessageSent"], configuration_retry_count=2)
    assert hook.configuration["retry_count"] == 2
    await r(s.channels(ch.sid).webhooks.list)
    await r(s.channels(ch.sid).webhooks(hook.sid).fetch)
    updated = await r(s.channels(ch.sid).webhooks(hook.sid).update, configuration_method="GET")
    assert updated.configuration["method"] == "GET"
    await r(s.channels(ch.sid).webhooks(hook.sid).delete)
    assert (await r(client.chat.v3.channels(csvc.sid, ch.sid).update, type="private")).type == "private"
    await r(s.channels(ch.sid).messages(m.sid).delete)
    await r(s.channels(ch.sid).members(member.sid).delete)
    await r(s.channels(ch.sid).delete)
    await r(s.roles(role.sid).delete)
    await r(s.users(user.sid).delete)
    await r(chat.services(csvc.sid).delete)
    await r(v1.services(svc.sid).delete)


def _served_routes() -> set[str]:
    return {f"{route.method} {route.resource.canonical}" for route in build_app(Settings()).router.routes()
            if route.method != "HEAD" and not route.resource.canonical.startswith(("/_admin", "/mcs-direct"))}


def _check_coverage(server: StandIn) -> None:
    exchanges = server.admin("GET", "exchanges")["exchanges"]
    answered = {f"{e['method']} {e['route_pattern']}" for e in exchanges if e["status"] < 400}
    assert sorted(_served_routes() - answered) == []
    failures = [(e["method"], e["path"], e["status"]) for e in exchanges if e["status"] >= 400]
    assert failures == []


def test_every_route_sync(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker) as server:
        asyncio.run(_drive_everything(server, server.client(), Call(use_async=False)))
        _check_coverage(server)


@pytest.mark.asyncio
async def test_every_route_async(spec_checker: SpecChecker) -> None:
    with stand_in(spec_checker) as server:
        async with AsyncTwilioHttpClient() as http:
            await _drive_everything(server, server.async_client(http), Call(use_async=True))
        _check_coverage(server)

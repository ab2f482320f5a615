"""Every route the stand-in serves is driven through the real SDK once, and every answer validates."""

from __future__ import annotations

import json

from emulators.twilio.app import build_app
from emulators.twilio.context import Settings

from .spec_check import SpecChecker
from .standin import stand_in


def _drive_everything(server) -> None:
    client = server.client()
    v1 = client.conversations.v1
    cfg = v1.configuration().update(default_inactive_timer="PT2H", default_closed_timer="P2D")
    assert cfg.default_inactive_timer == "PT2H"
    v1.configuration().update(default_inactive_timer="", default_closed_timer="")
    v1.configuration().fetch()
    v1.configuration.webhooks().fetch()
    v1.configuration.webhooks().update(filters=["onMessageAdded"])
    svc = v1.services.create(friendly_name="everything")
    v1.services.list()
    v1.services(svc.sid).fetch()
    roles = v1.services(svc.sid).roles.list()
    v1.services(svc.sid).configuration().update(default_conversation_role_sid=roles[-1].sid,
                                                reachability_enabled=True)
    v1.services(svc.sid).configuration().fetch()
    v1.services(svc.sid).configuration.webhooks().fetch()
    v1.services(svc.sid).configuration.webhooks().update(method="POST")
    notif = v1.services(svc.sid).configuration.notifications().update(
        log_enabled=True, new_message_enabled=True, new_message_template="New: ${MESSAGE}",
        new_message_with_media_enabled=True, added_to_conversation_sound="ring")
    assert notif.new_message["enabled"] is True
    assert notif.new_message["with_media"]["enabled"] is True
    assert notif.added_to_conversation["sound"] == "ring"
    assert v1.services(svc.sid).configuration.notifications().fetch().log_enabled is True
    assert v1.services(svc.sid).bindings.list() == []
    media = server.http.post(f"/v1/Services/{svc.sid}/Media", content=b"bytes",
                             headers={"Content-Type": "text/plain"}).json()
    server.http.get(f"/v1/Services/{svc.sid}/Media/{media['sid']}")
    server.http.get(f"/v1/Services/{svc.sid}/Media/{media['sid']}/Content", follow_redirects=True)

    for scope in (v1, v1.services(svc.sid)):
        user = scope.users.create(identity="everyone", friendly_name="Every One")
        scope.users.list()
        scope.users(user.sid).fetch()
        scope.users(user.sid).update(friendly_name="Every Body")
        role = scope.roles.create(friendly_name="R", type="conversation", permission=["sendMessage"])
        scope.roles.list()
        scope.roles(role.sid).fetch()
        scope.roles(role.sid).update(permission=["sendMessage", "leaveConversation"])
        conv = scope.conversations.create(friendly_name="c", unique_name="c-unique")
        scope.conversations.list()
        scope.conversations("c-unique").fetch()
        scope.conversations(conv.sid).update(attributes=json.dumps({"a": 1}))
        c = scope.conversations(conv.sid)
        part = c.participants.create(identity="everyone", role_sid=role.sid)
        sms = c.participants.create(messaging_binding_address="+15550300", messaging_binding_proxy_address="+15550301")
        c.participants.list()
        c.participants(part.sid).fetch()
        c.participants(part.sid).update(attributes="{}")
        msg = c.messages.create(author="everyone", body="b", media_sid=media["sid"] if scope is not v1 else None)
        c.messages.list()
        c.messages(msg.sid).fetch()
        c.messages(msg.sid).update(body="b2")
        receipt = c.messages(msg.sid).delivery_receipts.list()[0]
        c.messages(msg.sid).delivery_receipts(receipt.sid).fetch()
        hook = c.webhooks.create(target="webhook", configuration_url="https://example.com/w")
        c.webhooks.list()
        c.webhooks(hook.sid).fetch()
        c.webhooks(hook.sid).update(configuration_method="GET")
        c.webhooks(hook.sid).delete()
        scope.users(user.sid).user_conversations.list()
        scope.users(user.sid).user_conversations(conv.sid).fetch()
        scope.users(user.sid).user_conversations(conv.sid).update(notification_level="muted")
        scope.participant_conversations.list(identity="everyone")
        scope.participant_conversations.list(address="+15550300")
        cwp = scope.conversation_with_participants.create(friendly_name="cwp",
                                                           participant=[json.dumps({"identity": "x"})])
        scope.conversations(cwp.sid).delete()
        c.messages(msg.sid).delete()
        c.participants(sms.sid).delete()
        scope.users(user.sid).user_conversations(conv.sid).delete()
        scope.conversations(conv.sid).delete()
        scope.roles(role.sid).delete()
        scope.users(user.sid).delete()

    chat = client.chat.v2
    csvc = chat.services.create(friendly_name="chat everything")
    chat.services.list()
    chat.services(csvc.sid).fetch()
    chat.services(csvc.sid).update(friendly_name="renamed", reachability_enabled=True, typing_indicator_timeout=7)
    s = chat.services(csvc.sid)
    user = s.users.create(identity="cu", friendly_name="C U")
    s.users.list()
    s.users(user.sid).fetch()
    s.users(user.sid).update(friendly_name="C V")
    role = s.roles.create(friendly_name="cr", type="channel", permission=["sendMessage"])
    s.roles.list()
    s.roles(role.sid).fetch()
    s.roles(role.sid).update(permission=["sendMessage", "leaveChannel"])
    ch = s.channels.create(friendly_name="pub", type="public")
    s.channels.list()
    s.channels(ch.sid).fetch()
    s.channels(ch.sid).update(friendly_name="pub2")
    member = s.channels(ch.sid).members.create(identity="cu", role_sid=role.sid)
    s.channels(ch.sid).members.list()
    s.channels(ch.sid).members(member.sid).fetch()
    s.channels(ch.sid).members(member.sid).update(last_consumed_message_index=0)
    m = s.channels(ch.sid).messages.create(from_="cu", body="x")
    s.channels(ch.sid).messages.list()
    s.channels(ch.sid).messages(m.sid).fetch()
    s.channels(ch.sid).messages(m.sid).update(body="y")
    s.users(user.sid).user_channels.list()
    assert s.bindings.list() == []
    assert s.users(user.sid).user_bindings.list() == []
    hook = s.channels(ch.sid).webhooks.create(type="webhook", configuration_url="https://example.com/c",
                                              configuration_method="POST", configuration_filters=["onMessageSent"],
                                              configuration_retry_count=2)
    assert hook.configuration["retry_count"] == 2
    s.channels(ch.sid).webhooks.list()
    s.channels(ch.sid).webhooks(hook.sid).fetch()
    assert s.channels(ch.sid).webhooks(hook.sid).update(configuration_method="GET").configuration["method"] == "GET"
    s.channels(ch.sid).webhooks(hook.sid).delete()
    assert client.chat.v3.channels(csvc.sid, ch.sid).update(type="private").type == "private"
    s.channels(ch.sid).messages(m.sid).delete()
    s.channels(ch.sid).members(member.sid).delete()
    s.channels(ch.sid).delete()
    s.roles(role.sid).delete()
    s.users(user.sid).delete()
    chat.services(csvc.sid).delete()
    v1.services(svc.sid).delete()


def test_every_route_is_driven_and_validates(spec_checker: SpecChecker) -> None:
    routes = {f"{r.method} {r.resource.canonical}" for r in build_app(Settings()).router.routes()
              if r.method != "HEAD" and not r.resource.canonical.startswith(("/_admin", "/mcs-direct"))}
    with stand_in(spec_checker) as server:
        _drive_everything(server)
        exchanges = server.admin("GET", "exchanges")["exchanges"]
    answered = {f"{e['method']} {e['route_pattern']}" for e in exchanges if e["status"] < 400}
    assert sorted(routes - answered) == []
    assert all(e["status"] < 400 for e in exchanges), [(e["path"], e["status"]) for e in exchanges
                                                        if e["status"] >= 400]

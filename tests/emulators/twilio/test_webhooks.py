"""Post-event webhooks: Twilio's form fields, X-Twilio-Signature accepted by RequestValidator."""

from __future__ import annotations

import json

import httpx
from twilio.request_validator import RequestValidator

from .conftest import Receiver
from .standin import StandIn

ENABLED = {"x_twilio_webhook_enabled": "true"}


def _events(receiver: Receiver, count: int) -> list:
    got = receiver.wait_for(count)
    assert len(got) >= count, [r.params.get("EventType") for r in got]
    return got


def test_service_webhook_fires_signed_events_only_when_enabled(client, twilio: StandIn, receiver: Receiver) -> None:
    svc = client.conversations.v1.services.create(friendly_name="hooked")
    s = client.conversations.v1.services(svc.sid)
    s.configuration.webhooks().update(post_webhook_url=receiver.url, method="POST", filters=[
        "onConversationAdded", "onConversationUpdated", "onConversationRemoved", "onMessageAdded",
        "onMessageUpdated", "onMessageRemoved", "onParticipantAdded", "onParticipantRemoved"])
    quiet = s.conversations.create(friendly_name="no header")  # REST without the header: no webhook
    s.conversations(quiet.sid).messages.create(body="silent")

    conv = s.conversations.create(friendly_name="loud", attributes='{"a":1}', **ENABLED)
    part = s.conversations(conv.sid).participants.create(identity="alice", **ENABLED)
    msg = s.conversations(conv.sid).messages.create(author="alice", body="héllo 🎉", **ENABLED)
    s.conversations(conv.sid).messages(msg.sid).update(body="edited", **ENABLED)
    # twilio 9.13's generated delete() drops its X-Twilio-Webhook-Enabled header (it resets ``headers``),
    # so deletes that should fire webhooks are sent with the header directly.
    raw = httpx.Client(auth=(twilio.account_sid, twilio.auth_token), headers={"X-Twilio-Webhook-Enabled": "true"})
    base = f"{twilio.url}/v1/Services/{svc.sid}/Conversations/{conv.sid}"
    assert raw.delete(f"{base}/Messages/{msg.sid}").status_code == 204
    assert raw.delete(f"{base}/Participants/{part.sid}").status_code == 204
    s.conversations(conv.sid).update(friendly_name="renamed", **ENABLED)
    assert raw.delete(base).status_code == 204
    raw.close()

    events = _events(receiver, 8)
    assert [e.params["EventType"] for e in events] == [
        "onConversationAdded", "onParticipantAdded", "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
        "onParticipantRemoved", "onConversationUpdated", "onConversationRemoved"]
    validator = RequestValidator(twilio.auth_token)
    for event in events:
        assert event.method == "POST"
        assert event.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
        assert validator.validate(event.url, event.params, event.headers["X-Twilio-Signature"])
        assert not validator.validate(event.url, {**event.params, "Body": "forged"},
                                      event.headers["X-Twilio-Signature"])
        assert event.params["AccountSid"] == twilio.account_sid
        assert event.params["Source"] == "API"
        assert event.params["ConversationSid"] == conv.sid
    added = events[2].params
    assert added["Body"] == "héllo 🎉"
    assert added["Author"] == "alice"
    assert added["Index"] == "0"
    assert added["MessageSid"] == msg.sid
    assert added["ParticipantSid"] == part.sid
    assert "DateRemoved" in events[4].params
    assert events[3].params["Body"] == "edited"
    assert events[1].params["Identity"] == "alice"
    assert events[1].params["MessagingBinding.Type"] == "CHAT"
    assert events[0].params["FriendlyName"] == "loud"
    assert events[0].params["State"] == "active"
    log = twilio.admin("GET", "webhooks", params={"wait": "1"})["deliveries"]
    assert any(d["url"] == receiver.url and d["status"] == 200 for d in log)


def test_conversation_scoped_webhook_with_filters_and_media(client, twilio: StandIn, receiver: Receiver) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="scoped")
    hook = client.conversations.v1.conversations(conv.sid).webhooks.create(
        target="webhook", configuration_url=receiver.url, configuration_method="POST",
        configuration_filters=["onMessageAdded"])
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        media = http.post(f"{twilio.url}/v1/Services/{conv.chat_service_sid}/Media", content=b"GIF89a..",
                          headers={"Content-Type": "image/gif"}, params={"Filename": "a.gif"}).json()
    client.conversations.v1.conversations(conv.sid).participants.create(
        messaging_binding_address="+15551230000", messaging_binding_proxy_address="+15550009999", **ENABLED)
    client.conversations.v1.conversations(conv.sid).messages.create(author="+15551230000", media_sid=media["sid"],
                                                                     **ENABLED)
    events = _events(receiver, 1)
    assert len(events) == 1  # onParticipantAdded was filtered out
    params = events[0].params
    assert params["EventType"] == "onMessageAdded"
    assert params["WebhookSid"] == hook.sid
    assert json.loads(params["Media"]) == [{"Sid": media["sid"], "Filename": "a.gif", "ContentType": "image/gif",
                                            "Size": 8}]
    assert RequestValidator(twilio.auth_token).validate(events[0].url, params, events[0].headers["X-Twilio-Signature"])


def test_get_method_signs_the_query_string(client, twilio: StandIn, receiver: Receiver) -> None:
    conv = client.conversations.v1.conversations.create(friendly_name="get hooks")
    client.conversations.v1.conversations(conv.sid).webhooks.create(
        target="webhook", configuration_url=receiver.url + "?tenant=a", configuration_method="GET",
        configuration_filters=["onParticipantAdded"])
    client.conversations.v1.conversations(conv.sid).participants.create(identity="getter", **ENABLED)
    event = _events(receiver, 1)[0]
    assert event.method == "GET"
    assert event.params["EventType"] == "onParticipantAdded"
    assert event.params["tenant"] == "a"
    assert RequestValidator(twilio.auth_token).validate(event.url, {}, event.headers["X-Twilio-Signature"])


def test_account_level_webhook_for_default_service(client, twilio: StandIn, receiver: Receiver) -> None:
    client.conversations.v1.configuration.webhooks().update(post_webhook_url=receiver.url, method="POST",
                                                            filters=["onConversationAdded"], target="webhook")
    try:
        conv = client.conversations.v1.conversations.create(friendly_name="global", **ENABLED)
        event = _events(receiver, 1)[0]
        assert event.params["ConversationSid"] == conv.sid
        assert RequestValidator(twilio.auth_token).validate(event.url, event.params,
                                                            event.headers["X-Twilio-Signature"])
    finally:
        client.conversations.v1.configuration.webhooks().update(post_webhook_url="")


def test_timers_move_state_and_fire_state_updated(spec_checker, receiver: Receiver) -> None:
    import time

    from .standin import stand_in

    # time-scale 600: Timers.Inactive PT1M fires after 0.1 s, Timers.Closed PT10M after 1 s.
    with stand_in(spec_checker, "--time-scale", "600") as server:
        client = server.client()
        conv = client.conversations.v1.conversations.create(friendly_name="timed", timers_inactive="PT1M",
                                                            timers_closed="PT10M")
        client.conversations.v1.conversations(conv.sid).webhooks.create(
            target="webhook", configuration_url=receiver.url, configuration_filters=["onConversationStateUpdated"])
        states = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            state = client.conversations.v1.conversations(conv.sid).fetch().state
            if not states or states[-1] != state:
                states.append(state)
            if state == "closed":
                break
            time.sleep(0.05)
        assert states[-1] == "closed"
        assert "inactive" in states
        events = _events(receiver, 2)
        assert [(e.params["StateFrom"], e.params["StateTo"]) for e in events[:2]] == [
            ("active", "inactive"), ("inactive", "closed")]
        assert {e.params["Reason"] for e in events} == {"TIMER"}
        validator = RequestValidator(server.auth_token)
        assert all(validator.validate(e.url, e.params, e.headers["X-Twilio-Signature"]) for e in events)
        assert client.conversations.v1.conversations(conv.sid).fetch().timers == {}


def test_user_events_on_the_service_webhook(client, twilio: StandIn, receiver: Receiver) -> None:
    svc = client.conversations.v1.services.create(friendly_name="user events")
    s = client.conversations.v1.services(svc.sid)
    s.configuration.webhooks().update(post_webhook_url=receiver.url, filters=["onUserAdded", "onUserUpdated"])
    user = s.users.create(identity="newbie", friendly_name="New Bie", **ENABLED)
    s.users(user.sid).update(friendly_name="Old Hand", **ENABLED)
    events = _events(receiver, 2)
    assert [e.params["EventType"] for e in events] == ["onUserAdded", "onUserUpdated"]
    assert events[0].params["UserSid"] == user.sid
    assert events[0].params["FriendlyName"] == "New Bie"
    assert events[1].params["FriendlyName"] == "Old Hand"
    assert events[1].params["isOnline"] == "false"
    validator = RequestValidator(twilio.auth_token)
    assert all(validator.validate(e.url, e.params, e.headers["X-Twilio-Signature"]) for e in events)


def test_remote_targets_are_not_contacted_by_default(client, twilio: StandIn) -> None:
    from emulators.twilio.webhooks import is_loopback_url

    conv = client.conversations.v1.conversations.create(friendly_name="remote")
    client.conversations.v1.conversations(conv.sid).webhooks.create(
        target="webhook", configuration_url="https://hooks.example.com/x", configuration_filters=["onMessageAdded"])
    msg = client.conversations.v1.conversations(conv.sid).messages.create(body="hi", **ENABLED)
    log = twilio.admin("GET", "webhooks", params={"wait": "1"})["deliveries"]
    mine = [d for d in log if d["params"].get("MessageSid") == msg.sid]
    assert len(mine) == 1
    assert mine[0]["status"] is None
    assert "loopback" in mine[0]["error"]
    assert is_loopback_url("http://127.0.0.1:9/x")
    assert is_loopback_url("http://[::1]:9/x")
    assert is_loopback_url("http://localhost/x")
    assert not is_loopback_url("https://example.com/x")

"""The validator has teeth, and the stand-in's bodies agree with the specs' example bodies through the SDK."""

from __future__ import annotations

import inspect
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.rest.chat.v2.service import ServiceInstance as ChatServiceInstance
from twilio.rest.chat.v2.service.channel import ChannelInstance
from twilio.rest.chat.v2.service.channel.member import MemberInstance
from twilio.rest.chat.v2.service.channel.message import MessageInstance as ChatMessageInstance
from twilio.rest.chat.v2.service.user import UserInstance as ChatUserInstance
from twilio.rest.conversations.v1.configuration import ConfigurationInstance
from twilio.rest.conversations.v1.configuration.webhook import WebhookInstance as ConfigWebhookInstance
from twilio.rest.conversations.v1.conversation import ConversationInstance
from twilio.rest.conversations.v1.conversation.message import MessageInstance
from twilio.rest.conversations.v1.conversation.message.delivery_receipt import DeliveryReceiptInstance
from twilio.rest.conversations.v1.conversation.participant import ParticipantInstance
from twilio.rest.conversations.v1.conversation.webhook import WebhookInstance as ConvWebhookInstance
from twilio.rest.conversations.v1.service import ServiceInstance
from twilio.rest.conversations.v1.service.configuration.webhook import WebhookInstance as ServiceWebhookInstance
from twilio.rest.conversations.v1.service.conversation import ConversationInstance as ServiceConversationInstance
from twilio.rest.conversations.v1.service.conversation.message import MessageInstance as ServiceMessageInstance
from twilio.rest.conversations.v1.service.conversation.participant import (
    ParticipantInstance as ServiceParticipantInstance,
)
from twilio.rest.conversations.v1.service.role import RoleInstance as ServiceRoleInstance
from twilio.rest.conversations.v1.service.user import UserInstance as ServiceUserInstance
from twilio.rest.conversations.v1.user import UserInstance
from twilio.rest.conversations.v1.user.user_conversation import UserConversationInstance

from .spec_check import SPECS_DIR, SpecChecker
from .standin import StandIn

EXAMPLES = SPECS_DIR / "examples"
# example file stem (without the example name) -> (SDK instance class, key of our body in the workspace)
OAI = {
    "chat_v2.FetchChannel": (ChannelInstance, "chat_channel"),
    "chat_v2.FetchMessage": (ChatMessageInstance, "chat_message"),
    "chat_v2.FetchService": (ChatServiceInstance, "chat_service"),
    "chat_v2.ListChannel": (ChannelInstance, "chat_channel"),
    "chat_v2.ListMember": (MemberInstance, "chat_member"),
    "chat_v2.ListMessage": (ChatMessageInstance, "chat_message"),
    "chat_v2.ListUser": (ChatUserInstance, "chat_user"),
    "conversations_v1.CreateConversationMessage": (MessageInstance, "message"),
    "conversations_v1.CreateConversationParticipant": (ParticipantInstance, "participant"),
    "conversations_v1.FetchConfiguration": (ConfigurationInstance, "configuration"),
    "conversations_v1.FetchConfigurationWebhook": (ConfigWebhookInstance, "configuration_webhooks"),
    "conversations_v1.FetchConversation": (ConversationInstance, "conversation"),
    "conversations_v1.FetchServiceConversationMessage": (ServiceMessageInstance, "service_message"),
    "conversations_v1.FetchServiceConversationParticipant": (ServiceParticipantInstance, "service_participant"),
    "conversations_v1.FetchServiceWebhookConfiguration": (ServiceWebhookInstance, "service_webhooks"),
    "conversations_v1.FetchUser": (UserInstance, "user"),
    "conversations_v1.ListConversation": (ConversationInstance, "conversation"),
    "conversations_v1.ListConversationMessage": (MessageInstance, "message"),
    "conversations_v1.ListConversationMessageReceipt": (DeliveryReceiptInstance, "receipt"),
    "conversations_v1.ListConversationParticipant": (ParticipantInstance, "participant"),
    "conversations_v1.ListConversationScopedWebhook": (ConvWebhookInstance, "webhook"),
    "conversations_v1.ListService": (ServiceInstance, "service"),
    "conversations_v1.ListServiceConversation": (ServiceConversationInstance, "service_conversation"),
    "conversations_v1.ListServiceRole": (ServiceRoleInstance, "service_role"),
    "conversations_v1.ListServiceUser": (ServiceUserInstance, "service_user"),
    "conversations_v1.ListUserConversation": (UserConversationInstance, "user_conversation"),
}
PY_TESTS = {
    "chat_v2.channels": "chat_v2.ListChannel", "chat_v2.members": "chat_v2.ListMember",
    "chat_v2.message": "chat_v2.FetchMessage", "chat_v2.messages": "chat_v2.ListMessage",
    "chat_v2.service": "chat_v2.FetchService", "chat_v2.users": "chat_v2.ListUser",
    "conversations_v1.configuration": "conversations_v1.FetchConfiguration",
    "conversations_v1.conversation": "conversations_v1.FetchConversation",
    "conversations_v1.conversation_webhooks": "conversations_v1.ListConversationScopedWebhook",
    "conversations_v1.conversations": "conversations_v1.ListConversation",
    "conversations_v1.message": "conversations_v1.CreateConversationMessage",
    "conversations_v1.messages": "conversations_v1.ListConversationMessage",
    "conversations_v1.participant": "conversations_v1.CreateConversationParticipant",
    "conversations_v1.receipts": "conversations_v1.ListConversationMessageReceipt",
    "conversations_v1.roles": "conversations_v1.ListServiceRole",
    "conversations_v1.service_conversations": "conversations_v1.ListServiceConversation",
    "conversations_v1.service_participant": "conversations_v1.FetchServiceConversationParticipant",
    "conversations_v1.service_user": "conversations_v1.FetchUser",
    "conversations_v1.service_webhook_configuration": "conversations_v1.FetchServiceWebhookConfiguration",
    "conversations_v1.services": "conversations_v1.ListService",
    "conversations_v1.user_conversations": "conversations_v1.ListUserConversation",
    "conversations_v1.users": "conversations_v1.ListServiceUser",
}


def _example_files() -> list[tuple[Path, str]]:
    files = []
    for path in sorted((EXAMPLES / "oai-spec").glob("*.json")):
        files.append((path, ".".join(path.stem.split(".")[:2])))
    for path in sorted((EXAMPLES / "twilio-python-tests").glob("*.json")):
        files.append((path, PY_TESTS[".".join(path.stem.split(".")[:2])]))
    return files


def _first_record(body: dict[str, Any]) -> dict[str, Any]:
    if "meta" in body:
        return body[body["meta"]["key"]][0]  # type: ignore[no-any-return]
    return body


def _instance(cls: type, version: Any, payload: dict[str, Any]) -> Any:
    """Build an SDK instance the way the SDK does after a request: ``cls(version, payload, <path args>)``."""
    kwargs = {}
    for name, param in list(inspect.signature(cls.__init__).parameters.items())[3:]:
        if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        kwargs[name] = payload.get(name) or payload.get(name.replace("chat_service_sid", "service_sid")) or "X"
    return cls(version, payload, **kwargs)


def _fields(instance: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(instance).items() if not k.startswith("_") or k == "_from"}


@pytest.fixture(scope="module")
def workspace(twilio: StandIn) -> dict[str, dict[str, Any]]:
    """One record of every kind, fetched as raw JSON from the stand-in (fields populated where possible)."""
    client = twilio.client()
    http = httpx.Client(base_url=twilio.url, auth=(twilio.account_sid, twilio.auth_token))
    svc = client.conversations.v1.services.create(friendly_name="examples")
    upload = http.post(f"/v1/Services/{svc.sid}/Media", content=b"%PDF-1.4 demo", headers={"Content-Type":
                       "application/pdf"}, params={"Filename": "hello.pdf"}).json()
    s = client.conversations.v1.services(svc.sid)
    s.users.create(identity="jing", friendly_name="Jing", attributes='{"a":1}')
    role = s.roles.list()[0]
    conv = s.conversations.create(friendly_name="ex", unique_name="ex-unique", attributes='{"topic":"x"}',
                                  messaging_service_sid="MG" + "1" * 32, timers_inactive="PT1H")
    chat_part = s.conversations(conv.sid).participants.create(identity="jing", attributes='{"p":1}')
    s.conversations(conv.sid).participants.create(messaging_binding_address="+15550001",
                                                  messaging_binding_proxy_address="+15550002")
    msg = s.conversations(conv.sid).messages.create(author="jing", body="hello", media_sid=upload["sid"],
                                                    attributes='{"importance":"high"}')
    s.conversations(conv.sid).participants(chat_part.sid).update(last_read_message_index=msg.index)
    s.conversations(conv.sid).webhooks.create(target="webhook", configuration_url="https://example.com/h",
                                              configuration_filters=["onMessageAdded"])
    s.configuration.webhooks().update(post_webhook_url="https://example.com/post", filters=["onMessageAdded"])
    user = s.users("jing").fetch()
    default_conv = client.conversations.v1.conversations.create(friendly_name="default")
    client.conversations.v1.conversations(default_conv.sid).participants.create(identity="jing")
    client.conversations.v1.conversations(default_conv.sid).participants.create(
        messaging_binding_address="+15550009", messaging_binding_proxy_address="+15550010")
    dmsg = client.conversations.v1.conversations(default_conv.sid).messages.create(author="jing", body="hey")
    receipt = client.conversations.v1.conversations(default_conv.sid).messages(dmsg.sid).delivery_receipts.list()[0]
    dpart = client.conversations.v1.conversations(default_conv.sid).participants("jing").fetch()
    client.conversations.v1.conversations(default_conv.sid).webhooks.create(
        target="webhook", configuration_url="https://example.com/h", configuration_filters=["onMessageAdded"])
    duser = client.conversations.v1.users("jing").fetch()
    chat = client.chat.v2.services(svc.sid)
    channel = chat.channels.create(friendly_name="pub", unique_name="pub-u", type="public", attributes='{"f":1}')
    chat.channels(channel.sid).members.create(identity="jing", last_consumed_message_index=0)
    cmsg = chat.channels(channel.sid).messages.create(from_="jing", body="hi", media_sid=None)

    def get(path: str) -> dict[str, Any]:
        response = http.get(path)
        response.raise_for_status()
        return _first_record(response.json())

    base = f"/v1/Services/{svc.sid}"
    dbase = f"/v1/Conversations/{default_conv.sid}"
    out = {
        "service": get(base),
        "configuration": get("/v1/Configuration"),
        "configuration_webhooks": get("/v1/Configuration/Webhooks"),
        "conversation": get(dbase),
        "message": get(f"{dbase}/Messages/{dmsg.sid}"),
        "participant": get(f"{dbase}/Participants/{dpart.sid}"),
        "receipt": get(f"{dbase}/Messages/{dmsg.sid}/Receipts/{receipt.sid}"),
        "webhook": get(f"{dbase}/Webhooks"),
        "user": get(f"/v1/Users/{duser.sid}"),
        "user_conversation": get(f"/v1/Users/{duser.sid}/Conversations"),
        "service_conversation": get(f"{base}/Conversations/{conv.sid}"),
        "service_message": get(f"{base}/Conversations/{conv.sid}/Messages/{msg.sid}"),
        "service_participant": get(f"{base}/Conversations/{conv.sid}/Participants/jing"),
        "service_webhooks": get(f"{base}/Configuration/Webhooks"),
        "service_role": get(f"{base}/Roles/{role.sid}"),
        "service_user": get(f"{base}/Users/{user.sid}"),
        "chat_service": get(f"/v2/Services/{svc.sid}"),
        "chat_channel": get(f"/v2/Services/{svc.sid}/Channels/{channel.sid}"),
        "chat_member": get(f"/v2/Services/{svc.sid}/Channels/{channel.sid}/Members/jing"),
        "chat_message": get(f"/v2/Services/{svc.sid}/Channels/{channel.sid}/Messages/{cmsg.sid}"),
        "chat_user": get(f"/v2/Services/{svc.sid}/Users/jing"),
    }
    out["chat_media_message"] = get(f"/v2/Services/{svc.sid}/Channels/{conv.sid}/Messages/{msg.sid}")
    http.close()
    return out


def _same_leaf_types(mine: dict[str, Any], theirs: dict[str, Any], where: str) -> None:
    for key, value in theirs.items():
        if key in mine and value is not None and mine[key] is not None and not isinstance(value, dict):
            assert type(mine[key]) is type(value), f"{where}.{key}"


@pytest.mark.parametrize(("path", "kind"), _example_files(), ids=lambda v: v.stem if isinstance(v, Path) else "")
def test_example_and_stand_in_bodies_deserialize_alike(path: Path, kind: str, twilio: StandIn,
                                                        workspace: dict[str, dict[str, Any]]) -> None:
    cls, key = OAI[kind]
    client = twilio.client()
    version = client.chat.v2 if kind.startswith("chat") else client.conversations.v1
    example = _first_record(json.loads(path.read_text()))
    ours_body = workspace[key]
    if key == "chat_message" and isinstance(example.get("media"), dict):
        ours_body = workspace["chat_media_message"]
    theirs = _fields(_instance(cls, version, example))
    ours = _fields(_instance(cls, version, ours_body))
    assert set(ours) == set(theirs)
    populated = 0
    for name, value in theirs.items():
        mine = ours[name]
        if value is None or mine is None:
            continue
        populated += 1
        assert type(mine) is type(value), f"{name}: ours {type(mine).__name__}, example {type(value).__name__}"
        if isinstance(value, dict) and name not in ("links", "configuration", "timers", "bindings", "notifications"):
            assert set(mine) <= set(value) | {"projected_address", "proxy_address", "address"}, name
            _same_leaf_types(mine, value, name)
        if isinstance(value, list) and value and mine and isinstance(value[0], dict):
            assert set(mine[0]) == set(value[0]), name  # e.g. message media items
            _same_leaf_types(mine[0], value[0], name)
        if isinstance(value, datetime):
            assert mine.tzinfo is not None
    assert populated >= len(theirs) // 2, f"too few comparable fields in {path.name}"


@pytest.mark.parametrize("path", [p for p, _ in _example_files()], ids=lambda p: p.stem)
def test_example_bodies_pass_the_validator(path: Path, spec_checker: SpecChecker) -> None:
    """Sanity: Twilio's own example bodies validate with openapi-core against the same specs."""
    body = json.loads(path.read_text())
    kind = PY_TESTS.get(".".join(path.stem.split(".")[:2]), ".".join(path.stem.split(".")[:2]))
    api = spec_checker.chat if kind.startswith("chat") else spec_checker.conversations
    url = body["meta"]["url"] if "meta" in body else body.get("url")
    if not url:
        pytest.skip("example carries no url to route it")
    from urllib.parse import urlsplit

    from openapi_core.testing import MockRequest, MockResponse

    parts = urlsplit(url)  # a record's own url is its fetch route; a list's meta.url its list route
    request = MockRequest(f"{parts.scheme}://{parts.netloc}", "get", parts.path)
    api.validate_response(request, MockResponse(json.dumps(body).encode(), 200))


def test_validator_rejects_bad_bodies(spec_checker: SpecChecker) -> None:
    good = {"method": "GET", "path": "/v1/Services/IS" + "a" * 32, "query": "", "status": 200,
            "route_pattern": "/v1/Services/{Sid}", "content_type": "application/json", "size": 1,
            "host": "127.0.0.1:1", "body": json.dumps({
                "account_sid": "AC" + "a" * 32, "sid": "IS" + "a" * 32, "friendly_name": "x",
                "date_created": "2024-01-01T00:00:00Z", "date_updated": "2024-01-01T00:00:00Z",
                "url": "http://127.0.0.1:1/v1/Services/IS" + "a" * 32, "links": {}})}
    assert spec_checker.check(good) == []

    def variant(**changes: Any) -> dict[str, Any]:
        body = json.loads(good["body"])
        body.update(changes)
        return {**good, "body": json.dumps(body)}

    assert spec_checker.check(variant(date_created="2024-01-01T00:00:00+00:00"))  # not Twilio's date form
    assert spec_checker.check(variant(sid="CH" + "a" * 32))  # wrong SID prefix
    assert spec_checker.check(variant(extra_field=1))  # key not in the spec
    assert spec_checker.check(variant(url="https://conversations.twilio.com/v1/Services/x"))  # wrong host
    assert spec_checker.check({**good, "status": 404, "body": json.dumps({"code": 20404, "message": "x"})})
    assert spec_checker.check({**good, "status": 204, "size": 3})

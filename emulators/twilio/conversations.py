"""Conversations v1: conversations, messages, receipts, participants, conversation-scoped webhooks.

Also registers every v1 route (those of ``v1_configuration`` and ``v1_users`` too), at account
level (the default service) and under ``/v1/Services/{IS}``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from . import v1_configuration as cfg
from . import v1_users as usr
from .context import Emulator, emu, form, json_response, no_content, webhooks_enabled
from .errors import TwilioError, missing
from .formats import check_attributes, now, parse_date, parse_duration, parse_int
from .models import Conversation, ConversationWebhook, Message, Participant, Receipt
from .resources import Resource, find_by_sid, list_page
from .v1_common import (
    STATES,
    apply_read_horizon,
    conversation_of,
    fire,
    http_method,
    scope_of,
)
from .views import V1Scope
from .webhooks import conversation_params, message_params, participant_params

BODY_LIMIT = 32 * 1024


# ---------------------------------------------------------------------- conversations
def _apply_timers(conv: Conversation, data: MultiMapping[str], e: Emulator) -> None:
    """Set ``Timers.Inactive``/``Timers.Closed`` (or the account defaults), divided by the time-scale."""
    account = e.store.config
    inactive = parse_duration(data.get("Timers.Inactive", account.default_inactive_timer), "Timers.Inactive", 60)
    closed = parse_duration(data.get("Timers.Closed", account.default_closed_timer), "Timers.Closed", 600)
    if conv.state == "closed":
        conv.date_inactive = conv.date_closed = None
        conv.inactive_after = conv.closed_after = None
        return
    scale = e.settings.time_scale
    if inactive is not None:
        conv.inactive_after = inactive / scale
    if closed is not None:
        conv.closed_after = closed / scale
    start = time.time()
    if conv.inactive_after is not None and conv.state == "active":
        conv.date_inactive = start + conv.inactive_after
    if conv.closed_after is not None and (closed is not None or conv.date_closed is None):
        conv.date_closed = start + conv.closed_after


def touch_inactive_timer(conv: Conversation) -> None:
    """Activity pushes the inactive timer back, as on Twilio."""
    if conv.inactive_after is not None and conv.state == "active":
        conv.date_inactive = time.time() + conv.inactive_after


def _state(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in STATES:
        raise TwilioError(400, 50376, f"Invalid conversation state {value!r}")
    return value


async def list_conversations(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    convs = e.store.conversations_of(scope.service_sid)
    query = request.query
    state = _state(query.get("State"))
    start = parse_date(query.get("StartDate"), "StartDate")
    end = parse_date(query.get("EndDate"), "EndDate")
    if state is not None:
        convs = [c for c in convs if c.state == state]
    if start is not None:
        convs = [c for c in convs if c.date_created >= start]
    if end is not None:
        convs = [c for c in convs if c.date_created <= end]
    descending = start is not None or end is not None  # documented: date filters sort newest first
    return list_page(request, "conversations", convs, scope.conversation, descending=descending)


async def create_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    data = await form(request)
    e.hit_service(scope.service_sid)
    friendly = data.get("FriendlyName")
    if friendly is not None and len(friendly) > 256:
        raise TwilioError(400, 50002, "FriendlyName is longer than 256 characters")
    created = parse_date(data.get("DateCreated"), "DateCreated")
    conv = e.store.create_conversation(
        scope.service_sid, friendly_name=friendly, unique_name=data.get("UniqueName") or None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 16 * 1024),
        state=_state(data.get("State")), messaging_service_sid=data.get("MessagingServiceSid") or None,
        date_created=created, date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
    )
    _apply_timers(conv, data, e)
    fire(request, conv, "onConversationAdded", conversation_params(conv))
    return json_response(scope.conversation(conv), 201)


async def fetch_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    return json_response(scope.conversation(conversation_of(request, scope, "Sid")))


async def update_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope, "Sid")
    data = await form(request)
    e.hit_conversation(conv.sid)
    if conv.state == "closed":
        raise TwilioError(400, 50377, "Can't update conversation as it's in final closed state")
    old_state = conv.state
    if "FriendlyName" in data:
        conv.friendly_name = data["FriendlyName"] or None
    if "UniqueName" in data:
        e.store.set_unique_name(conv, data["UniqueName"] or None)
    if "Attributes" in data:
        conv.attributes = check_attributes(data["Attributes"], "Attributes", 16 * 1024) or "{}"
    if "MessagingServiceSid" in data:
        conv.messaging_service_sid = data["MessagingServiceSid"] or None
    if "DateCreated" in data:
        conv.date_created = parse_date(data["DateCreated"], "DateCreated") or conv.date_created
    new_state = _state(data.get("State"))
    if new_state is not None:
        conv.state = new_state
    conv.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    if "Timers.Inactive" in data or "Timers.Closed" in data or conv.state != old_state:
        _apply_timers(conv, data, e)
    fire(request, conv, "onConversationUpdated", conversation_params(conv))
    if conv.state != old_state and webhooks_enabled(request):
        e.webhooks.fire(e.store, conv, "onConversationStateUpdated", {
            "ConversationSid": conv.sid, "StateFrom": old_state, "StateTo": conv.state, "Reason": "API",
            "StateUpdated": conversation_params(conv)["DateUpdated"],
            **({"MessagingServiceSid": conv.messaging_service_sid} if conv.messaging_service_sid else {}),
        })
    return json_response(scope.conversation(conv))


async def delete_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope, "Sid")
    e.hit_service(scope.service_sid)
    params = conversation_params(conv, removed=True)
    fire(request, conv, "onConversationRemoved", params)
    e.store.delete_conversation(conv)
    return no_content()


async def create_conversation_with_participants(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    data = await form(request)
    e.hit_service(scope.service_sid)
    specs = [_participant_spec(raw) for raw in data.getall("Participant", [])]
    for spec in specs:
        if spec["role_sid"]:
            e.store.role(scope.service_sid, spec["role_sid"], request.path)
    conv = e.store.create_conversation(
        scope.service_sid, friendly_name=data.get("FriendlyName"), unique_name=data.get("UniqueName") or None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 16 * 1024),
        state=_state(data.get("State")), messaging_service_sid=data.get("MessagingServiceSid") or None,
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
    )
    try:
        _apply_timers(conv, data, e)
        for spec in specs:
            e.store.add_participant(conv, identity=spec["identity"], binding=spec["binding"], attributes=None,
                                    role_sid=spec["role_sid"])
    except TwilioError:
        e.store.delete_conversation(conv)  # all or nothing
        raise
    fire(request, conv, "onConversationAdded", conversation_params(conv))
    return json_response(scope.conversation(conv), 201)


def _participant_spec(raw: str) -> dict[str, Any]:
    """One ``Participant`` JSON of ConversationWithParticipants: identity or messaging_binding, role_sid."""
    try:
        spec = json.loads(raw)
    except ValueError as exc:
        raise TwilioError(400, 20001, f"Participant must be JSON: {raw[:80]!r}") from exc
    if not isinstance(spec, dict):
        raise TwilioError(400, 20001, "Participant must be a JSON object")
    binding = spec.get("messaging_binding") or {}
    fields = [spec.get("identity"), spec.get("role_sid"), *(binding.values() if isinstance(binding, dict) else [1])]
    if not isinstance(binding, dict) or any(v is not None and not isinstance(v, str) for v in fields):
        raise TwilioError(400, 20001, "Participant fields must be strings")
    return {
        "identity": spec.get("identity") or None,
        "binding": _binding(binding.get("address"), binding.get("proxy_address"), binding.get("projected_address")),
        "role_sid": spec.get("role_sid") or None,
    }


# ---------------------------------------------------------------------- messages
async def create_message(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    data = await form(request)
    e.hit_conversation(conv.sid)
    body = data.get("Body")
    media_sids = data.getall("MediaSid", [])
    if not body and not media_sids and not data.get("ContentSid"):
        raise TwilioError(400, 50509, "Message body, media or content is required")
    if body is not None and len(body.encode()) > BODY_LIMIT:
        raise TwilioError(400, 50011, f"Message body exceeds {BODY_LIMIT} bytes")
    msg = e.store.add_message(
        conv, author=data.get("Author"), body=body or None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 4096), media_sids=media_sids,
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"), content_sid=data.get("ContentSid") or None,
    )
    touch_inactive_timer(conv)
    fire(request, conv, "onMessageAdded", message_params(e.store, conv, msg, "onMessageAdded"))
    return json_response(scope.message(conv, msg), 201)


async def update_message(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    msg = e.store.find_message(conv, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_conversation(conv.sid)
    if "Body" in data:
        if len(data["Body"].encode()) > BODY_LIMIT:
            raise TwilioError(400, 50011, f"Message body exceeds {BODY_LIMIT} bytes")
        msg.was_edited = msg.was_edited or data["Body"] != msg.body
        msg.body = data["Body"]
    if "Author" in data:
        msg.author = data["Author"] or "system"
    if "Attributes" in data:
        msg.attributes = check_attributes(data["Attributes"], "Attributes", 4096) or "{}"
    if "DateCreated" in data:
        msg.date_created = parse_date(data["DateCreated"], "DateCreated") or msg.date_created
    msg.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    fire(request, conv, "onMessageUpdated", message_params(e.store, conv, msg, "onMessageUpdated"))
    return json_response(scope.message(conv, msg))


async def delete_message(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    msg = e.store.find_message(conv, request.match_info["Sid"], request.path)
    e.hit_conversation(conv.sid)
    params = message_params(e.store, conv, msg, "onMessageRemoved")
    e.store.delete_message(conv, msg)
    fire(request, conv, "onMessageRemoved", params)
    return no_content()


# ---------------------------------------------------------------------- participants
def _binding(address: str | None, proxy: str | None, projected: str | None) -> dict[str, str] | None:
    if not address and not proxy and not projected:
        return None
    text = address or proxy or ""
    kind = "whatsapp" if text.startswith("whatsapp:") else ("rcs" if text.startswith("rcs:") else "sms")
    binding = {"type": kind}
    if address:
        binding["address"] = address
    if proxy:
        binding["proxy_address"] = proxy
    if projected:
        binding["projected_address"] = projected
    return binding


async def create_participant(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    data = await form(request)
    e.hit_conversation(conv.sid)
    identity = data.get("Identity") or None
    address = data.get("MessagingBinding.Address") or None
    if identity is not None and address is not None:
        raise TwilioError(400, 50104, "A participant cannot have both Identity and MessagingBinding.Address")
    for value, name in ((identity, "Identity"), (address, "MessagingBinding.Address")):
        if value is not None and len(value) > 256:
            raise TwilioError(400, 50002, f"{name} is longer than 256 characters")
    role_sid = data.get("RoleSid") or None
    if role_sid:
        e.store.role(conv.service_sid, role_sid, request.path)
    part = e.store.add_participant(
        conv, identity=identity,
        binding=_binding(address, data.get("MessagingBinding.ProxyAddress"),
                         data.get("MessagingBinding.ProjectedAddress")),
        attributes=check_attributes(data.get("Attributes"), "Attributes", 4096), role_sid=role_sid,
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
    )
    fire(request, conv, "onParticipantAdded", participant_params(conv, part, "onParticipantAdded"))
    return json_response(scope.participant(conv, part), 201)


async def update_participant(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    part = e.store.find_participant(conv, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_conversation(conv.sid)
    if "Attributes" in data:
        part.attributes = check_attributes(data["Attributes"], "Attributes", 4096) or "{}"
    if data.get("RoleSid"):
        part.role_sid = e.store.role(conv.service_sid, data["RoleSid"], request.path).sid
    if data.get("Identity"):
        part.identity = data["Identity"]
    if part.messaging_binding is not None:
        if data.get("MessagingBinding.ProxyAddress"):
            part.messaging_binding["proxy_address"] = data["MessagingBinding.ProxyAddress"]
        if data.get("MessagingBinding.ProjectedAddress"):
            part.messaging_binding["projected_address"] = data["MessagingBinding.ProjectedAddress"]
    if "DateCreated" in data:
        part.date_created = parse_date(data["DateCreated"], "DateCreated") or part.date_created
    index = parse_int(data.get("LastReadMessageIndex"), "LastReadMessageIndex")
    apply_read_horizon(part, index, parse_date(data.get("LastReadTimestamp"), "LastReadTimestamp"))
    part.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    fire(request, conv, "onParticipantUpdated", participant_params(conv, part, "onParticipantUpdated"))
    return json_response(scope.participant(conv, part))


async def delete_participant(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    part = e.store.find_participant(conv, request.match_info["Sid"], request.path)
    e.hit_conversation(conv.sid)
    del conv.participants[part.sid]
    fire(request, conv, "onParticipantRemoved", participant_params(conv, part, "onParticipantRemoved"))
    return no_content()


# ---------------------------------------------------------------------- conversation-scoped webhooks
async def create_webhook(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    conv = conversation_of(request, scope)
    data = await form(request)
    target = data.get("Target")
    if target not in ("webhook", "trigger", "studio"):
        raise missing("Target")
    url = data.get("Configuration.Url") or None
    if target != "studio" and not url:
        raise missing("Configuration.Url")
    if target == "studio" and not data.get("Configuration.FlowSid"):
        raise missing("Configuration.FlowSid")
    hook = e.store.add_conversation_webhook(
        conv, target=target, url=url, method=http_method(data.get("Configuration.Method", "post")),
        filters=[f for f in data.getall("Configuration.Filters", []) if f],
        triggers=[t for t in data.getall("Configuration.Triggers", []) if t],
        flow_sid=data.get("Configuration.FlowSid") or None,
        replay_after=parse_int(data.get("Configuration.ReplayAfter"), "Configuration.ReplayAfter"),
    )
    return json_response(scope.webhook(conv, hook), 201)


async def update_webhook(request: web.Request) -> web.Response:
    scope = scope_of(request)
    conv = conversation_of(request, scope)
    hook = find_by_sid(request, conv.webhooks)
    data = await form(request)
    if "Configuration.Url" in data:
        hook.url = data["Configuration.Url"] or None
    if "Configuration.Method" in data:
        hook.method = http_method(data["Configuration.Method"])
    if "Configuration.Filters" in data:
        hook.filters = [f for f in data.getall("Configuration.Filters") if f]
    if "Configuration.Triggers" in data:
        hook.triggers = [t for t in data.getall("Configuration.Triggers") if t]
    if "Configuration.FlowSid" in data:
        hook.flow_sid = data["Configuration.FlowSid"] or None
    hook.date_updated = now()
    return json_response(scope.webhook(conv, hook))


async def delete_webhook(request: web.Request) -> web.Response:
    scope = scope_of(request)
    conv = conversation_of(request, scope)
    del conv.webhooks[find_by_sid(request, conv.webhooks).sid]
    return no_content()


# ---------------------------------------------------------------------- lists and fetches
@dataclass(frozen=True)
class InConversation:
    """The scope and the conversation named in the path (``ConversationSid``)."""

    scope: V1Scope
    conv: Conversation


@dataclass(frozen=True)
class InMessage:
    """The scope, conversation and message named in the path (``MessageSid``)."""

    scope: V1Scope
    conv: Conversation
    msg: Message


def in_conversation(request: web.Request) -> InConversation:
    scope = scope_of(request)
    return InConversation(scope, conversation_of(request, scope))


def in_message(request: web.Request) -> InMessage:
    at = in_conversation(request)
    return InMessage(at.scope, at.conv, emu(request).store.find_message(at.conv, request.match_info["MessageSid"],
                                                                          request.path))


MESSAGES: Resource[InConversation, Message] = Resource(
    "messages", in_conversation, lambda _, at: at.conv.messages,
    lambda request, at: emu(request).store.find_message(at.conv, request.match_info["Sid"], request.path),
    lambda at, msg: at.scope.message(at.conv, msg), keys=lambda at: at.conv.indices)
RECEIPTS: Resource[InMessage, Receipt] = Resource(
    "delivery_receipts", in_message, lambda _, at: at.msg.receipts,
    lambda request, at: find_by_sid(request, at.msg.receipts), lambda at, r: at.scope.receipt(at.conv, at.msg, r))
PARTICIPANTS: Resource[InConversation, Participant] = Resource(
    "participants", in_conversation, lambda _, at: list(at.conv.participants.values()),
    lambda request, at: emu(request).store.find_participant(at.conv, request.match_info["Sid"], request.path),
    lambda at, part: at.scope.participant(at.conv, part))
WEBHOOKS: Resource[InConversation, ConversationWebhook] = Resource(
    "webhooks", in_conversation, lambda _, at: list(at.conv.webhooks.values()),
    lambda request, at: find_by_sid(request, at.conv.webhooks), lambda at, hook: at.scope.webhook(at.conv, hook))


# ---------------------------------------------------------------------- routing
def add_routes(app: web.Application) -> None:
    """Register every v1 route; route names are ``<request class>:<name>`` for faults and counters."""
    r = app.router
    r.add_get("/v1/Services", cfg.SERVICES.list, name="list:services")
    r.add_post("/v1/Services", cfg.create_service, name="create:services")
    r.add_get("/v1/Services/{Sid}", cfg.SERVICES.fetch, name="fetch:service")
    r.add_delete("/v1/Services/{Sid}", cfg.delete_service, name="delete:service")
    r.add_get("/v1/Configuration", cfg.fetch_configuration, name="fetch:configuration")
    r.add_post("/v1/Configuration", cfg.update_configuration, name="update:configuration")
    r.add_get("/v1/Configuration/Webhooks", cfg.fetch_configuration_webhooks, name="fetch:configuration-webhooks")
    r.add_post("/v1/Configuration/Webhooks", cfg.update_configuration_webhooks, name="update:configuration-webhooks")
    svc = "/v1/Services/{ChatServiceSid}"
    r.add_get(f"{svc}/Configuration", cfg.fetch_service_configuration, name="fetch:service-configuration")
    r.add_post(f"{svc}/Configuration", cfg.update_service_configuration, name="update:service-configuration")
    r.add_get(f"{svc}/Configuration/Webhooks", cfg.fetch_service_webhooks, name="fetch:service-webhooks")
    r.add_post(f"{svc}/Configuration/Webhooks", cfg.update_service_webhooks, name="update:service-webhooks")
    r.add_get(f"{svc}/Configuration/Notifications", cfg.fetch_notifications, name="fetch:service-notifications")
    r.add_post(f"{svc}/Configuration/Notifications", cfg.update_notifications, name="update:service-notifications")
    r.add_get(f"{svc}/Bindings", cfg.list_bindings, name="list:service-bindings")
    for prefix, tag in (("/v1", ""), (svc, "service-")):
        conv = f"{prefix}/Conversations/{{ConversationSid}}"
        routes: list[tuple[str, str, Any, str]] = [
            ("GET", f"{prefix}/Conversations", list_conversations, "list:conversations"),
            ("POST", f"{prefix}/Conversations", create_conversation, "create:conversations"),
            ("GET", f"{prefix}/Conversations/{{Sid}}", fetch_conversation, "fetch:conversation"),
            ("POST", f"{prefix}/Conversations/{{Sid}}", update_conversation, "update:conversation"),
            ("DELETE", f"{prefix}/Conversations/{{Sid}}", delete_conversation, "delete:conversation"),
            ("POST", f"{prefix}/ConversationWithParticipants", create_conversation_with_participants,
             "create:conversation-plus-participants"),
            ("GET", f"{conv}/Messages", MESSAGES.list, "list:messages"),
            ("POST", f"{conv}/Messages", create_message, "create:messages"),
            ("GET", f"{conv}/Messages/{{Sid}}", MESSAGES.fetch, "fetch:message"),
            ("POST", f"{conv}/Messages/{{Sid}}", update_message, "update:message"),
            ("DELETE", f"{conv}/Messages/{{Sid}}", delete_message, "delete:message"),
            ("GET", f"{conv}/Messages/{{MessageSid}}/Receipts", RECEIPTS.list, "list:receipts"),
            ("GET", f"{conv}/Messages/{{MessageSid}}/Receipts/{{Sid}}", RECEIPTS.fetch, "fetch:receipt"),
            ("GET", f"{conv}/Participants", PARTICIPANTS.list, "list:participants"),
            ("POST", f"{conv}/Participants", create_participant, "create:participants"),
            ("GET", f"{conv}/Participants/{{Sid}}", PARTICIPANTS.fetch, "fetch:participant"),
            ("POST", f"{conv}/Participants/{{Sid}}", update_participant, "update:participant"),
            ("DELETE", f"{conv}/Participants/{{Sid}}", delete_participant, "delete:participant"),
            ("GET", f"{conv}/Webhooks", WEBHOOKS.list, "list:webhooks"),
            ("POST", f"{conv}/Webhooks", create_webhook, "create:webhooks"),
            ("GET", f"{conv}/Webhooks/{{Sid}}", WEBHOOKS.fetch, "fetch:webhook"),
            ("POST", f"{conv}/Webhooks/{{Sid}}", update_webhook, "update:webhook"),
            ("DELETE", f"{conv}/Webhooks/{{Sid}}", delete_webhook, "delete:webhook"),
            ("GET", f"{prefix}/Users", usr.USERS.list, "list:users"),
            ("POST", f"{prefix}/Users", usr.create_user, "create:users"),
            ("GET", f"{prefix}/Users/{{Sid}}", usr.USERS.fetch, "fetch:user"),
            ("POST", f"{prefix}/Users/{{Sid}}", usr.update_user, "update:user"),
            ("DELETE", f"{prefix}/Users/{{Sid}}", usr.delete_user, "delete:user"),
            ("GET", f"{prefix}/Users/{{UserSid}}/Conversations", usr.list_user_conversations,
             "list:user-conversations"),
            ("GET", f"{prefix}/Users/{{UserSid}}/Conversations/{{ConversationSid}}", usr.fetch_user_conversation,
             "fetch:user-conversation"),
            ("POST", f"{prefix}/Users/{{UserSid}}/Conversations/{{ConversationSid}}", usr.update_user_conversation,
             "update:user-conversation"),
            ("DELETE", f"{prefix}/Users/{{UserSid}}/Conversations/{{ConversationSid}}", usr.delete_user_conversation,
             "delete:user-conversation"),
            ("GET", f"{prefix}/ParticipantConversations", usr.list_participant_conversations,
             "list:participant-conversations"),
            ("GET", f"{prefix}/Roles", usr.ROLES.list, "list:roles"),
            ("POST", f"{prefix}/Roles", usr.create_role, "create:roles"),
            ("GET", f"{prefix}/Roles/{{Sid}}", usr.ROLES.fetch, "fetch:role"),
            ("POST", f"{prefix}/Roles/{{Sid}}", usr.update_role, "update:role"),
            ("DELETE", f"{prefix}/Roles/{{Sid}}", usr.delete_role, "delete:role"),
        ]
        for method, path, handler, name in routes:
            klass, _, rest = name.partition(":")
            r.add_route(method, path, handler, name=f"{klass}:v1-{tag}{rest}")

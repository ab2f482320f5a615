"""Programmable Chat v2 routes (``/v2/Services/...``) over the same records as Conversations v1.

A private channel *is* the conversation with the same ``CH`` SID; a public channel exists
only here. ``Type`` on the channel list is repeatable and defaults to ``public``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .context import base_url, emu, form, json_response, no_content
from .errors import TwilioError, missing
from .formats import check_attributes, now, parse_date, parse_int
from .models import Conversation, ConversationWebhook, Message, Participant, Role, Service, User
from .resources import Resource, Site, find_by_sid, list_page, site_of
from .store import Store
from .v1_common import apply_read_horizon
from .views import (
    chat_channel,
    chat_channel_webhook,
    chat_member,
    chat_message,
    chat_role,
    chat_service,
    chat_user,
    chat_user_channel,
)

CHANNEL_TYPES = ("public", "private")


def _service(request: web.Request, key: str = "ServiceSid") -> Service:
    return emu(request).store.service(request.match_info[key], request.path)


def _channel(request: web.Request, key: str = "ChannelSid") -> Conversation:
    service = _service(request)
    return emu(request).store.find_conversation(service.sid, request.match_info[key], request.path,
                                                include_public=True)


def _joined(store: Store, service_sid: str, identity: str) -> int:
    return sum(1 for c in store.conversations.values()
               if c.service_sid == service_sid and c.participant_by_identity(identity) is not None)


# ---------------------------------------------------------------------- services
async def create_service(request: web.Request) -> web.Response:
    e = emu(request)
    data = await form(request)
    if not data.get("FriendlyName"):
        raise missing("FriendlyName")
    service = e.store.create_service(data["FriendlyName"])
    return json_response(chat_service(base_url(request), e.store.account_sid, service), 201)


async def update_service(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request, "Sid")
    data = await form(request)
    if data.get("FriendlyName"):
        service.friendly_name = data["FriendlyName"]
    if "PreWebhookUrl" in data:
        service.pre_webhook_url = data["PreWebhookUrl"] or None
    if "PostWebhookUrl" in data:
        service.post_webhook_url = data["PostWebhookUrl"] or None
    if data.get("WebhookMethod"):
        service.webhook_method = data["WebhookMethod"].upper()
    if "WebhookFilters" in data:
        service.webhook_filters = [f for f in data.getall("WebhookFilters") if f]
    for param, attr in (("ReachabilityEnabled", "reachability_enabled"), ("ReadStatusEnabled", "read_status_enabled")):
        if param in data:
            setattr(service, attr, data[param].lower() == "true")
    for param, attr in (("TypingIndicatorTimeout", "typing_indicator_timeout"),
                        ("ConsumptionReportInterval", "consumption_report_interval")):
        value = parse_int(data.get(param), param)
        if value is not None:
            setattr(service, attr, value)
    service.date_updated = now()
    return json_response(chat_service(base_url(request), e.store.account_sid, service))


async def delete_service(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request, "Sid")
    if service.sid == e.store.config.default_chat_service_sid:
        raise TwilioError(400, 50300, "The default Conversation Service cannot be deleted")
    e.store.delete_service(service)
    return no_content()


# ---------------------------------------------------------------------- channels
async def create_channel(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    data = await form(request)
    kind = data.get("Type", "public")
    if kind not in CHANNEL_TYPES:
        raise TwilioError(400, 20001, f"Invalid Type {kind!r}")
    e.hit_service(service.sid)
    conv = e.store.create_conversation(
        service.sid, friendly_name=data.get("FriendlyName"), unique_name=data.get("UniqueName") or None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 16 * 1024), state="active", type_=kind,
        created_by=data.get("CreatedBy") or "system",
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
    )
    return json_response(chat_channel(base_url(request), e.store.account_sid, conv), 201)


async def update_channel(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request, "Sid")
    data = await form(request)
    e.hit_conversation(conv.sid)
    if "FriendlyName" in data:
        conv.friendly_name = data["FriendlyName"] or None
    if "UniqueName" in data:
        e.store.set_unique_name(conv, data["UniqueName"] or None)
    if "Attributes" in data:
        conv.attributes = check_attributes(data["Attributes"], "Attributes", 16 * 1024) or "{}"
    if "CreatedBy" in data:
        conv.created_by = data["CreatedBy"] or "system"
    if "DateCreated" in data:
        conv.date_created = parse_date(data["DateCreated"], "DateCreated") or conv.date_created
    conv.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    return json_response(chat_channel(base_url(request), e.store.account_sid, conv))


async def delete_channel(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request, "Sid")
    e.hit_service(conv.service_sid)
    e.store.delete_conversation(conv)
    return no_content()


# ---------------------------------------------------------------------- members
async def create_member(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    data = await form(request)
    if not data.get("Identity"):
        raise missing("Identity")
    e.hit_conversation(conv.sid)
    role_sid = data.get("RoleSid") or None
    if role_sid:
        e.store.role(conv.service_sid, role_sid, request.path)
    part = e.store.add_participant(
        conv, identity=data["Identity"], binding=None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 4096), role_sid=role_sid,
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
        last_read_message_index=parse_int(data.get("LastConsumedMessageIndex"), "LastConsumedMessageIndex"),
        last_read_timestamp=parse_date(data.get("LastConsumptionTimestamp"), "LastConsumptionTimestamp"),
    )
    return json_response(chat_member(base_url(request), e.store.account_sid, conv, part), 201)


async def update_member(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    part = e.store.find_participant(conv, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_conversation(conv.sid)
    if data.get("RoleSid"):
        part.role_sid = e.store.role(conv.service_sid, data["RoleSid"], request.path).sid
    if "Attributes" in data:
        part.attributes = check_attributes(data["Attributes"], "Attributes", 4096) or "{}"
    if "DateCreated" in data:
        part.date_created = parse_date(data["DateCreated"], "DateCreated") or part.date_created
    apply_read_horizon(part, parse_int(data.get("LastConsumedMessageIndex"), "LastConsumedMessageIndex"),
                       parse_date(data.get("LastConsumptionTimestamp"), "LastConsumptionTimestamp"))
    part.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    return json_response(chat_member(base_url(request), e.store.account_sid, conv, part))


async def delete_member(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    part = e.store.find_participant(conv, request.match_info["Sid"], request.path)
    e.hit_conversation(conv.sid)
    del conv.participants[part.sid]
    return no_content()


# ---------------------------------------------------------------------- messages
async def create_message(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    data = await form(request)
    media_sid = data.get("MediaSid") or None
    if not data.get("Body") and not media_sid:
        raise missing("Body")
    e.hit_conversation(conv.sid)
    msg = e.store.add_message(
        conv, author=data.get("From"), body=data.get("Body") or None,
        attributes=check_attributes(data.get("Attributes"), "Attributes", 4096),
        media_sids=[media_sid] if media_sid else [],
        date_created=parse_date(data.get("DateCreated"), "DateCreated"),
        date_updated=parse_date(data.get("DateUpdated"), "DateUpdated"),
    )
    if data.get("LastUpdatedBy"):
        msg.last_updated_by = data["LastUpdatedBy"]
    return json_response(chat_message(base_url(request), e.store, conv, msg), 201)


async def update_message(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    msg = e.store.find_message(conv, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_conversation(conv.sid)
    if "Body" in data:
        msg.was_edited = msg.was_edited or data["Body"] != msg.body
        msg.body = data["Body"]
    if "Attributes" in data:
        msg.attributes = check_attributes(data["Attributes"], "Attributes", 4096) or "{}"
    if data.get("From"):
        msg.author = data["From"]
    if "LastUpdatedBy" in data:
        msg.last_updated_by = data["LastUpdatedBy"] or None
    if "DateCreated" in data:
        msg.date_created = parse_date(data["DateCreated"], "DateCreated") or msg.date_created
    msg.date_updated = parse_date(data.get("DateUpdated"), "DateUpdated") or now()
    return json_response(chat_message(base_url(request), e.store, conv, msg))


async def delete_message(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    msg = e.store.find_message(conv, request.match_info["Sid"], request.path)
    e.hit_conversation(conv.sid)
    e.store.delete_message(conv, msg)
    return no_content()


# ---------------------------------------------------------------------- Chat v3 channel migration
async def migrate_channel(request: web.Request) -> web.Response:
    """``POST /v3/Services/{IS}/Channels/{CH}``: change a channel's type (public -> private) so
    Conversations can see it, optionally attaching a messaging service."""
    e = emu(request)
    conv = _channel(request, "Sid")
    data = await form(request)
    kind = data.get("Type")
    if kind is not None and kind not in CHANNEL_TYPES:
        raise TwilioError(400, 20001, f"Invalid Type {kind!r}")
    if kind:
        conv.type = kind
    if "MessagingServiceSid" in data:
        conv.messaging_service_sid = data["MessagingServiceSid"] or None
    conv.date_updated = now()
    body = chat_channel(base_url(request), e.store.account_sid, conv)
    body.pop("links")
    body["url"] = f"{base_url(request)}/v3/Services/{conv.service_sid}/Channels/{conv.sid}"
    body["messaging_service_sid"] = conv.messaging_service_sid
    return json_response(body)


# ---------------------------------------------------------------------- channel webhooks
def _chat_method(value: str) -> str:
    if value.upper() not in ("GET", "POST"):
        raise TwilioError(400, 20001, f"Invalid Configuration.Method {value!r}")
    return value.lower()


async def create_channel_webhook(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    data = await form(request)
    kind = data.get("Type")
    if kind not in ("webhook", "trigger", "studio"):
        raise missing("Type")
    if kind != "studio" and not data.get("Configuration.Url"):
        raise missing("Configuration.Url")
    hook = e.store.add_conversation_webhook(
        conv, target=kind, url=data.get("Configuration.Url") or None,
        method=_chat_method(data.get("Configuration.Method", "POST")),
        filters=[f for f in data.getall("Configuration.Filters", []) if f],
        triggers=[t for t in data.getall("Configuration.Triggers", []) if t],
        flow_sid=data.get("Configuration.FlowSid") or None, replay_after=None,
    )
    hook.retry_count = parse_int(data.get("Configuration.RetryCount"), "Configuration.RetryCount") or 0
    return json_response(chat_channel_webhook(base_url(request), e.store.account_sid, conv, hook), 201)


async def update_channel_webhook(request: web.Request) -> web.Response:
    e = emu(request)
    conv = _channel(request)
    hook = find_by_sid(request, conv.webhooks)
    data = await form(request)
    if "Configuration.Url" in data:
        hook.url = data["Configuration.Url"] or None
    if "Configuration.Method" in data:
        hook.method = _chat_method(data["Configuration.Method"])
    if "Configuration.Filters" in data:
        hook.filters = [f for f in data.getall("Configuration.Filters") if f]
    if "Configuration.Triggers" in data:
        hook.triggers = [t for t in data.getall("Configuration.Triggers") if t]
    if "Configuration.FlowSid" in data:
        hook.flow_sid = data["Configuration.FlowSid"] or None
    if "Configuration.RetryCount" in data:
        hook.retry_count = parse_int(data["Configuration.RetryCount"], "Configuration.RetryCount") or 0
    hook.date_updated = now()
    return json_response(chat_channel_webhook(base_url(request), e.store.account_sid, conv, hook))


async def delete_channel_webhook(request: web.Request) -> web.Response:
    conv = _channel(request)
    del conv.webhooks[find_by_sid(request, conv.webhooks).sid]
    return no_content()


async def list_bindings(request: web.Request) -> web.Response:
    """Push bindings (service or user level): always empty, the stand-in has no push channel."""
    e = emu(request)
    service = _service(request)
    if "UserSid" in request.match_info:
        e.store.find_user(service.sid, request.match_info["UserSid"], request.path)
    return list_page(request, "bindings", [], lambda b: b)


# ---------------------------------------------------------------------- users and roles
async def create_user(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    data = await form(request)
    if not data.get("Identity"):
        raise missing("Identity")
    e.hit_service(service.sid)
    user = e.store.create_user(service.sid, data["Identity"], friendly_name=data.get("FriendlyName") or None,
                               attributes=check_attributes(data.get("Attributes"), "Attributes", 16 * 1024),
                               role_sid=data.get("RoleSid") or None)
    return json_response(chat_user(base_url(request), e.store, user, 0), 201)


async def update_user(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    user = e.store.find_user(service.sid, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_service(service.sid)
    if "FriendlyName" in data:
        user.friendly_name = data["FriendlyName"] or None
    if "Attributes" in data:
        user.attributes = check_attributes(data["Attributes"], "Attributes", 16 * 1024) or "{}"
    if data.get("RoleSid"):
        user.role_sid = e.store.role(service.sid, data["RoleSid"], request.path).sid
    user.date_updated = now()
    return json_response(chat_user(base_url(request), e.store, user, _joined(e.store, service.sid, user.identity)))


async def delete_user(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    user = e.store.find_user(service.sid, request.match_info["Sid"], request.path)
    e.hit_service(service.sid)
    e.store.delete_user(user)
    return no_content()


async def list_user_channels(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    user = e.store.find_user(service.sid, request.match_info["UserSid"], request.path)
    base = base_url(request)
    return list_page(request, "channels", e.store.user_memberships(user),
                 lambda cp: chat_user_channel(base, e.store, user, cp[0], cp[1]))


async def create_role(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    data = await form(request)
    for param in ("FriendlyName", "Type", "Permission"):
        if not data.get(param):
            raise missing(param)
    kinds = {"channel": "conversation", "deployment": "service"}
    if data["Type"] not in kinds:
        raise TwilioError(400, 20001, f"Invalid Type {data['Type']!r}")
    role = e.store.create_role(service.sid, data["FriendlyName"], kinds[data["Type"]], data.getall("Permission"))
    return json_response(chat_role(base_url(request), e.store.account_sid, role), 201)


async def update_role(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    role = e.store.role(service.sid, request.match_info["Sid"], request.path)
    data = await form(request)
    if not data.get("Permission"):
        raise missing("Permission")
    role.permissions = data.getall("Permission")
    role.date_updated = now()
    return json_response(chat_role(base_url(request), e.store.account_sid, role))


async def delete_role(request: web.Request) -> web.Response:
    e = emu(request)
    service = _service(request)
    role = e.store.role(service.sid, request.match_info["Sid"], request.path)
    del e.store.roles[role.sid]
    return no_content()


# ---------------------------------------------------------------------- lists and fetches
@dataclass(frozen=True)
class InService:
    """The site and the service named in the path (``ServiceSid``)."""

    site: Site
    service: Service


@dataclass(frozen=True)
class InChannel:
    """The site and the channel named in the path (``ChannelSid``)."""

    site: Site
    conv: Conversation


def in_service(request: web.Request) -> InService:
    return InService(site_of(request), _service(request))


def in_channel(request: web.Request) -> InChannel:
    return InChannel(site_of(request), _channel(request))


def _channels(request: web.Request, at: InService) -> list[Conversation]:
    """The channels of the ``Type`` query values (repeatable, default ``public``)."""
    types = tuple(request.query.getall("Type", [])) or ("public",)
    for kind in types:
        if kind not in CHANNEL_TYPES:
            raise TwilioError(400, 20001, f"Invalid Type {kind!r}")
    return at.site.store.conversations_of(at.service.sid, types=types)


def _members(request: web.Request, at: InChannel) -> list[Participant]:
    """The channel's members, only those of the ``Identity`` query values when there are any."""
    identities = set(request.query.getall("Identity", []))
    return [p for p in at.conv.participants.values() if not identities or p.identity in identities]


SERVICES: Resource[Site, Service] = Resource(
    "services", site_of, lambda _, site: list(site.store.services.values()),
    lambda request, site: site.store.service(request.match_info["Sid"], request.path),
    lambda site, service: chat_service(site.base, site.store.account_sid, service))
CHANNELS: Resource[InService, Conversation] = Resource(
    "channels", in_service, _channels,
    lambda request, at: at.site.store.find_conversation(at.service.sid, request.match_info["Sid"], request.path,
                                                        include_public=True),
    lambda at, conv: chat_channel(at.site.base, at.site.store.account_sid, conv))
MEMBERS: Resource[InChannel, Participant] = Resource(
    "members", in_channel, _members,
    lambda request, at: at.site.store.find_participant(at.conv, request.match_info["Sid"], request.path),
    lambda at, part: chat_member(at.site.base, at.site.store.account_sid, at.conv, part))
MESSAGES: Resource[InChannel, Message] = Resource(
    "messages", in_channel, lambda _, at: at.conv.messages,
    lambda request, at: at.site.store.find_message(at.conv, request.match_info["Sid"], request.path),
    lambda at, msg: chat_message(at.site.base, at.site.store, at.conv, msg), keys=lambda at: at.conv.indices)
CHANNEL_WEBHOOKS: Resource[InChannel, ConversationWebhook] = Resource(
    "webhooks", in_channel, lambda _, at: list(at.conv.webhooks.values()),
    lambda request, at: find_by_sid(request, at.conv.webhooks),
    lambda at, hook: chat_channel_webhook(at.site.base, at.site.store.account_sid, at.conv, hook))
USERS: Resource[InService, User] = Resource(
    "users", in_service, lambda _, at: at.site.store.users_of(at.service.sid),
    lambda request, at: at.site.store.find_user(at.service.sid, request.match_info["Sid"], request.path),
    lambda at, user: chat_user(at.site.base, at.site.store, user, _joined(at.site.store, at.service.sid,
                                                                          user.identity)))
ROLES: Resource[InService, Role] = Resource(
    "roles", in_service, lambda _, at: at.site.store.roles_of(at.service.sid),
    lambda request, at: at.site.store.role(at.service.sid, request.match_info["Sid"], request.path),
    lambda at, role: chat_role(at.site.base, at.site.store.account_sid, role))


def add_routes(app: web.Application) -> None:
    """Register the Chat v2 routes (names ``<request class>:v2-<name>``)."""
    svc = "/v2/Services/{ServiceSid}"
    chan = f"{svc}/Channels/{{ChannelSid}}"
    routes: list[tuple[str, str, Any, str]] = [
        ("GET", "/v2/Services", SERVICES.list, "list:services"),
        ("POST", "/v2/Services", create_service, "create:services"),
        ("GET", "/v2/Services/{Sid}", SERVICES.fetch, "fetch:service"),
        ("POST", "/v2/Services/{Sid}", update_service, "update:service"),
        ("DELETE", "/v2/Services/{Sid}", delete_service, "delete:service"),
        ("GET", f"{svc}/Channels", CHANNELS.list, "list:channels"),
        ("POST", f"{svc}/Channels", create_channel, "create:channels"),
        ("GET", f"{svc}/Channels/{{Sid}}", CHANNELS.fetch, "fetch:channel"),
        ("POST", f"{svc}/Channels/{{Sid}}", update_channel, "update:channel"),
        ("DELETE", f"{svc}/Channels/{{Sid}}", delete_channel, "delete:channel"),
        ("GET", f"{chan}/Members", MEMBERS.list, "list:members"),
        ("POST", f"{chan}/Members", create_member, "create:members"),
        ("GET", f"{chan}/Members/{{Sid}}", MEMBERS.fetch, "fetch:member"),
        ("POST", f"{chan}/Members/{{Sid}}", update_member, "update:member"),
        ("DELETE", f"{chan}/Members/{{Sid}}", delete_member, "delete:member"),
        ("GET", f"{chan}/Messages", MESSAGES.list, "list:messages"),
        ("POST", f"{chan}/Messages", create_message, "create:messages"),
        ("GET", f"{chan}/Messages/{{Sid}}", MESSAGES.fetch, "fetch:message"),
        ("POST", f"{chan}/Messages/{{Sid}}", update_message, "update:message"),
        ("DELETE", f"{chan}/Messages/{{Sid}}", delete_message, "delete:message"),
        ("GET", f"{chan}/Webhooks", CHANNEL_WEBHOOKS.list, "list:channel-webhooks"),
        ("POST", f"{chan}/Webhooks", create_channel_webhook, "create:channel-webhooks"),
        ("GET", f"{chan}/Webhooks/{{Sid}}", CHANNEL_WEBHOOKS.fetch, "fetch:channel-webhook"),
        ("POST", f"{chan}/Webhooks/{{Sid}}", update_channel_webhook, "update:channel-webhook"),
        ("DELETE", f"{chan}/Webhooks/{{Sid}}", delete_channel_webhook, "delete:channel-webhook"),
        ("GET", f"{svc}/Bindings", list_bindings, "list:bindings"),
        ("GET", f"{svc}/Users/{{UserSid}}/Bindings", list_bindings, "list:user-bindings"),
        ("GET", f"{svc}/Users", USERS.list, "list:users"),
        ("POST", f"{svc}/Users", create_user, "create:users"),
        ("GET", f"{svc}/Users/{{Sid}}", USERS.fetch, "fetch:user"),
        ("POST", f"{svc}/Users/{{Sid}}", update_user, "update:user"),
        ("DELETE", f"{svc}/Users/{{Sid}}", delete_user, "delete:user"),
        ("GET", f"{svc}/Users/{{UserSid}}/Channels", list_user_channels, "list:user-channels"),
        ("GET", f"{svc}/Roles", ROLES.list, "list:roles"),
        ("POST", f"{svc}/Roles", create_role, "create:roles"),
        ("GET", f"{svc}/Roles/{{Sid}}", ROLES.fetch, "fetch:role"),
        ("POST", f"{svc}/Roles/{{Sid}}", update_role, "update:role"),
        ("DELETE", f"{svc}/Roles/{{Sid}}", delete_role, "delete:role"),
    ]
    for method, path, handler, name in routes:
        klass, _, rest = name.partition(":")
        app.router.add_route(method, path, handler, name=f"{klass}:v2-{rest}")
    app.router.add_post("/v3/Services/{ServiceSid}/Channels/{Sid}", migrate_channel, name="update:v3-channel")

"""Conversations v1: Users, User Conversations, Participant Conversations and Roles."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .context import emu, form, json_response, no_content, webhooks_enabled
from .errors import TwilioError, missing, not_found
from .formats import check_attributes, now, parse_date, parse_int
from .models import Conversation, Participant, Role, User
from .resources import Resource, list_page
from .v1_common import (
    apply_read_horizon,
    scope_of,
)
from .views import V1Scope
from .webhooks import user_params

# ---------------------------------------------------------------------- users
USERS: Resource[V1Scope, User] = Resource(
    "users", scope_of, lambda request, scope: emu(request).store.users_of(scope.service_sid),
    lambda request, scope: emu(request).store.find_user(scope.service_sid, request.match_info["Sid"], request.path),
    lambda scope, user: scope.user(user, single=False), render_one=lambda scope, user: scope.user(user, single=True))


async def create_user(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    data = await form(request)
    identity = data.get("Identity")
    if not identity:
        raise missing("Identity")
    e.hit_service(scope.service_sid)
    role_sid = data.get("RoleSid") or None
    if role_sid:
        e.store.role(scope.service_sid, role_sid, request.path)
    user = e.store.create_user(scope.service_sid, identity, friendly_name=data.get("FriendlyName") or None,
                               attributes=check_attributes(data.get("Attributes"), "Attributes", 16 * 1024),
                               role_sid=role_sid)
    if webhooks_enabled(request):
        e.webhooks.fire_service(e.store, scope.service_sid, "onUserAdded", user_params(user, "onUserAdded"))
    return json_response(scope.user(user, single=True), 201)


async def update_user(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    user = e.store.find_user(scope.service_sid, request.match_info["Sid"], request.path)
    data = await form(request)
    e.hit_service(scope.service_sid)
    if "FriendlyName" in data:
        user.friendly_name = data["FriendlyName"] or None
    if "Attributes" in data:
        user.attributes = check_attributes(data["Attributes"], "Attributes", 16 * 1024) or "{}"
    if data.get("RoleSid"):
        user.role_sid = e.store.role(scope.service_sid, data["RoleSid"], request.path).sid
    user.date_updated = now()
    if webhooks_enabled(request):
        e.webhooks.fire_service(e.store, scope.service_sid, "onUserUpdated", user_params(user, "onUserUpdated"))
    return json_response(scope.user(user, single=True))


async def delete_user(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    user = e.store.find_user(scope.service_sid, request.match_info["Sid"], request.path)
    e.hit_service(scope.service_sid)
    e.store.delete_user(user)
    return no_content()


def _membership(request: web.Request, scope: V1Scope) -> tuple[Any, Conversation, Participant]:
    e = emu(request)
    user = e.store.find_user(scope.service_sid, request.match_info["UserSid"], request.path)
    conv = e.store.find_conversation(scope.service_sid, request.match_info["ConversationSid"], request.path,
                                     include_public=False)
    part = conv.participant_by_identity(user.identity)
    if part is None:
        raise not_found(request.path)
    return user, conv, part


async def list_user_conversations(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    user = e.store.find_user(scope.service_sid, request.match_info["UserSid"], request.path)
    pairs = [(c, p) for c, p in e.store.user_memberships(user) if c.type == "private"]
    return list_page(request, "conversations", pairs, lambda cp: scope.user_conversation(user, cp[0], cp[1]))


async def fetch_user_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    user, conv, part = _membership(request, scope)
    return json_response(scope.user_conversation(user, conv, part))


async def update_user_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    user, conv, part = _membership(request, scope)
    data = await form(request)
    index = parse_int(data.get("LastReadMessageIndex"), "LastReadMessageIndex")
    apply_read_horizon(part, index, parse_date(data.get("LastReadTimestamp"), "LastReadTimestamp"))
    return json_response(scope.user_conversation(user, conv, part))


async def delete_user_conversation(request: web.Request) -> web.Response:
    scope = scope_of(request)
    _user, conv, part = _membership(request, scope)
    del conv.participants[part.sid]
    return no_content()


async def list_participant_conversations(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    identity = request.query.get("Identity")
    address = request.query.get("Address")
    if not identity and not address:
        raise TwilioError(400, 20001, "Either Identity or Address is required")
    pairs = []
    for conv in e.store.conversations_of(scope.service_sid):
        for part in conv.participants.values():
            if (identity and part.identity == identity) or (
                    address and part.messaging_binding and part.messaging_binding.get("address") == address):
                pairs.append((conv, part))
    return list_page(request, "conversations", pairs, lambda cp: scope.participant_conversation(cp[0], cp[1]))


# ---------------------------------------------------------------------- roles
ROLES: Resource[V1Scope, Role] = Resource(
    "roles", scope_of, lambda request, scope: emu(request).store.roles_of(scope.service_sid),
    lambda request, scope: emu(request).store.role(scope.service_sid, request.match_info["Sid"], request.path),
    lambda scope, role: scope.role(role))


async def create_role(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    data = await form(request)
    for param in ("FriendlyName", "Type", "Permission"):
        if not data.get(param):
            raise missing(param)
    if data["Type"] not in ("conversation", "service"):
        raise TwilioError(400, 20001, f"Invalid Type {data['Type']!r}")
    e.hit_service(scope.service_sid)
    role = e.store.create_role(scope.service_sid, data["FriendlyName"], data["Type"], data.getall("Permission"))
    return json_response(scope.role(role), 201)


async def update_role(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    role = e.store.role(scope.service_sid, request.match_info["Sid"], request.path)
    data = await form(request)
    if not data.get("Permission"):
        raise missing("Permission")
    e.hit_service(scope.service_sid)
    role.permissions = data.getall("Permission")
    role.date_updated = now()
    return json_response(scope.role(role))


async def delete_role(request: web.Request) -> web.Response:
    scope = scope_of(request)
    e = emu(request)
    role = e.store.role(scope.service_sid, request.match_info["Sid"], request.path)
    e.hit_service(scope.service_sid)
    del e.store.roles[role.sid]
    return no_content()

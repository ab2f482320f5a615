"""Helpers shared by the Conversations v1 route modules: scope, lookups, webhooks, read horizons."""

from __future__ import annotations

from aiohttp import web

from .context import base_url, emu, webhooks_enabled
from .errors import TwilioError
from .formats import now
from .models import Conversation, Participant
from .views import V1Scope

STATES = ("active", "inactive", "closed")


def scope_of(request: web.Request) -> V1Scope:
    """The default service for ``/v1/...`` routes, the named one (404 if unknown) under ``/v1/Services/{IS}``."""
    e = emu(request)
    service_sid = request.match_info.get("ChatServiceSid")
    if service_sid is None:
        return V1Scope(base_url(request), e.store, e.store.config.default_chat_service_sid, scoped=False)
    e.store.service(service_sid, request.path)
    return V1Scope(base_url(request), e.store, service_sid, scoped=True)


def conversation_of(request: web.Request, scope: V1Scope, key: str = "ConversationSid") -> Conversation:
    """The conversation named in the path (SID or unique name); public channels are 404 here."""
    return emu(request).store.find_conversation(scope.service_sid, request.match_info[key], request.path,
                                                include_public=False)


def fire(request: web.Request, conv: Conversation, event: str, params: dict[str, str]) -> None:
    """Queue a post-event webhook, only if the REST request had ``X-Twilio-Webhook-Enabled: true``."""
    if webhooks_enabled(request):
        e = emu(request)
        e.webhooks.fire(e.store, conv, event, params)


def http_method(value: str) -> str:
    """``GET``/``POST`` in any case, returned lower-case; 400 otherwise."""
    if value.upper() not in ("GET", "POST"):
        raise TwilioError(400, 20001, f"Invalid Method {value!r}")
    return value.lower()


def apply_read_horizon(part: Participant, index: int | None, timestamp: int | None) -> None:
    """Set ``last_read_message_index`` / ``last_read_timestamp`` (timestamp defaults to now)."""
    if index is not None:
        part.last_read_message_index = index
        part.last_read_timestamp = timestamp if timestamp is not None else now()
    elif timestamp is not None:
        part.last_read_timestamp = timestamp

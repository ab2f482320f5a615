"""Conversations v1: Services, account and service Configuration (webhooks, notifications), Bindings."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .context import base_url, emu, form, json_response, no_content
from .errors import TwilioError, missing
from .formats import parse_duration
from .models import Service
from .resources import Resource, Site, list_page, site_of
from .v1_common import http_method
from .views import service_v1

# ---------------------------------------------------------------------- services
SERVICES: Resource[Site, Service] = Resource(
    "services", site_of, lambda _, site: list(site.store.services.values()),
    lambda request, site: site.store.service(request.match_info["Sid"], request.path),
    lambda site, service: service_v1(site.base, site.store.account_sid, service))


async def create_service(request: web.Request) -> web.Response:
    e = emu(request)
    data = await form(request)
    name = data.get("FriendlyName")
    if not name:
        raise missing("FriendlyName")
    service = e.store.create_service(name)
    return json_response(service_v1(base_url(request), e.store.account_sid, service), 201)


async def delete_service(request: web.Request) -> web.Response:
    e = emu(request)
    service = e.store.service(request.match_info["Sid"], request.path)
    if service.sid == e.store.config.default_chat_service_sid:
        raise TwilioError(400, 50300, "The default Conversation Service cannot be deleted")
    e.store.delete_service(service)
    return no_content()


# ---------------------------------------------------------------------- configuration
def _configuration(request: web.Request) -> dict[str, Any]:
    e = emu(request)
    cfg = e.store.config
    base = base_url(request)
    return {
        "account_sid": e.store.account_sid,
        "default_chat_service_sid": cfg.default_chat_service_sid,
        "default_messaging_service_sid": cfg.default_messaging_service_sid,
        "default_inactive_timer": cfg.default_inactive_timer,
        "default_closed_timer": cfg.default_closed_timer,
        "url": f"{base}/v1/Configuration",
        "links": {
            "service": f"{base}/v1/Services/{cfg.default_chat_service_sid}",
            "webhooks": f"{base}/v1/Configuration/Webhooks",
        },
    }


async def fetch_configuration(request: web.Request) -> web.Response:
    return json_response(_configuration(request))


async def update_configuration(request: web.Request) -> web.Response:
    e = emu(request)
    data = await form(request)
    cfg = e.store.config
    if "DefaultChatServiceSid" in data:
        cfg.default_chat_service_sid = e.store.service(data["DefaultChatServiceSid"], request.path).sid
    if "DefaultMessagingServiceSid" in data:
        cfg.default_messaging_service_sid = data["DefaultMessagingServiceSid"] or None
    if "DefaultInactiveTimer" in data:
        parse_duration(data["DefaultInactiveTimer"], "DefaultInactiveTimer", 60)
        cfg.default_inactive_timer = data["DefaultInactiveTimer"] or None
    if "DefaultClosedTimer" in data:
        parse_duration(data["DefaultClosedTimer"], "DefaultClosedTimer", 600)
        cfg.default_closed_timer = data["DefaultClosedTimer"] or None
    return json_response(_configuration(request))


def _configuration_webhooks(request: web.Request) -> dict[str, Any]:
    e = emu(request)
    cfg = e.store.config
    return {
        "account_sid": e.store.account_sid,
        "method": cfg.webhook_method.upper(),
        "filters": cfg.webhook_filters,
        "pre_webhook_url": cfg.pre_webhook_url,
        "post_webhook_url": cfg.post_webhook_url,
        "target": cfg.webhook_target,
        "url": f"{base_url(request)}/v1/Configuration/Webhooks",
    }


async def fetch_configuration_webhooks(request: web.Request) -> web.Response:
    return json_response(_configuration_webhooks(request))


async def update_configuration_webhooks(request: web.Request) -> web.Response:
    cfg = emu(request).store.config
    data = await form(request)
    if "Method" in data:
        cfg.webhook_method = http_method(data["Method"]).upper()
    if "Filters" in data:
        cfg.webhook_filters = [f for f in data.getall("Filters") if f]
    if "PreWebhookUrl" in data:
        cfg.pre_webhook_url = data["PreWebhookUrl"] or None
    if "PostWebhookUrl" in data:
        cfg.post_webhook_url = data["PostWebhookUrl"] or None
    if "Target" in data:
        if data["Target"] not in ("webhook", "flex"):
            raise TwilioError(400, 20001, "Target must be webhook or flex")
        cfg.webhook_target = data["Target"]
    return json_response(_configuration_webhooks(request))




def _service_configuration(request: web.Request) -> dict[str, Any]:
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    url = f"{base_url(request)}/v1/Services/{service.sid}/Configuration"
    return {
        "chat_service_sid": service.sid,
        "default_conversation_creator_role_sid": service.default_conversation_creator_role_sid,
        "default_conversation_role_sid": service.default_conversation_role_sid,
        "default_chat_service_role_sid": service.default_chat_service_role_sid,
        "url": url,
        "links": {"notifications": f"{url}/Notifications", "webhooks": f"{url}/Webhooks"},
        "reachability_enabled": service.reachability_enabled,
    }


async def fetch_service_configuration(request: web.Request) -> web.Response:
    return json_response(_service_configuration(request))


async def update_service_configuration(request: web.Request) -> web.Response:
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    data = await form(request)
    for param, attr in (("DefaultConversationCreatorRoleSid", "default_conversation_creator_role_sid"),
                        ("DefaultConversationRoleSid", "default_conversation_role_sid"),
                        ("DefaultChatServiceRoleSid", "default_chat_service_role_sid")):
        if param in data:
            setattr(service, attr, e.store.role(service.sid, data[param], request.path).sid)
    if "ReachabilityEnabled" in data:
        service.reachability_enabled = data["ReachabilityEnabled"].lower() == "true"
    return json_response(_service_configuration(request))


def _service_webhooks(request: web.Request) -> dict[str, Any]:
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    return {
        "account_sid": e.store.account_sid,
        "chat_service_sid": service.sid,
        "pre_webhook_url": service.pre_webhook_url,
        "post_webhook_url": service.post_webhook_url,
        "filters": service.webhook_filters,
        "method": service.webhook_method.upper(),
        "url": f"{base_url(request)}/v1/Services/{service.sid}/Configuration/Webhooks",
    }


async def fetch_service_webhooks(request: web.Request) -> web.Response:
    return json_response(_service_webhooks(request))


async def update_service_webhooks(request: web.Request) -> web.Response:
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    data = await form(request)
    if "PreWebhookUrl" in data:
        service.pre_webhook_url = data["PreWebhookUrl"] or None
    if "PostWebhookUrl" in data:
        service.post_webhook_url = data["PostWebhookUrl"] or None
    if "Filters" in data:
        service.webhook_filters = [f for f in data.getall("Filters") if f]
    if "Method" in data:
        service.webhook_method = http_method(data["Method"]).upper()
    return json_response(_service_webhooks(request))


def _notifications(request: web.Request) -> dict[str, Any]:
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    return {
        "account_sid": e.store.account_sid,
        "chat_service_sid": service.sid,
        **service.push,
        "url": f"{base_url(request)}/v1/Services/{service.sid}/Configuration/Notifications",
    }


async def fetch_notifications(request: web.Request) -> web.Response:
    return json_response(_notifications(request))


async def update_notifications(request: web.Request) -> web.Response:
    """``NewMessage.WithMedia.Enabled=true`` sets ``new_message.with_media.enabled``, and so on."""
    e = emu(request)
    service = e.store.service(request.match_info["ChatServiceSid"], request.path)
    data = await form(request)
    for key, value in data.items():
        path = [re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower() for part in key.split(".")]
        node = service.push
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                raise TwilioError(400, 20001, f"Unknown parameter {key}")
            node = child
        if path[-1] not in node:
            raise TwilioError(400, 20001, f"Unknown parameter {key}")
        is_flag = path[-1] in ("enabled", "log_enabled", "badge_count_enabled")
        node[path[-1]] = (value.lower() == "true") if is_flag else (value or None)
    return json_response(_notifications(request))


async def list_bindings(request: web.Request) -> web.Response:
    """Push bindings: the stand-in has no push channel, so the list is always empty."""
    emu(request).store.service(request.match_info["ChatServiceSid"], request.path)
    return list_page(request, "bindings", [], lambda b: b)

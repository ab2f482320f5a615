"""Post-event webhooks: Twilio's form fields, ``X-Twilio-Signature``, ordered async delivery.

Targets, in Twilio's order: conversation-scoped webhooks (``target=webhook``), the service's
``post_webhook_url`` and, for the default service, the account ``/v1/Configuration/Webhooks``.
An empty filter list means every post event. REST actions fire events only when the request
had ``X-Twilio-Webhook-Enabled: true`` (the route modules check that).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from .formats import fmt_date_ms
from .models import Conversation, Message, Participant, User
from .store import Store

log = logging.getLogger("emulators.twilio.webhooks")


def compute_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """``base64(HMAC-SHA1(auth_token, url + sorted name+value pairs))``, as RequestValidator checks."""
    payload = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Delivery:
    """One queued webhook request."""

    event: str
    url: str
    method: str
    params: dict[str, str]


class WebhookDispatcher:
    """Queues events and posts them one by one (ordered) from a background task."""

    def __init__(self, auth_token: str, *, timeout: float = 5.0, log_size: int = 2000,
                 allow_remote: bool = False) -> None:
        self.auth_token = auth_token
        self.allow_remote = allow_remote
        self.timeout = timeout
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=log_size)
        self._queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.pending = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    async def drain(self, limit: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted; False after ``limit`` seconds."""
        try:
            await asyncio.wait_for(self._idle.wait(), limit)
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ firing
    def fire(self, store: Store, conv: Conversation, event: str, params: dict[str, str]) -> None:
        """Queue ``event`` for every target of ``conv`` whose filters accept it."""
        service = store.services.get(conv.service_sid)
        common = {"AccountSid": store.account_sid, "EventType": event, "Source": "API", "RetryCount": "0",
                  "ChatServiceSid": conv.service_sid}
        for hook in conv.webhooks.values():
            if hook.target == "webhook" and hook.url and (not hook.filters or event in hook.filters):
                extra = {"WebhookSid": hook.sid, "WebhookType": "webhook"}
                self._queue_one(Delivery(event, hook.url, hook.method.upper(), {**common, **extra, **params}))
        if service is not None and service.post_webhook_url and _accepts(service.webhook_filters, event):
            self._queue_one(Delivery(event, service.post_webhook_url, service.webhook_method.upper(),
                                     {**common, **params}))
        cfg = store.config
        is_default = conv.service_sid == cfg.default_chat_service_sid
        if is_default and cfg.post_webhook_url and cfg.webhook_target == "webhook" \
                and _accepts(cfg.webhook_filters, event):
            self._queue_one(Delivery(event, cfg.post_webhook_url, cfg.webhook_method.upper(), {**common, **params}))

    def fire_service(self, store: Store, service_sid: str, event: str, params: dict[str, str]) -> None:
        """Queue a service-level event (``onUserAdded``/``onUserUpdated``): service and account targets."""
        service = store.services.get(service_sid)
        common = {"AccountSid": store.account_sid, "EventType": event, "Source": "API", "RetryCount": "0",
                  "ChatServiceSid": service_sid}
        if service is not None and service.post_webhook_url and _accepts(service.webhook_filters, event):
            self._queue_one(Delivery(event, service.post_webhook_url, service.webhook_method.upper(),
                                     {**common, **params}))
        cfg = store.config
        if service_sid == cfg.default_chat_service_sid and cfg.post_webhook_url and cfg.webhook_target == "webhook" \
                and _accepts(cfg.webhook_filters, event):
            self._queue_one(Delivery(event, cfg.post_webhook_url, cfg.webhook_method.upper(), {**common, **params}))

    def _queue_one(self, delivery: Delivery) -> None:
        self.pending += 1
        self._idle.clear()
        self._queue.put_nowait(delivery)

    async def _run(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._send(delivery)
            finally:
                self.pending -= 1
                if not self.pending:
                    self._idle.set()

    async def _send(self, delivery: Delivery) -> None:
        assert self._session is not None
        entry: dict[str, Any] = {"event": delivery.event, "url": delivery.url, "method": delivery.method,
                                 "params": delivery.params, "status": None, "error": None}
        if not self.allow_remote and not is_loopback_url(delivery.url):
            entry["error"] = "not sent: only loopback targets are allowed (start with --allow-remote-webhooks)"
            self.log.append(entry)
            return
        try:
            if delivery.method == "GET":
                sep = "&" if urlsplit(delivery.url).query else "?"
                url = f"{delivery.url}{sep}{urlencode(delivery.params)}"
                signature = compute_signature(self.auth_token, url, {})
                headers = {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": _token(delivery)}
                async with self._session.get(URL(url, encoded=True), headers=headers) as response:
                    entry["status"] = response.status
            else:
                signature = compute_signature(self.auth_token, delivery.url, delivery.params)
                headers = {"X-Twilio-Signature": signature, "I-Twilio-Idempotency-Token": _token(delivery),
                           "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
                async with self._session.post(delivery.url, data=urlencode(delivery.params),
                                              headers=headers) as response:
                    entry["status"] = response.status
            entry["signature"] = signature
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
            log.warning("webhook %s to %s failed: %s", delivery.event, delivery.url, exc)
        self.log.append(entry)


def is_loopback_url(url: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _accepts(filters: list[str], event: str) -> bool:
    return not filters or event in filters


def _token(delivery: Delivery) -> str:
    raw = json.dumps([delivery.event, delivery.url, sorted(delivery.params.items())])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------- Twilio's form fields
def conversation_params(conv: Conversation, *, removed: bool = False) -> dict[str, str]:
    """Fields of onConversationAdded/Updated/Removed."""
    params = {
        "ConversationSid": conv.sid,
        "DateCreated": fmt_date_ms(conv.date_created),
        "DateUpdated": fmt_date_ms(conv.date_updated),
        "FriendlyName": conv.friendly_name or "",
        "UniqueName": conv.unique_name or "",
        "Attributes": conv.attributes,
        "ChatServiceSid": conv.service_sid,
        "MessagingServiceSid": conv.messaging_service_sid or "",
        "State": conv.state,
    }
    if removed:
        params["DateRemoved"] = fmt_date_ms(time.time())
    return _compact(params)


def message_params(store: Store, conv: Conversation, msg: Message, event: str) -> dict[str, str]:
    """Fields of onMessageAdded/Updated/Removed (``Media`` as a JSON string with PascalCase keys)."""
    params = {
        "ConversationSid": conv.sid,
        "MessageSid": msg.sid,
        "Index": str(msg.index),
        "DateCreated": fmt_date_ms(msg.date_created),
        "Body": msg.body or "",
        "Author": msg.author,
        "ParticipantSid": msg.participant_sid or "",
        "Attributes": msg.attributes,
    }
    if event == "onMessageAdded":
        params["MessagingServiceSid"] = conv.messaging_service_sid or ""
    else:
        params["DateUpdated"] = fmt_date_ms(msg.date_updated or msg.date_created)
    if event == "onMessageRemoved":
        params["DateRemoved"] = fmt_date_ms(time.time())
    media = [store.media[s] for s in msg.media_sids if s in store.media]
    if media:
        params["Media"] = json.dumps([
            {"Sid": m.sid, "Filename": m.filename, "ContentType": m.content_type, "Size": m.size} for m in media
        ])
    return _compact(params)


def participant_params(conv: Conversation, part: Participant, event: str) -> dict[str, str]:
    """Fields of onParticipantAdded/Updated/Removed."""
    binding = part.messaging_binding or {}
    params = {
        "ConversationSid": conv.sid,
        "ParticipantSid": part.sid,
        "DateCreated": fmt_date_ms(part.date_created),
        "Identity": part.identity or "",
        "RoleSid": part.role_sid or "",
        "Attributes": part.attributes,
        "MessagingBinding.ProxyAddress": binding.get("proxy_address", ""),
        "MessagingBinding.Address": binding.get("address", ""),
        "MessagingBinding.ProjectedAddress": binding.get("projected_address", ""),
        "MessagingBinding.Type": binding.get("type", "chat").upper() if binding else "CHAT",
    }
    if event != "onParticipantAdded":
        params["DateUpdated"] = fmt_date_ms(part.date_updated)
    if event == "onParticipantUpdated" and part.last_read_message_index is not None:
        params["LastReadMessageIndex"] = str(part.last_read_message_index)
    if event == "onParticipantRemoved":
        params["DateRemoved"] = fmt_date_ms(time.time())
    return _compact(params)


def user_params(user: User, event: str) -> dict[str, str]:
    """Fields of onUserAdded/onUserUpdated (``isOnline``/``isNotifiable`` spelled as Twilio documents)."""
    params = {
        "UserSid": user.sid,
        "DateCreated": fmt_date_ms(user.date_created),
        "Identity": user.identity,
        "RoleSid": user.role_sid or "",
        "Attributes": user.attributes,
        "FriendlyName": user.friendly_name or "",
    }
    if event == "onUserUpdated":
        params.update({"DateUpdated": fmt_date_ms(user.date_updated), "isOnline": "false", "isNotifiable": "false"})
    return _compact(params)


def _compact(params: dict[str, str]) -> dict[str, str]:
    """Twilio leaves empty optional fields out of the form."""
    return {k: v for k, v in params.items() if v != ""}

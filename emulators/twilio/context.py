"""The per-server context (settings, store, injector, limiter, webhooks, counters) and request helpers."""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy, MultiMapping

from . import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN
from .faults import FaultConfig, FaultInjector, WriteLimiter
from .formats import SidFactory
from .store import Store
from .webhooks import WebhookDispatcher


@dataclass
class Settings:
    """Command-line settings of one server."""

    host: str = "127.0.0.1"
    port: int = 0
    account_sid: str = DEFAULT_ACCOUNT_SID
    auth_token: str = DEFAULT_AUTH_TOKEN
    api_keys: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    time_scale: float = 1.0
    faults: FaultConfig = field(default_factory=FaultConfig)
    record: bool = False
    page_size_over_max: str = "clamp"
    media_ttl: float = 300.0
    public_url: str | None = None
    state_file: str | None = None
    allow_remote_webhooks: bool = False


class Emulator:
    """Everything one running stand-in holds."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if not settings.api_keys:
            keys = SidFactory(f"{settings.seed}:keys")
            settings.api_keys[keys.new("SK")] = keys.new("")
        self.store = Store(settings.account_sid, settings.seed)
        self.injector = FaultInjector(settings.seed, settings.faults)
        self.limiter = WriteLimiter(settings.time_scale)
        self.webhooks = WebhookDispatcher(settings.auth_token, allow_remote=settings.allow_remote_webhooks)
        self.counters: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
        self.exchanges: list[dict[str, Any]] = []
        self.recording = settings.record
        self.in_flight = 0
        self.request_number = 0
        self.max_in_flight = 0

    def reset(self) -> None:
        """Fresh state for the same account and seed (credentials, faults and counters kept)."""
        self.store = Store(self.settings.account_sid, self.settings.seed)
        self.limiter = WriteLimiter(self.settings.time_scale)

    # ------------------------------------------------------------------ limits
    def hit_conversation(self, conversation_sid: str) -> None:
        cfg = self.injector.config
        self.limiter.hit(conversation_sid, cfg.conversation_aps, cfg.retry_after)

    def hit_service(self, service_sid: str) -> None:
        cfg = self.injector.config
        self.limiter.hit(service_sid, cfg.service_aps, cfg.retry_after)


EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator", Emulator)


def emu(request: web.Request) -> Emulator:
    return request.app[EMULATOR]


def base_url(request: web.Request) -> str:
    """``scheme://host[:port]`` the client used (or ``--public-url``): every URL we emit starts with it."""
    public = request.app[EMULATOR].settings.public_url
    if public:
        return public.rstrip("/")
    return f"{request.scheme}://{request.host}"


async def form(request: web.Request) -> MultiMapping[str]:
    """The form-encoded body as strings (the query string for bodiless requests)."""
    if not request.can_read_body:
        return request.query
    data = await request.post()
    out: MultiDict[str] = MultiDict()
    for key, value in data.items():
        if isinstance(value, str):
            out.add(key, value)
    return MultiDictProxy(out)


def webhooks_enabled(request: web.Request) -> bool:
    """REST actions fire webhooks only with ``X-Twilio-Webhook-Enabled: true``."""
    return request.headers.get("X-Twilio-Webhook-Enabled", "").lower() == "true"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)

"""Admin routes under ``/_admin`` (Basic auth with the account SID and auth token).

- ``POST /_admin/reset``: empty state (a fresh default service); credentials, faults and counters kept
- ``GET /_admin/snapshot``: the whole state as JSON; ``POST /_admin/load`` (``?mode=merge`` to merge)
- ``GET /_admin/counters``: requests by route and status; ``DELETE`` clears them
- ``GET|POST|DELETE /_admin/faults``: show, replace (spec string or JSON body), restore defaults
- ``GET /_admin/exchanges``: recorded request/response pairs (``?clear=1`` empties the log);
  ``POST /_admin/recording`` ``{"enabled": bool}`` switches recording
- ``GET /_admin/webhooks``: webhook delivery log (``?wait=1`` drains the queue first)
- ``POST /_admin/api-keys``: a new API key ``{"sid", "secret"}``
- ``GET /_admin/health``: ``{"ok": true, "counts": ...}``
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .context import emu, json_response
from .errors import TwilioError
from .faults import FaultInjector, parse_fault_spec


async def reset(request: web.Request) -> web.Response:
    e = emu(request)
    e.reset()
    return json_response({"ok": True, "counts": e.store.counts()})


async def snapshot(request: web.Request) -> web.Response:
    return json_response(emu(request).store.snapshot())


async def load(request: web.Request) -> web.Response:
    e = emu(request)
    try:
        data = json.loads(await request.read())
    except ValueError as exc:
        raise TwilioError(400, 20001, f"Snapshot is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TwilioError(400, 20001, "A snapshot is a JSON object")
    counts = e.store.load(data, replace=request.query.get("mode", "replace") != "merge")
    return json_response({"ok": True, "counts": counts})


async def counters(request: web.Request) -> web.Response:
    e = emu(request)
    by_route = {route: dict(statuses) for route, statuses in sorted(e.counters.items())}
    total = sum(sum(s.values()) for s in e.counters.values())
    return json_response({"total": total, "by_route": by_route, "max_in_flight": e.max_in_flight})


async def clear_counters(request: web.Request) -> web.Response:
    e = emu(request)
    e.counters.clear()
    e.max_in_flight = 0
    return json_response({"ok": True})


async def get_faults(request: web.Request) -> web.Response:
    return json_response(emu(request).injector.config.describe())


async def set_faults(request: web.Request) -> web.Response:
    e = emu(request)
    raw = (await request.read()).decode()
    spec: Any = raw
    try:
        if raw.lstrip().startswith("{"):
            data = json.loads(raw)
            spec = data.get("spec", data)
        if not isinstance(spec, str | dict):
            raise TypeError("the spec must be a string or a JSON object")
        config = parse_fault_spec(spec)
    except (ValueError, TypeError) as exc:
        raise TwilioError(400, 20001, f"Invalid fault spec: {exc}") from exc
    e.injector = FaultInjector(e.settings.seed, config)
    return json_response(config.describe())


async def clear_faults(request: web.Request) -> web.Response:
    e = emu(request)
    e.injector = FaultInjector(e.settings.seed, e.settings.faults)
    return json_response(e.injector.config.describe())


async def exchanges(request: web.Request) -> web.Response:
    e = emu(request)
    items = list(e.exchanges)
    if request.query.get("clear") in ("1", "true"):
        e.exchanges.clear()
    return json_response({"recording": e.recording, "exchanges": items})


async def recording(request: web.Request) -> web.Response:
    e = emu(request)
    try:
        data = json.loads(await request.read() or b"{}")
    except ValueError as exc:
        raise TwilioError(400, 20001, f"Body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise TwilioError(400, 20001, 'Send {"enabled": true|false}')
    e.recording = bool(data.get("enabled", True))
    return json_response({"recording": e.recording})


async def webhook_log(request: web.Request) -> web.Response:
    e = emu(request)
    if request.query.get("wait") in ("1", "true"):
        await e.webhooks.drain()
    items = list(e.webhooks.log)
    if request.query.get("clear") in ("1", "true"):
        e.webhooks.log.clear()
    return json_response({"pending": e.webhooks.pending, "deliveries": items})


async def create_api_key(request: web.Request) -> web.Response:
    e = emu(request)
    sid = e.store.sids.new("SK")
    secret = e.store.sids.new("")
    e.settings.api_keys[sid] = secret
    return json_response({"sid": sid, "secret": secret}, 201)


async def health(request: web.Request) -> web.Response:
    return json_response({"ok": True, "counts": emu(request).store.counts()})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/_admin/reset", reset, name="admin:reset")
    r.add_get("/_admin/snapshot", snapshot, name="admin:snapshot")
    r.add_post("/_admin/load", load, name="admin:load")
    r.add_get("/_admin/counters", counters, name="admin:counters")
    r.add_delete("/_admin/counters", clear_counters, name="admin:counters-clear")
    r.add_get("/_admin/faults", get_faults, name="admin:faults")
    r.add_post("/_admin/faults", set_faults, name="admin:faults-set")
    r.add_delete("/_admin/faults", clear_faults, name="admin:faults-clear")
    r.add_get("/_admin/exchanges", exchanges, name="admin:exchanges")
    r.add_post("/_admin/recording", recording, name="admin:recording")
    r.add_get("/_admin/webhooks", webhook_log, name="admin:webhooks")
    r.add_post("/_admin/api-keys", create_api_key, name="admin:api-keys")
    r.add_get("/_admin/health", health, name="admin:health")

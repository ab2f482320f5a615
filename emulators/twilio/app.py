"""The aiohttp application: routes plus two middlewares.

``observe`` (outermost) turns errors into Twilio JSON, counts requests by route and
status, and records exchanges when recording is on. ``guard`` authenticates, applies the
concurrency ceiling and the seeded faults (latency, 429/500/503, dropped connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import admin, chat, conversations, media
from .auth import authenticate
from .context import EMULATOR, Emulator, Settings
from .errors import TwilioError, not_found, too_many_requests
from .formats import fmt_date_ms

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
log = logging.getLogger("emulators.twilio")
RECORD_BODY_LIMIT = 8 * 1024 * 1024  # JSON bodies above this are recorded without the body


def _route_name(request: web.Request) -> str:
    route = request.match_info.route
    return route.name or ""


def _route_key(request: web.Request) -> str:
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else "(unmatched)"
    return f"{request.method} {canonical}"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    e = request.app[EMULATOR]
    started = time.perf_counter()
    try:
        response = await handler(request)
    except TwilioError as exc:
        response = exc.response()
    except web.HTTPNotFound:
        response = not_found(request.path).response()
    except web.HTTPMethodNotAllowed:
        response = TwilioError(405, 20004, f"Method {request.method} not allowed on {request.path}").response()
    except web.HTTPException:
        raise
    except Exception:  # a stand-in bug: still answer like Twilio, and say so on stderr
        log.exception("unhandled error on %s %s", request.method, request.path)
        response = TwilioError(500, 20500, "Internal Server Error").response()
    if request.get("dropped"):
        e.counters[_route_key(request)]["dropped"] += 1
        return response
    e.counters[_route_key(request)][str(response.status)] += 1
    e.request_number += 1
    response.headers["Twilio-Request-Id"] = f"RQ{e.request_number:032x}"
    response.headers["Twilio-Concurrent-Requests"] = str(request.get("in_flight", 1))
    response.headers["Twilio-Request-Duration"] = f"{time.perf_counter() - started:.3f}"
    if e.recording and not _route_name(request).startswith("admin:"):
        _record(e, request, response)
    return response


def _record(e: Emulator, request: web.Request, response: web.StreamResponse) -> None:
    body: str | None = None
    content_type = response.headers.get("Content-Type", "")
    if isinstance(response, web.Response) and response.body is not None:
        raw = response.body if isinstance(response.body, bytes) else b""
        if content_type.startswith(("application/json", "application/xml", "text/")):
            body = raw[:RECORD_BODY_LIMIT].decode("utf-8", "replace") if len(raw) <= RECORD_BODY_LIMIT else None
        size = len(raw)
    else:
        size = 0
    e.exchanges.append({
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "route": _route_name(request),
        "route_pattern": _route_key(request).split(" ", 1)[1],
        "status": response.status,
        "content_type": content_type,
        "body": body,
        "size": size,
        "host": request.host,
    })


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    e = request.app[EMULATOR]
    name = _route_name(request)
    klass = name.partition(":")[0]
    if klass == "admin":
        authenticate(request, e, allow_api_keys=False)
        return await handler(request)
    if klass != "direct":
        authenticate(request, e)
    if not name:  # unmatched route: 404/405 after auth, like Twilio
        return await handler(request)
    cfg = e.injector.config
    if cfg.concurrency and e.in_flight >= cfg.concurrency:
        raise too_many_requests(f"Too Many Requests: more than {cfg.concurrency} concurrent requests",
                                retry_after=cfg.retry_after)
    e.in_flight += 1
    request["in_flight"] = e.in_flight
    e.max_in_flight = max(e.max_in_flight, e.in_flight)
    try:
        decision = e.injector.decide("media" if klass == "direct" else klass)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.drop:  # close the socket without an answer; aiohttp ignores the unsent response
            request["dropped"] = True
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=499)
        if decision.status is not None:
            raise e.injector.error_for(decision.status)
        return await handler(request)
    finally:
        e.in_flight -= 1


TICKER: web.AppKey[asyncio.Task[None]] = web.AppKey("timers", asyncio.Task)


async def run_timers(emulator: Emulator, period: float = 0.2) -> None:
    """Move conversations to inactive/closed when their timers are due (Reason ``TIMER``)."""
    while True:
        await asyncio.sleep(period)
        try:
            fire_due_timers(emulator)
        except Exception:  # the ticker must survive anything
            log.exception("conversation timer tick failed")


def fire_due_timers(emulator: Emulator) -> int:
    """One pass over the conversations with timers; returns how many changed state."""
    moment = time.time()
    changed = 0
    store = emulator.store
    for conv in list(store.conversations.values()):
        if conv.date_inactive is None and conv.date_closed is None:
            continue
        old = conv.state
        if conv.date_closed is not None and moment >= conv.date_closed:
            conv.state = "closed"
            conv.date_inactive = conv.date_closed = None
            conv.inactive_after = conv.closed_after = None
        elif conv.date_inactive is not None and moment >= conv.date_inactive and conv.state == "active":
            conv.state = "inactive"
            conv.date_inactive = None
        if conv.state != old:
            changed += 1
            conv.date_updated = int(moment)
            emulator.webhooks.fire(store, conv, "onConversationStateUpdated", {
                "ConversationSid": conv.sid, "StateFrom": old, "StateTo": conv.state, "Reason": "TIMER",
                "StateUpdated": fmt_date_ms(moment),
                **({"MessagingServiceSid": conv.messaging_service_sid} if conv.messaging_service_sid else {}),
            })
    return changed


def build_app(settings: Settings) -> web.Application:
    """An application serving Conversations v1, Chat v2, MCS and the admin routes."""
    app = web.Application(middlewares=[observe, guard], client_max_size=160 * 1024 * 1024)
    emulator = Emulator(settings)
    app[EMULATOR] = emulator
    conversations.add_routes(app)
    chat.add_routes(app)
    media.add_routes(app)
    admin.add_routes(app)

    async def on_startup(app: web.Application) -> None:
        await app[EMULATOR].webhooks.start()
        app[TICKER] = asyncio.create_task(run_timers(app[EMULATOR]))

    async def on_cleanup(app: web.Application) -> None:
        app[TICKER].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app[TICKER]
        await app[EMULATOR].webhooks.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def ready_info(settings: Settings, url: str) -> dict[str, Any]:
    """The one JSON line printed when the server accepts connections."""
    key_sid, key_secret = next(iter(settings.api_keys.items()))
    return {
        "service": "twilio",
        "url": url,
        "account_sid": settings.account_sid,
        "auth_token": settings.auth_token,
        "api_key_sid": key_sid,
        "api_key_secret": key_secret,
        "seed": settings.seed,
        "time_scale": settings.time_scale,
        "faults": settings.faults.describe(),
    }

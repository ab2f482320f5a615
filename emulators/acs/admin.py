"""Admin routes under ``/__admin`` (no auth; the server listens on loopback): state, counters, faults, events.

The real service has nothing like them; they exist for tests and for the verify step of
a rehearsal. Paths cannot collide with the ACS API (which has no ``/__admin`` prefix).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from aiohttp import web

from . import snapshot as snapshot_state
from .emulator import Emulator
from .faults import FaultSpecError, parse_spec
from .formats import identity_time
from .limits import LIMITS
from .room_state import dump_rooms, restore_rooms
from .state import User
from .tokens import SCOPES


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def _bad(message: str) -> web.Response:
    return _json({"error": message}, 400)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("expected a JSON object")
    return value


def limits_table() -> dict[str, list[dict[str, Any]]]:
    """The configured limits per operation, unscaled (stand-in only: real ACS has no such endpoint).

    Benchmarks read their floor from here, so it follows what the stand-in enforces, not the exporter's settings.
    """
    return {
        operation: [
            {"name": limit.name, "per": limit.per, "windows": [[count, seconds] for count, seconds in limit.windows]}
            for limit in limits
        ]
        for operation, limits in LIMITS.items()
    }


class _AdminHandlers:
    """The admin routes' handlers, over one emulator."""

    def __init__(self, emu: Emulator) -> None:
        self._emu = emu

    async def health(self, _: web.Request) -> web.Response:
        return _json({"status": "ok", "resourceId": self._emu.ids.resource_id})

    async def reset(self, _: web.Request) -> web.Response:
        self._emu.reset()
        return _json({"reset": True})

    async def snapshot(self, _: web.Request) -> web.Response:
        return _json(
            {
                "users": [{"id": u.id, "revokedBefore": u.revoked_before} for u in self._emu.store.users.values()],
                "threads": [t.admin_view() for t in self._emu.store.threads.values()],
                "counters": self._emu.recorder.counters,
                "limits": {
                    "enabled": self._emu.limiter.enabled,
                    "timeScale": self._emu.limiter.time_scale,
                    "refused": self._emu.limiter.refused,
                },
                "faults": [r.to_json() for r in self._emu.faults.rules],
                "events": {"logged": len(self._emu.delivery.log), "pending": self._emu.delivery.pending()},
                "state": {**snapshot_state.dump(self._emu.store), "rooms": dump_rooms(self._emu.rooms)},
            }
        )

    async def restore(self, request: web.Request) -> web.Response:
        """Replace the state with the ``state`` of an earlier snapshot (same seed keeps tokens valid)."""
        try:
            body = await _body(request)
            state = body.get("state", body)
            snapshot_state.restore(self._emu.store, state)
            if isinstance(state, dict) and "rooms" in state:
                restore_rooms(self._emu.rooms, state["rooms"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return _bad(f"not a snapshot: {exc!r}")
        self._emu.limiter.reset()
        return _json({"restored": True, "users": len(self._emu.store.users), "threads": len(self._emu.store.threads)})

    async def list_threads(self, _: web.Request) -> web.Response:
        return _json({"threads": [t.admin_view() for t in self._emu.store.threads.values()]})

    async def one_thread(self, request: web.Request) -> web.Response:
        thread = self._emu.store.threads.get(request.match_info["thread_id"])
        if thread is None:
            return _json({"error": "no such thread"}, 404)
        return _json(thread.admin_view())

    async def counters(self, _: web.Request) -> web.Response:
        return _json({"counters": self._emu.recorder.counters, "rateLimited": self._emu.limiter.refused})

    async def exchanges(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        return _json({"next": self._emu.recorder.next_seq - 1, "exchanges": self._emu.recorder.since(since)})

    async def get_faults(self, _: web.Request) -> web.Response:
        return _json({"seed": self._emu.faults.seed, "rules": [r.to_json() for r in self._emu.faults.rules]})

    async def put_faults(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            spec = body.get("rules", body.get("spec"))
            rules = parse_spec(spec)
        except (ValueError, FaultSpecError) as exc:
            return _bad(str(exc))
        self._emu.faults.configure(rules, seed=body.get("seed"))
        return await self.get_faults(request)

    async def events(self, request: web.Request) -> web.Response:
        since = int(request.query.get("since", "0"))
        entries = self._emu.delivery.since(since)
        event_type = request.query.get("type")
        if event_type:
            entries = [e for e in entries if (e["event"].get("eventType") or e["event"].get("type")) == event_type]
        return _json(
            {
                "sink": self._emu.delivery.sink,
                "schema": self._emu.delivery.schema,
                "pending": self._emu.delivery.pending(),
                "events": entries,
            }
        )

    async def clear_events(self, _: web.Request) -> web.Response:
        self._emu.delivery.clear()
        return _json({"cleared": True})

    async def configure_events(self, request: web.Request) -> web.Response:
        try:
            body = await _body(request)
        except ValueError as exc:
            return _bad(str(exc))
        schema = body.get("schema")
        if schema not in (None, "eventgrid", "cloudevents"):
            return _bad("schema must be eventgrid or cloudevents")
        self._emu.delivery.configure(body.get("sink", self._emu.delivery.sink), schema)
        if "batchSize" in body:
            self._emu.delivery.batch_size = max(1, int(body["batchSize"]))
        delivery = self._emu.delivery
        return _json({"sink": delivery.sink, "schema": delivery.schema, "batchSize": delivery.batch_size})

    async def limits(self, request: web.Request) -> web.Response:
        if request.method == "PUT":
            try:
                body = await _body(request)
            except ValueError as exc:
                return _bad(str(exc))
            if "enabled" in body:
                self._emu.limiter.enabled = bool(body["enabled"])
            if body.get("reset"):
                self._emu.limiter.reset()
        limiter = self._emu.limiter
        return _json(
            {"enabled": limiter.enabled, "timeScale": limiter.time_scale, "refused": limiter.refused,
             "operations": limits_table()}
        )

    async def recording(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "enabled" in body:
            self._emu.recorder.enabled = bool(body["enabled"])
        return _json({"enabled": self._emu.recorder.enabled})

    async def mint_token(self, request: web.Request) -> web.Response:
        """Mint a token without HMAC, with any scopes and a lifetime in seconds (may be negative)."""
        try:
            body = await _body(request)
        except ValueError as exc:
            return _bad(str(exc))
        user_id = body.get("userId")
        if user_id is None:
            user = User(self._emu.ids.user(), self._emu.now())
            self._emu.store.users[user.id] = user
            user_id = user.id
        elif user_id not in self._emu.store.users:
            return _json({"error": "unknown user"}, 404)
        scopes = body.get("scopes", ["chat"])
        if not isinstance(scopes, list) or any(s not in SCOPES for s in scopes):
            return _bad(f"scopes must be a list drawn from {SCOPES}")
        lifetime = int(body.get("expiresInSeconds", 86400))
        now = time.time()
        expires = self._emu.now() + timedelta(seconds=lifetime)
        token = self._emu.minter.mint(user_id, scopes, int(now), int(expires.timestamp()))
        self._emu.store.token_issue_times[token.rsplit(".", 1)[1]] = now
        return _json({"userId": user_id, "token": token, "expiresOn": identity_time(expires)})


def add_routes(app: web.Application, emu: Emulator, prefix: str) -> None:
    """Mount every admin route on ``app``."""
    handlers = _AdminHandlers(emu)
    app.router.add_get(f"{prefix}/health", handlers.health)
    app.router.add_post(f"{prefix}/reset", handlers.reset)
    app.router.add_get(f"{prefix}/snapshot", handlers.snapshot)
    app.router.add_put(f"{prefix}/snapshot", handlers.restore)
    app.router.add_get(f"{prefix}/threads", handlers.list_threads)
    app.router.add_get(f"{prefix}/threads/{{thread_id}}", handlers.one_thread)
    app.router.add_get(f"{prefix}/counters", handlers.counters)
    app.router.add_get(f"{prefix}/exchanges", handlers.exchanges)
    app.router.add_put(f"{prefix}/recording", handlers.recording)
    app.router.add_get(f"{prefix}/faults", handlers.get_faults)
    app.router.add_put(f"{prefix}/faults", handlers.put_faults)
    app.router.add_get(f"{prefix}/events", handlers.events)
    app.router.add_delete(f"{prefix}/events", handlers.clear_events)
    app.router.add_put(f"{prefix}/events/config", handlers.configure_events)
    app.router.add_route("GET", f"{prefix}/limits", handlers.limits)
    app.router.add_route("PUT", f"{prefix}/limits", handlers.limits)
    app.router.add_post(f"{prefix}/tokens", handlers.mint_token)

"""``LocalHost``: the aiohttp server that stands in for the Functions host, usable in-process or from the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.queue import QueueMessage

from .auth import HostKeys, is_authorized, presented_key
from .counters import Counters
from .expressions import UnresolvedSettingError, missing_settings, resolve
from .hostjson import HostConfig
from .http_trigger import HttpRoute, RouteTable, to_function_request, to_web_response
from .invoker import Invoker, sync_pool_size
from .loader import FunctionSpec, index_functions, load_app
from .queue_pump import PROCESSING_VISIBILITY_SECONDS, QueuePump
from .triggers import decode_event, timer_request
from .webhook import handle_eventgrid_webhook

log = logging.getLogger("emulators.host")
MAX_REQUEST_BYTES = 100 * 1024 * 1024  # the host's default request size limit
SUPPORTED_TRIGGERS = {"httpTrigger", "timerTrigger", "eventGridTrigger", "queueTrigger"}
HttpObserver = Callable[[str, func.HttpRequest, Any, str], None]
HTTP_OBSERVERS: list[HttpObserver] = []
"""Called with (function name, request, what the function returned, route) after each HTTP invocation;
the tests check every answer against the app's OpenAPI document this way. An observer's error is logged."""


class LocalHost:
    """A local stand-in for the Functions host serving one FunctionApp.

    ``async with LocalHost(app) as host:`` starts the server (and the queue pumps unless
    ``queues=False``) and stops everything on exit. ``app`` is a ``func.FunctionApp`` or a
    ``"module[:attribute]"`` string imported like the worker does. App settings for
    ``%NAME%`` expressions and queue connections come from ``settings`` (default ``os.environ``).
    """

    def __init__(
        self,
        app: func.FunctionApp | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        host_json: str | Path | HostConfig | None = None,
        function_key: str | None = None,
        admin_key: str | None = None,
        eventgrid_key: str | None = None,
        queues: bool = True,
        settings: Mapping[str, str] | None = None,
        app_dir: str | Path | None = None,
        processing_visibility: float = PROCESSING_VISIBILITY_SECONDS,
    ) -> None:
        self.app = load_app(app, app_dir=app_dir) if isinstance(app, str) else app
        self.config = host_json if isinstance(host_json, HostConfig) else HostConfig.load(host_json)
        self.keys = HostKeys.create(function_key, admin_key, eventgrid_key)
        self.settings: Mapping[str, str] = settings if settings is not None else os.environ
        self.functions: dict[str, FunctionSpec] = {s.name: s for s in index_functions(self.app)}
        expressions = [
            str(s.trigger.get(key, "")) for s in self.functions.values() for key in ("route", "queueName", "schedule")
        ]
        missing = missing_settings(expressions, self.settings)
        if missing:
            raise UnresolvedSettingError(f"binding expressions refer to undefined app settings: {', '.join(missing)}")
        for spec in self.functions.values():
            if spec.trigger_type not in SUPPORTED_TRIGGERS:
                log.warning("function %s has a %s trigger; the local host never runs it", spec.name, spec.trigger_type)
        self.routes = RouteTable(
            [HttpRoute.from_spec(s, self.settings) for s in self.functions.values() if s.trigger_type == "httpTrigger"]
        )
        self.counters = Counters(list(self.functions))
        self.invoker = Invoker(self.counters, max_workers=sync_pool_size(self.settings))
        self._bind = (host, port)
        self._queues_enabled = queues
        self._processing_visibility = processing_visibility
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._pumps: list[QueuePump] = []
        self.url = ""

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on the configured address (port 0 picks a free one) and start the queue pumps."""
        application = web.Application(client_max_size=MAX_REQUEST_BYTES)
        application.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._bind[0], self._bind[1])
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self._bind[0]}:{port}"
        if self._queues_enabled:
            await self._start_pumps()

    async def _start_pumps(self) -> None:
        """Start one queue pump per queue-triggered function; stop the started ones if one fails."""
        for spec in self.functions.values():
            if spec.trigger_type != "queueTrigger":
                continue
            pump = QueuePump(spec, self.settings, self.config.queues, self.invoker, self.counters,
                             processing_visibility=self._processing_visibility)
            try:
                await pump.start()
            except BaseException:
                await pump.stop()
                await self.stop()
                raise
            self._pumps.append(pump)

    async def stop(self) -> None:
        """Stop the pumps, let fired invocations finish (10 s at most), then close the server."""
        for pump in self._pumps:
            await pump.stop()
        self._pumps.clear()
        if self._background:
            _, pending = await asyncio.wait(self._background, timeout=10)
            for task in pending:
                task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.invoker.shutdown()

    async def __aenter__(self) -> LocalHost:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # ---- description -----------------------------------------------------------------------

    def describe_functions(self) -> list[dict[str, Any]]:
        """Name, trigger and the trigger's resolved route/methods/auth level, queue or schedule."""
        described: list[dict[str, Any]] = []
        routes = {r.spec.name: r for r in self.routes.routes}
        for spec in self.functions.values():
            entry: dict[str, Any] = {"name": spec.name, "trigger": spec.trigger_type}
            trigger = spec.trigger
            if spec.name in routes:
                route = routes[spec.name]
                entry["route"] = route.route
                entry["methods"] = sorted(route.methods) if route.methods else None
                entry["auth_level"] = route.auth_level
            elif spec.trigger_type == "queueTrigger":
                entry["queue"] = resolve(str(trigger.get("queueName", "")), self.settings)
            elif spec.trigger_type == "timerTrigger":
                entry["schedule"] = resolve(str(trigger.get("schedule", "")), self.settings)
            described.append(entry)
        return described

    def ready_info(self) -> dict[str, Any]:
        """The JSON object the CLI prints as its ready line."""
        return {
            "url": self.url,
            "function_key": self.keys.function_key,
            "admin_key": self.keys.admin_key,
            "eventgrid_key": self.keys.eventgrid_key,
            "route_prefix": self.config.route_prefix,
            "functions": self.describe_functions(),
        }

    def status(self) -> dict[str, Any]:
        """What ``/admin/host/status`` answers: state and per-function counters."""
        return {"id": "local-host", "state": "Running" if self._runner else "Stopped", **self.counters.snapshot()}

    # ---- request handling ------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/admin" or path.startswith("/admin/"):
            return await self._admin(request)
        if path.startswith("/runtime/webhooks/eventgrid"):
            return await handle_eventgrid_webhook(request, self.functions, self.keys, self.invoker.invoke)
        prefix = "/" + self.config.route_prefix if self.config.route_prefix else ""
        if prefix:
            if path.lower() != prefix.lower() and not path.lower().startswith(prefix.lower() + "/"):
                return web.Response(status=404)
            path = path[len(prefix) :] or "/"
        return await self._http_function(request, path)

    async def _http_function(self, request: web.Request, path: str) -> web.StreamResponse:
        found = self.routes.match(path, request.method)
        if found.route is None:
            return web.Response(status=found.status)
        if not is_authorized(found.route.auth_level, presented_key(request.query, request.headers), self.keys):
            return web.Response(status=401)
        spec = found.route.spec
        function_request = to_function_request(request, await request.read(), found.route_params)
        try:
            result = await self.invoker.invoke(spec, function_request)
            self._observe(spec.name, function_request, result.return_value, found.route.route)
            return to_web_response(result.return_value, result.outputs, spec.bindings)
        except Exception:  # noqa: BLE001 - the host answers 500 for any failed invocation; the invoker logged it
            return web.Response(status=500)

    @staticmethod
    def _observe(name: str, request: func.HttpRequest, value: Any, route: str) -> None:
        for observer in list(HTTP_OBSERVERS):
            try:
                observer(name, request, value, route)
            except Exception:
                log.exception("HTTP observer failed for %s", name)

    async def _admin(self, request: web.Request) -> web.StreamResponse:
        if not is_authorized("admin", presented_key(request.query, request.headers), self.keys):
            return web.Response(status=401)
        parts = request.path.strip("/").split("/")
        if parts == ["admin", "host", "status"] and request.method == "GET":
            return web.json_response(self.status())
        if len(parts) == 3 and parts[:2] == ["admin", "functions"]:
            if request.method != "POST":
                return web.Response(status=405)
            return await self._fire(request, parts[2])
        return web.Response(status=404)

    async def _fire(self, request: web.Request, name: str) -> web.StreamResponse:
        """``POST /admin/functions/<name>``: build the trigger value from ``input``, run it in the background, 202."""
        spec = self.functions.get(name) or next(
            (s for s in self.functions.values() if s.name.lower() == name.lower()), None
        )
        if spec is None:
            return web.Response(status=404, text=f"no function named {name!r}")
        raw = await request.read()
        try:
            body = json.loads(raw) if raw.strip() else {}
            value = self._admin_trigger_value(spec, body.get("input", "") if isinstance(body, dict) else "")
        except (ValueError, TypeError) as exc:
            return web.Response(status=400, text=f"bad input for {spec.name}: {exc}")
        task = asyncio.create_task(self._invoke_quietly(spec, value))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return web.Response(status=202)

    def _admin_trigger_value(self, spec: FunctionSpec, given: Any) -> Any:
        if spec.trigger_type == "timerTrigger":
            return timer_request()
        if spec.trigger_type == "eventGridTrigger":
            event = json.loads(given) if isinstance(given, str) else given
            return decode_event(event)
        if spec.trigger_type == "queueTrigger":
            text = given if isinstance(given, str) else json.dumps(given)
            return QueueMessage(id=str(uuid.uuid4()), body=text, dequeue_count=1)  # type: ignore[no-untyped-call]
        raise ValueError(f"{spec.trigger_type} functions are not invoked through the admin endpoint here")

    async def _invoke_quietly(self, spec: FunctionSpec, value: Any) -> None:
        with contextlib.suppress(Exception):  # counted and logged by the invoker
            await self.invoker.invoke(spec, value)

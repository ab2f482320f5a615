"""The aiohttp application: API routing, auth, faults, limits, recording; admin routes mounted aside."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from . import ADMIN_PREFIX, admin, call_admin, identity, messages, participants, receipts, rooms, threads
from .call import Call, Reply
from .chat_common import authenticate
from .emulator import Emulator
from .errors import UNAVAILABLE, ApiError, chat_legacy_body, error_body, too_many_requests, unauthorized
from .hmac_auth import SignatureError, verify

Handler = Callable[[Emulator, Call], Reply]

CHAT_VERSIONS = (
    "2021-03-07, 2021-04-05-preview6, 2021-09-07, 2023-04-01-preview, 2023-07-01-preview, "
    "2023-11-07, 2023-11-15-preview, 2024-03-07, 2024-03-15-preview"
)
IDENTITY_VERSIONS = (
    "2020-07-20-preview2, 2021-02-22-preview1, 2021-03-07, 2021-10-31-preview, 2021-11-01, "
    "2022-06-01, 2022-10-01, 2023-10-01"
)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    template: str
    operation: str
    handler: Handler
    auth: str  # "hmac", "hmac-decoded" (Rooms signs the percent-decoded target) or "bearer"


def _route(method: str, template: str, operation: str, handler: Handler, auth: str) -> Route:
    regex = re.escape(template)
    for name, group in (("{id}", "id"), ("{chatThreadId}", "thread"), ("{chatMessageId}", "message"),
                        ("{roomId}", "room")):
        regex = regex.replace(re.escape(name), f"(?P<{group}>[^/]+)")
    return Route(method, re.compile(f"^{regex}$"), template, operation, handler, auth)


T = "/chat/threads/{chatThreadId}"
ROUTES = [
    _route("POST", "/identities", "CommunicationIdentity_Create", identity.create, "hmac"),
    _route("DELETE", "/identities/{id}", "CommunicationIdentity_Delete", identity.delete, "hmac"),
    _route(
        "POST", "/identities/{id}/:issueAccessToken", "CommunicationIdentity_IssueAccessToken", identity.issue, "hmac"
    ),
    _route(
        "POST",
        "/identities/{id}/:revokeAccessTokens",
        "CommunicationIdentity_RevokeAccessTokens",
        identity.revoke,
        "hmac",
    ),
    _route(
        "POST",
        "/teamsUser/:exchangeAccessToken",
        "CommunicationIdentity_ExchangeTeamsUserAccessToken",
        identity.exchange_teams_token,
        "hmac",
    ),
    _route("POST", "/chat/threads", "Chat_CreateChatThread", threads.create, "bearer"),
    _route("GET", "/chat/threads", "Chat_ListChatThreads", threads.list_threads, "bearer"),
    _route("GET", T, "ChatThread_GetChatThreadProperties", threads.get, "bearer"),
    _route("PATCH", T, "ChatThread_UpdateChatThreadProperties", threads.update, "bearer"),
    _route("DELETE", T, "Chat_DeleteChatThread", threads.delete, "bearer"),
    _route("POST", T + "/messages", "ChatThread_SendChatMessage", messages.send, "bearer"),
    _route("GET", T + "/messages", "ChatThread_ListChatMessages", messages.list_messages, "bearer"),
    _route("GET", T + "/messages/{chatMessageId}", "ChatThread_GetChatMessage", messages.get, "bearer"),
    _route("PATCH", T + "/messages/{chatMessageId}", "ChatThread_UpdateChatMessage", messages.update, "bearer"),
    _route("DELETE", T + "/messages/{chatMessageId}", "ChatThread_DeleteChatMessage", messages.delete, "bearer"),
    _route("GET", T + "/participants", "ChatThread_ListChatParticipants", participants.list_participants, "bearer"),
    _route("POST", T + "/participants/:add", "ChatThread_AddChatParticipants", participants.add, "bearer"),
    _route("POST", T + "/participants/:remove", "ChatThread_RemoveChatParticipant", participants.remove, "bearer"),
    _route("POST", T + "/readReceipts", "ChatThread_SendChatReadReceipt", receipts.send, "bearer"),
    _route("GET", T + "/readReceipts", "ChatThread_ListChatReadReceipts", receipts.list_receipts, "bearer"),
    _route("POST", T + "/typing", "ChatThread_SendTypingNotification", receipts.typing, "bearer"),
    _route("POST", "/rooms", "Rooms_Create", rooms.create, "hmac-decoded"),
    _route("GET", "/rooms", "Rooms_List", rooms.list_rooms, "hmac-decoded"),
    _route("GET", "/rooms/{roomId}", "Rooms_Get", rooms.get, "hmac-decoded"),
    _route("PATCH", "/rooms/{roomId}", "Rooms_Update", rooms.update, "hmac-decoded"),
    _route("DELETE", "/rooms/{roomId}", "Rooms_Delete", rooms.delete, "hmac-decoded"),
    _route("GET", "/rooms/{roomId}/participants", "Participants_List", rooms.list_participants, "hmac-decoded"),
    _route("PATCH", "/rooms/{roomId}/participants", "Participants_Update", rooms.update_participants,
           "hmac-decoded"),
]


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """The route for ``method path``; the flag says whether the path exists under another method."""
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found:
            path_known = True
            if route.method == method:
                return route, found.groupdict(), True
    return None, {}, path_known


def reset_connection(request: web.Request) -> None:
    """Abort the TCP connection with an RST (SO_LINGER 0): the client sees a reset, no answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class ConnectionDropped(Exception):
    """Raised after a deliberate reset so aiohttp writes nothing."""


def _json_response(reply: Reply, extra: dict[str, str]) -> web.Response:
    headers = {**extra, **reply.headers}
    if reply.body is None:
        return web.Response(status=reply.status, headers=headers)
    headers["Content-Type"] = "application/json; charset=utf-8"
    return web.Response(status=reply.status, body=json.dumps(reply.body).encode("utf-8"), headers=headers)


class Api:
    """The catch-all handler for every non-admin request."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        emu = self.emu
        route, params, known = match(request.method, request.path)
        is_rooms = request.path == "/rooms" or request.path.startswith("/rooms/")
        is_identity = request.path.startswith(("/identities", "/teamsUser")) or is_rooms
        versions = rooms.SUPPORTED_VERSIONS if is_rooms else IDENTITY_VERSIONS
        common = {
            "api-supported-versions": versions if is_identity else CHAT_VERSIONS,
            "MS-CV": emu.ids.correlation(),
            "Strict-Transport-Security": "max-age=2592000",
        }
        if is_identity and request.headers.get("x-ms-return-client-request-id") == "true":
            common["x-ms-client-request-id"] = request.headers.get("x-ms-client-request-id", "")
        body = await request.read()
        label = f"{request.method} {route.template}" if route else f"{request.method} (unknown)"
        operation = route.operation if route else "Unknown"
        lost = False
        try:
            if route is None:
                if known:
                    raise ApiError(405, error_body("MethodNotAllowed", f"{request.method} is not supported here."))
                raise ApiError(404, chat_legacy_body("NotFound", None))
            decision = emu.faults.decide(operation)
            if decision.delay_s:
                await asyncio.sleep(decision.delay_s)
            if decision.drop:
                emu.recorder.count(label, "reset")
                reset_connection(request)
                raise ConnectionDropped
            if decision.status is not None:
                raise self._fault_error(decision.status.code, decision.status.retry_after)
            lost = decision.lost
            if not request.query.get("api-version"):
                raise ApiError(
                    400, error_body("MissingApiVersionParameter", "The api-version query parameter is required.")
                )
            call = Call(request, operation, params, body)
            if route.auth in ("hmac", "hmac-decoded"):
                try:
                    verify(emu.access_key, request.method, request.raw_path, request.headers, body,
                           decoded=route.auth == "hmac-decoded")
                except SignatureError as exc:
                    raise unauthorized(str(exc)) from None
            else:
                call.caller = authenticate(emu, request)
            reply = route.handler(emu, call)
            if decision.status_after is not None:
                raise self._fault_error(decision.status_after.code, decision.status_after.retry_after)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body, exc.headers)
        if lost:
            emu.recorder.count(label, "lost")
            reset_connection(request)
            raise ConnectionDropped
        emu.recorder.count(label, reply.status)
        elapsed_ms = int((time.perf_counter() - started) * 1000)
        response = _json_response(reply, {**common, "X-Processing-Time": f"{elapsed_ms}ms"})
        if emu.recorder.enabled:
            emu.recorder.record(
                {
                    "operation": operation,
                    "method": request.method,
                    "path": request.path,
                    "query": dict(request.query),
                    "requestContentType": request.headers.get("Content-Type"),
                    "status": reply.status,
                    "headers": dict(response.headers),
                    "body": reply.body,
                }
            )
        return response

    def _fault_error(self, code: int, retry_after: float | None) -> ApiError:
        if code == 429:
            return too_many_requests(retry_after)
        if code == 503:
            return ApiError(503, error_body("ServiceUnavailable", UNAVAILABLE))
        return ApiError(500, error_body("InternalServerError", "An internal server error occurred."))


@web.middleware
async def swallow_drops(request: web.Request, handler: Any) -> web.StreamResponse:
    """A deliberate reset ends the request without any answer."""
    try:
        response: web.StreamResponse = await handler(request)
    except ConnectionDropped:
        raise asyncio.CancelledError from None
    return response


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(middlewares=[swallow_drops], client_max_size=64 * 1024 * 1024)
    app["emulator"] = emu
    admin.add_routes(app, emu, ADMIN_PREFIX)
    call_admin.add_routes(app, emu, ADMIN_PREFIX)
    app.router.add_route("*", "/{tail:.*}", Api(emu))

    async def start_delivery(_: web.Application) -> None:
        await emu.delivery.start()

    async def stop_delivery(_: web.Application) -> None:
        await emu.delivery.stop()

    app.on_startup.append(start_delivery)
    app.on_cleanup.append(stop_delivery)
    return app

"""The Event Grid extension's webhook: ``/runtime/webhooks/eventgrid?functionName=<name>&code=<key>``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from .auth import HostKeys, is_system_authorized, presented_key
from .loader import FunctionSpec
from .triggers import SUBSCRIPTION_VALIDATION_EVENT, decode_event, event_type, events_from_body

log = logging.getLogger("emulators.host")
Invoke = Callable[[FunctionSpec, Any], Coroutine[Any, Any, Any]]


async def handle_eventgrid_webhook(
    request: web.Request, functions: dict[str, FunctionSpec], keys: HostKeys, invoke: Invoke
) -> web.StreamResponse:
    """Answer the validation handshakes, or deliver each event to the function in order.

    200 when every invocation succeeded, 500 when any failed (Event Grid then retries the batch).
    """
    if request.method == "OPTIONS":  # CloudEvents abuse-protection handshake
        origin = request.headers.get("WebHook-Request-Origin", "*")
        return web.Response(status=200, headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"})
    if request.method != "POST":
        return web.Response(status=405)
    if not is_system_authorized(presented_key(request.query, request.headers), keys):
        return web.Response(status=401)
    spec = functions.get(request.query.get("functionName", ""))
    if spec is None or spec.trigger_type != "eventGridTrigger":
        return web.Response(status=404, text=f"no Event Grid function named {request.query.get('functionName')!r}")
    try:
        events = events_from_body(await request.read())
    except ValueError as exc:
        return web.Response(status=400, text=f"the body is not an event or an array of events: {exc}")
    header = request.headers.get("aeg-event-type", "").lower()
    if header == "subscriptionvalidation" or any(event_type(e) == SUBSCRIPTION_VALIDATION_EVENT for e in events):
        for event in events:
            code = (event.get("data") or {}).get("validationCode")
            if code is not None:
                return web.json_response({"validationResponse": code})
        return web.Response(status=400, text="a SubscriptionValidation request needs data.validationCode")
    if header == "subscriptiondeletion":
        return web.Response(status=202)
    failed = 0
    for event in events:
        try:
            decoded = decode_event(event)
        except (ValueError, TypeError) as exc:
            log.warning("event %s could not be decoded: %s", event.get("id"), exc)
            failed += 1
            continue
        try:
            await invoke(spec, decoded)
        except Exception:  # noqa: BLE001 - counted and logged by the invoker; Event Grid retries on 500
            failed += 1
    if failed:
        return web.Response(status=500, text=f"{failed} of {len(events)} event(s) failed")
    return web.Response(status=200)

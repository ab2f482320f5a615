"""The Event Grid extension's webhook: ``/runtime/webhooks/eventgrid?functionName=<name>&code=<key>``."""

from __future__ import annotations

import asyncio
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
    """Answer the validation handshakes, or invoke the function once per event of the batch, all at once.

    202 when every invocation succeeded, 500 when any failed (Event Grid then retries the batch).
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
    # As the Event Grid extension does for a single-dispatch (cardinality one) trigger: every event's
    # invocation is started before any is awaited, then all are awaited together (Task.WhenAll), and the
    # answer is 202 Accepted, or 500 with the first failure if any failed. Source read:
    # Azure/azure-sdk-for-net, sdk/eventgrid/Microsoft.Azure.WebJobs.Extensions.EventGrid/src/
    # Config/EventGridExtensionConfigProvider.cs, ProcessEventsAsync (the v2 extension in
    # Azure/azure-functions-eventgrid-extension did the same). A sync Python function then runs on the
    # worker's thread pool (Invoker), so a batch's events run concurrently up to that pool's size.
    decoded: list[Any] = []
    failed = 0
    for event in events:
        try:
            decoded.append(decode_event(event))
        except (ValueError, TypeError) as exc:
            log.warning("event %s could not be decoded: %s", event.get("id"), exc)
            failed += 1
    results = await asyncio.gather(*(invoke(spec, value) for value in decoded), return_exceptions=True)
    # the invoker has counted and logged each failure; Event Grid retries the whole batch on a 500
    failed += sum(1 for result in results if isinstance(result, BaseException))
    if failed:
        return web.Response(status=500, text=f"{failed} of {len(events)} event(s) failed")
    return web.Response(status=202)

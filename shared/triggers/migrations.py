"""Migration runs: start and watch them over HTTP, the queue worker, its poison handler, the nightly timer,
and live sync from Twilio's post-event webhooks."""

from __future__ import annotations

import json
import logging
from typing import Any

import azure.functions as func

from .. import telemetry
from ..container import AppContainer
from ..errors import BadRequestError, UnsupportedMediaTypeError
from ..http import handle_errors, json_response, read_json_object
from ..inputs import query_int
from ..migrations.live import IDEMPOTENCY_HEADER, LiveEvent, parse_form
from ..migrations.requests import parse_migration_request
from . import new_blueprint

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 64 * 1024


def _work_item(msg: func.QueueMessage) -> dict[str, Any]:
    try:
        item = json.loads(msg.get_body().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        item = None
    if not isinstance(item, dict):
        raise BadRequestError("A migration work item is not a JSON object.")
    return item


async def _run_item(container: AppContainer, msg: func.QueueMessage) -> None:
    item = _work_item(msg)

    def handle() -> None:
        with telemetry.work_item_span(item):
            container.migration_worker.handle(item)

    # Slices run for minutes: on the app's own threads, not the worker's pool that HTTP requests share.
    await container.migration_slices.run(handle)


def _record_poison(container: AppContainer, msg: func.QueueMessage) -> None:
    try:
        item = _work_item(msg)
    except BadRequestError:
        logger.error("dropped a poisoned migration item that is not JSON (message %s)", msg.id)
        return
    reason = "gave up after the host's maxDequeueCount attempts; the function logs hold each attempt's error"
    container.migration_worker.handle_poison(item, reason=reason)


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("start_migration")
    @bp.route(route="migrations", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def start_migration(req: func.HttpRequest) -> func.HttpResponse:
        request = parse_migration_request(read_json_object(req))
        run = container.migration_runs.start_run(request)
        view = container.migration_runs.get_run(run.run_id)
        return json_response(view.to_json(), status=202, headers={
            "Location": f"/api/migrations/{run.run_id}",
            "Retry-After": str(int(container.migration_runs.retry_after(run).total_seconds())),
        })

    @bp.function_name("list_migrations")
    @bp.route(route="migrations", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def list_migrations(req: func.HttpRequest) -> func.HttpResponse:
        runs = container.migration_runs.list_recent(limit=query_int(req.params, "limit", default=20, low=1, high=100))
        return json_response({"runs": [r.to_json() for r in runs]})

    @bp.function_name("get_migration")
    @bp.route(route="migrations/{runId}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def get_migration(req: func.HttpRequest) -> func.HttpResponse:
        view = container.migration_runs.get_run(req.route_params.get("runId", ""), with_minimum=True)  # 404
        return json_response(view.to_json())

    @bp.function_name("twilio_events")
    @bp.route(route="twilio/events", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    @handle_errors
    def twilio_events(req: func.HttpRequest) -> func.HttpResponse:
        content_type = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise UnsupportedMediaTypeError("Twilio webhooks are application/x-www-form-urlencoded.")
        body = req.get_body() or b""
        if len(body) > MAX_WEBHOOK_BYTES:
            raise BadRequestError(f"The webhook body is over {MAX_WEBHOOK_BYTES} bytes.")
        params = parse_form(body)
        signature = req.headers.get("x-twilio-signature")
        container.twilio_signatures.verify(request_url=req.url, params=params, signature=signature)
        event = LiveEvent.from_form(params)
        claimed = container.twilio_replays.claim(signature=signature or "", token=req.headers.get(IDEMPOTENCY_HEADER))
        if claimed is None:
            logger.info("Twilio webhook for %s dropped: a replay", event.conversation_sid)
            return json_response({"conversationSid": event.conversation_sid, "queued": False, "duplicate": True})
        try:
            result = container.live_sync.request_sync(event)
        except BaseException:
            container.twilio_replays.release(claimed)
            raise
        return json_response({"conversationSid": result.conversation_sid, "queued": result.queued})

    @bp.function_name("migration_worker")
    @bp.queue_trigger(arg_name="msg", queue_name="%MIGRATION_QUEUE%", connection="AzureWebJobsStorage")
    async def migration_worker(msg: func.QueueMessage) -> None:
        await _run_item(container, msg)

    @bp.function_name("migration_continuation")
    @bp.queue_trigger(arg_name="msg", queue_name="%MIGRATION_QUEUE%-next", connection="AzureWebJobsStorage")
    async def migration_continuation(msg: func.QueueMessage) -> None:
        """Next slices of conversations under way: their own queue, so never behind new work."""
        await _run_item(container, msg)

    @bp.function_name("migration_poison")
    @bp.queue_trigger(arg_name="msg", queue_name="%MIGRATION_QUEUE%-poison", connection="AzureWebJobsStorage")
    def migration_poison(msg: func.QueueMessage) -> None:
        _record_poison(container, msg)

    @bp.function_name("migration_continuation_poison")
    @bp.queue_trigger(arg_name="msg", queue_name="%MIGRATION_QUEUE%-next-poison", connection="AzureWebJobsStorage")
    def migration_continuation_poison(msg: func.QueueMessage) -> None:
        _record_poison(container, msg)

    @bp.function_name("nightly_sync")
    @bp.timer_trigger(arg_name="timer", schedule="%NIGHTLY_SCHEDULE%", run_on_startup=False, use_monitor=True)
    def nightly_sync(timer: func.TimerRequest) -> None:
        run_id = container.migration_worker.start_nightly()
        logger.info("nightly sync run %s queued (past due: %s)", run_id, timer.past_due)

    return bp

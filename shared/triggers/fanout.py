"""The event fan-out: ACS Event Grid events -> delivery queue -> subscribers; admin routes (function key).

* ``fanout_acs_event`` (Event Grid): the first attempt of every matching subscription's delivery, at
  once and concurrently; a failed one queues its retry (``FanoutDispatcher.deliver``), then returns.
* ``fanout_deliver`` (queue ``%DELIVERY_QUEUE%``): one POST per retry message; further retries are new
  messages.
* ``POST/GET /api/subscriptions``, ``GET/PATCH/DELETE /api/subscriptions/{id}``,
  ``GET /api/deliveries/dead``, ``POST /api/deliveries/replay``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from .. import telemetry
from ..container import AppContainer
from ..errors import AppError, BadRequestError
from ..fanout.dead_letters import dead_letter_view
from ..fanout.deliverer import Outcome
from ..fanout.deliveries import DeliveryMessage
from ..fanout.events import AcsEvent, parse_event
from ..fanout.subscriptions import is_subscription_id
from ..http import handle_errors, json_response, read_json_object
from ..inputs import query_int
from ..state import Subscription
from . import new_blueprint

logger = logging.getLogger(__name__)
MAX_LIST = 1000


def _limit(req: func.HttpRequest) -> int:
    return query_int(req.params, "limit", default=100, low=1, high=MAX_LIST)


def traced(attempt: Callable[[Subscription, DeliveryMessage], Outcome]
           ) -> Callable[[Subscription, DeliveryMessage], Outcome]:
    """``attempt`` inside the delivery span and metrics (the first attempts made while handling the event)."""

    def traced_attempt(sub: Subscription, message: DeliveryMessage) -> Outcome:
        with telemetry.delivery_span(delivery_id=message.delivery_id, subscription_id=message.subscription_id,
                                     fmt=message.format, attempt=message.attempt) as recorder:
            outcome = attempt(sub, message)
            recorder.settled(outcome.value)
            return outcome

    return traced_attempt


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.isoformat()


def acs_event_of(event: func.EventGridEvent | func.CloudEvent) -> AcsEvent:
    """The trigger's object as the JSON event it came as, parsed; ``BadRequestError`` if malformed."""
    raw: dict[str, Any]
    if isinstance(event, func.CloudEvent):
        raw = {"specversion": "1.0", "id": event.id, "type": event.type, "source": event.source,
               "subject": event.subject, "time": _iso(event.time), "data": event.get_json()}
    else:
        raw = {"id": event.id, "eventType": event.event_type, "topic": event.topic, "subject": event.subject,
               "eventTime": _iso(event.event_time), "data": event.get_json()}
    return parse_event(raw)


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("fanout_acs_event")
    @bp.event_grid_trigger(arg_name="event")
    def fanout_acs_event(event: func.EventGridEvent) -> None:
        """First attempts now, retries queued; a malformed event is logged and dropped (retrying cannot fix it)."""
        try:
            parsed = acs_event_of(event)
        except AppError as error:
            logger.warning("Event Grid event dropped: %s", error.message)
            return
        fanout = container.fanout
        if container.settings.fanout.queue_first_attempt:
            ids = fanout.dispatcher.dispatch(parsed)
            logger.info("event %s (%s): %d delivery(ies) enqueued", parsed.id, parsed.short_type, len(ids))
            return
        outcomes = fanout.dispatcher.deliver(parsed, traced(fanout.deliverer.deliver_to))
        logger.info("event %s (%s): %d delivery(ies) attempted", parsed.id, parsed.short_type, len(outcomes))

    @bp.function_name("fanout_deliver")
    @bp.queue_trigger(arg_name="msg", queue_name="%DELIVERY_QUEUE%", connection="AzureWebJobsStorage")
    def fanout_deliver(msg: func.QueueMessage) -> None:
        """POST one delivery; a malformed message is logged and dropped (it can never be delivered)."""
        try:
            message = DeliveryMessage.parse(msg.get_body().decode("utf-8", "replace"))
        except BadRequestError as error:
            logger.error("delivery message %s dropped: %s", msg.id, error.message)
            return
        with telemetry.delivery_span(delivery_id=message.delivery_id, subscription_id=message.subscription_id,
                                     fmt=message.format, attempt=message.attempt) as attempt:
            attempt.settled(container.fanout.deliverer.deliver(message).value)

    @bp.function_name("subscriptions_create")
    @bp.route(route="subscriptions", methods=["POST"])
    @handle_errors
    def subscriptions_create(req: func.HttpRequest) -> func.HttpResponse:
        sub = container.fanout.subscriptions.create_subscription(read_json_object(req))
        return json_response(sub.public_view(), status=201)

    @bp.function_name("subscriptions_list")
    @bp.route(route="subscriptions", methods=["GET"])
    @handle_errors
    def subscriptions_list(req: func.HttpRequest) -> func.HttpResponse:
        subs = container.fanout.subscriptions.list_subscriptions()
        return json_response({"value": [s.public_view() for s in subs]})

    @bp.function_name("subscriptions_get")
    @bp.route(route="subscriptions/{id}", methods=["GET"])
    @handle_errors
    def subscriptions_get(req: func.HttpRequest) -> func.HttpResponse:
        sub = container.fanout.subscriptions.get_subscription(req.route_params.get("id", ""))
        return json_response(sub.public_view())

    @bp.function_name("subscriptions_update")
    @bp.route(route="subscriptions/{id}", methods=["PATCH"])
    @handle_errors
    def subscriptions_update(req: func.HttpRequest) -> func.HttpResponse:
        sub = container.fanout.subscriptions.update_subscription(req.route_params.get("id", ""), read_json_object(req))
        return json_response(sub.public_view())

    @bp.function_name("subscriptions_delete")
    @bp.route(route="subscriptions/{id}", methods=["DELETE"])
    @handle_errors
    def subscriptions_delete(req: func.HttpRequest) -> func.HttpResponse:
        container.fanout.subscriptions.delete_subscription(req.route_params.get("id", ""))
        return func.HttpResponse(status_code=204)

    @bp.function_name("deliveries_dead")
    @bp.route(route="deliveries/dead", methods=["GET"])
    @handle_errors
    def deliveries_dead(req: func.HttpRequest) -> func.HttpResponse:
        subscription_id = req.params.get("subscriptionId") or None
        if subscription_id is not None and not is_subscription_id(subscription_id):
            raise BadRequestError("subscriptionId must be a subscription id (sub_ and 24 hex digits).",
                                  target="subscriptionId")
        letters = container.fanout.dead_letters.list_dead_letters(subscription_id=subscription_id, limit=_limit(req))
        return json_response({"value": [dead_letter_view(letter) for letter in letters]})

    @bp.function_name("deliveries_replay")
    @bp.route(route="deliveries/replay", methods=["POST"])
    @handle_errors
    def deliveries_replay(req: func.HttpRequest) -> func.HttpResponse:
        ids = container.fanout.dead_letters.replay(read_json_object(req))
        return json_response({"replayed": len(ids), "deliveryIds": ids}, status=202)

    return bp

"""Trigger payloads for non-HTTP functions, decoded through the library's own converters like the worker."""

from __future__ import annotations

import datetime
import json
from typing import Any

import azure.functions as func
from azure.functions import meta
from azure.functions.eventgrid import EventGridEventInConverter
from azure.functions.timer import TimerRequestConverter

SUBSCRIPTION_VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"


def timer_request(*, past_due: bool = False, now: datetime.datetime | None = None) -> func.TimerRequest:
    """The TimerRequest the worker decodes from the host's timer payload when a timer fires."""
    now = now or datetime.datetime.now(datetime.UTC)
    payload = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {"Last": now.isoformat(), "Next": None, "LastUpdated": now.isoformat()},
        "IsPastDue": past_due,
    }
    datum = meta.Datum(json.dumps(payload), "json")
    request: func.TimerRequest = TimerRequestConverter.decode(datum, trigger_metadata={})
    return request


def decode_event(event: dict[str, Any]) -> func.EventGridEvent | func.CloudEvent:
    """One wire event (EventGridSchema or CloudEvents 1.0) as the worker hands it to the function."""
    if not isinstance(event, dict):
        raise ValueError(f"an event must be a JSON object, got {type(event).__name__}")
    decoded: func.EventGridEvent | func.CloudEvent = EventGridEventInConverter.decode(
        meta.Datum(json.dumps(event), "json"), trigger_metadata={}
    )
    return decoded


def event_type(event: dict[str, Any]) -> str | None:
    """``eventType`` (EventGridSchema) or ``type`` (CloudEvents)."""
    value = event.get("eventType", event.get("type"))
    return str(value) if value is not None else None


def events_from_body(body: bytes) -> list[dict[str, Any]]:
    """A webhook body as a list of events: arrays as they are, a single object as a batch of one."""
    parsed = json.loads(body.decode("utf-8"))
    events = parsed if isinstance(parsed, list) else [parsed]
    if not all(isinstance(e, dict) for e in events):
        raise ValueError("every event must be a JSON object")
    return events

"""An ACS event as a CloudEvents 1.0 structured-mode JSON body (what ``cloudevents`` subscribers get)."""

from __future__ import annotations

from typing import Any

from .events import AcsEvent

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def to_cloud_event(event: AcsEvent) -> dict[str, Any]:
    """The event unchanged in meaning: ``id``, ``source``, ``type`` and ``data`` as ACS sent them."""
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": event.id,
        "source": event.source,
        "type": event.event_type,
        "subject": event.subject,
        "datacontenttype": "application/json",
        "data": event.data,
    }
    if event.time:
        body["time"] = event.time
    return body

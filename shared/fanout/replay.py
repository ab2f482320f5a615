"""Replaying what Event Grid dead-lettered: events it could not deliver to ``fanout_acs_event`` within
its retries (30 attempts, 24 hours) land as blobs in the dead-letter container, each a JSON array
of Event Grid events with Event Grid's own fields added (``deadLetterReason`` and the like).

Each event goes through the same ``FanoutDispatcher`` the Event Grid trigger uses, so a replayed
event gets the same delivery ids it would have had: subscribers drop duplicates by ``X-Delivery-Id``.
A blob is deleted only after every event in it was dispatched.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from azure.storage.blob import ContainerClient

from ..errors import AppError
from .events import AcsEvent, parse_event

logger = logging.getLogger(__name__)


class Dispatcher(Protocol):
    def dispatch(self, event: AcsEvent) -> list[str]: ...


@dataclass(frozen=True)
class ReplayReport:
    """What one replay did: blobs read (and deleted, unless kept), events dispatched or dropped."""

    blobs: int
    events: int
    deliveries: int
    dropped: int
    kept: bool

    def to_json(self) -> dict[str, Any]:
        return {"blobs": self.blobs, "events": self.events, "deliveries": self.deliveries, "dropped": self.dropped,
                "kept": self.kept}


class DeadLetteredEventReplayer:
    """Reads every blob of the dead-letter container and dispatches its events to the subscriptions."""

    def __init__(self, *, container: ContainerClient, dispatcher: Dispatcher) -> None:
        self._container = container
        self._dispatcher = dispatcher

    def replay(self, *, keep: bool = False) -> ReplayReport:
        """Dispatch every dead-lettered event; ``keep`` leaves the blobs in place (a second run repeats them)."""
        blobs = events = deliveries = dropped = 0
        for blob in list(self._container.list_blobs()):
            raw = self._container.download_blob(blob.name).readall()
            try:
                decoded = json.loads(raw)
            except ValueError:
                logger.warning("dead-letter blob %s is not JSON; left in place", blob.name)
                continue
            batch = decoded if isinstance(decoded, list) else [decoded]
            for item in batch:
                try:
                    event = parse_event(item if isinstance(item, dict) else {})
                except AppError as error:
                    logger.warning("dead-lettered event in %s dropped: %s", blob.name, error.message)
                    dropped += 1
                    continue
                deliveries += len(self._dispatcher.dispatch(event))
                events += 1
            blobs += 1
            if not keep:
                self._container.delete_blob(blob.name)
        return ReplayReport(blobs=blobs, events=events, deliveries=deliveries, dropped=dropped, kept=keep)

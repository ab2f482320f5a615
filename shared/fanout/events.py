"""ACS chat events from Event Grid, in either schema (EventGridSchema or CloudEvents 1.0), as one shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import BadRequestError

PREFIX = "Microsoft.Communication."
MIGRATED_FROM_KEY = "migratedFrom"
MIGRATED_FROM_VALUE = "twilio"

# Chat event types the fan-out knows (research acs.md §5.1): thread-level first, then per-user.
THREAD_LEVEL_TYPES = (
    "ChatMessageReceivedInThread",
    "ChatMessageEditedInThread",
    "ChatMessageDeletedInThread",
    "ChatThreadCreated",
    "ChatThreadPropertiesUpdated",
    "ChatThreadDeleted",
    "ChatThreadParticipantAdded",
    "ChatThreadParticipantRemoved",
)
PER_USER_TYPES = (
    "ChatMessageReceived",
    "ChatMessageEdited",
    "ChatMessageDeleted",
    "ChatThreadCreatedWithUser",
    "ChatThreadPropertiesUpdatedPerUser",
    "ChatThreadWithUserDeleted",
    "ChatParticipantAddedToThreadWithUser",
    "ChatParticipantRemovedFromThreadWithUser",
)
CHAT_EVENT_TYPES = tuple(PREFIX + t for t in THREAD_LEVEL_TYPES + PER_USER_TYPES)
# Calling events of room calls (research rooms-and-calling.md §3): Twilio Video room status callbacks.
CALLING_TYPES = ("CallStarted", "CallEnded", "CallParticipantAdded", "CallParticipantRemoved",
                 "RecordingFileStatusUpdated")
CALLING_EVENT_TYPES = tuple(PREFIX + t for t in CALLING_TYPES)


@dataclass(frozen=True)
class AcsEvent:
    """One ACS event, whichever schema it came in: ``event_type`` is the full name."""

    id: str
    event_type: str
    source: str  # EventGridSchema ``topic`` or CloudEvents ``source``
    subject: str
    time: str | None  # ISO 8601 as sent
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def short_type(self) -> str:
        """``ChatMessageReceivedInThread`` for ``Microsoft.Communication.ChatMessageReceivedInThread``."""
        return self.event_type.removeprefix(PREFIX)

    @property
    def is_chat(self) -> bool:
        return self.event_type in CHAT_EVENT_TYPES

    @property
    def is_calling(self) -> bool:
        return self.event_type in CALLING_EVENT_TYPES

    @property
    def thread_id(self) -> str | None:
        value = self.data.get("threadId")
        return str(value) if value else None

    @property
    def is_migrated(self) -> bool:
        """True for events about messages the migration wrote (metadata ``migratedFrom=twilio``)."""
        metadata = self.data.get("metadata")
        return isinstance(metadata, Mapping) and metadata.get(MIGRATED_FROM_KEY) == MIGRATED_FROM_VALUE

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "eventType": self.event_type, "source": self.source, "subject": self.subject,
                "time": self.time, "data": self.data}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AcsEvent:
        return cls(id=str(raw["id"]), event_type=str(raw["eventType"]), source=str(raw.get("source") or ""),
                   subject=str(raw.get("subject") or ""), time=raw.get("time"), data=dict(raw.get("data") or {}))


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise BadRequestError("The event's data is not a JSON object.", target="data")
    return value


def _required(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise BadRequestError(f"The event has no {name}.", target=name)
    return value


def parse_event(raw: Mapping[str, Any]) -> AcsEvent:
    """An ``AcsEvent`` from a decoded JSON event in either schema; ``BadRequestError`` if malformed.

    Plain data only: the Event Grid trigger turns its SDK objects into this shape (``shared/triggers/fanout.py``).
    """
    if "specversion" in raw:
        return AcsEvent(
            id=_required(raw.get("id"), "id"), event_type=_required(raw.get("type"), "type"),
            source=str(raw.get("source") or ""), subject=str(raw.get("subject") or ""), time=raw.get("time"),
            data=_data(raw.get("data")),
        )
    return AcsEvent(
        id=_required(raw.get("id"), "id"), event_type=_required(raw.get("eventType"), "eventType"),
        source=str(raw.get("topic") or ""), subject=str(raw.get("subject") or ""), time=raw.get("eventTime"),
        data=_data(raw.get("data")),
    )

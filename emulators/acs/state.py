"""In-memory state: identities, threads, participants, messages, read receipts."""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .formats import EPOCH, rest_time


def identifier(raw_id: str) -> dict[str, Any]:
    """A ``CommunicationIdentifierModel`` as the service writes it (no ``kind``)."""
    if raw_id.startswith("8:"):
        return {"rawId": raw_id, "communicationUser": {"id": raw_id}}
    if raw_id.startswith("4:"):
        return {"rawId": raw_id, "phoneNumber": {"value": raw_id[2:]}}
    return {"rawId": raw_id, "communicationUser": {"id": raw_id}}


def raw_id_of(model: Any) -> str | None:
    """The raw id in a request identifier (``communicationUser.id`` first, then ``rawId``)."""
    if not isinstance(model, dict):
        return None
    user = model.get("communicationUser")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return str(user["id"])
    raw = model.get("rawId")
    return raw if isinstance(raw, str) else None


@dataclass
class User:
    id: str
    created_at: datetime
    revoked_before: float = 0.0


@dataclass
class Participant:
    user_id: str
    display_name: str | None
    share_history_time: datetime
    joined_at: datetime

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"communicationIdentifier": identifier(self.user_id)}
        if self.display_name is not None:
            data["displayName"] = self.display_name
        data["shareHistoryTime"] = rest_time(self.share_history_time)
        return data


@dataclass
class Message:
    id: str
    type: str
    sequence_id: int
    version: int
    created_at: datetime
    sender_id: str | None
    sender_display_name: str | None = None
    content: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] | None = None
    edited_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def is_system(self) -> bool:
        return self.type not in ("text", "html")

    def updated_at(self) -> datetime:
        return max(t for t in (self.created_at, self.edited_at, self.deleted_at) if t is not None)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "sequenceId": str(self.sequence_id),
            "version": str(self.version),
        }
        if self.deleted_at is None:
            data["content"] = self.content
        if self.sender_display_name is not None and not self.is_system:
            data["senderDisplayName"] = self.sender_display_name
        data["createdOn"] = rest_time(self.created_at)
        if self.sender_id is not None:
            data["senderCommunicationIdentifier"] = identifier(self.sender_id)
        if self.deleted_at is not None:
            data["deletedOn"] = rest_time(self.deleted_at)
        if self.edited_at is not None:
            data["editedOn"] = rest_time(self.edited_at)
        if self.metadata and self.deleted_at is None:
            data["metadata"] = dict(self.metadata)
        return data


@dataclass
class ReadReceipt:
    user_id: str
    message_id: str
    read_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "senderCommunicationIdentifier": identifier(self.user_id),
            "chatMessageId": self.message_id,
            "readOn": rest_time(self.read_at),
        }


@dataclass
class Thread:
    id: str
    topic: str
    created_at: datetime
    created_by: str
    participants: dict[str, Participant] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    by_id: dict[str, Message] = field(default_factory=dict)
    receipts: dict[str, ReadReceipt] = field(default_factory=dict)
    deleted_at: datetime | None = None
    last_message_at: datetime | None = None
    next_sequence: int = 1
    last_message_ms: int = 0
    version: int = 0

    def properties(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "topic": self.topic,
            "createdOn": rest_time(self.created_at),
            "createdByCommunicationIdentifier": identifier(self.created_by),
        }
        if self.deleted_at is not None:
            data["deletedOn"] = rest_time(self.deleted_at)
        return data

    def item(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "topic": self.topic}
        if self.deleted_at is not None:
            data["deletedOn"] = rest_time(self.deleted_at)
        if self.last_message_at is not None:
            data["lastMessageReceivedOn"] = rest_time(self.last_message_at)
        return data

    def admin_view(self) -> dict[str, Any]:
        return {
            **self.properties(),
            "version": self.version,
            "participants": [p.to_json() for p in self.participants.values()],
            "messages": [m.to_json() for m in self.messages],
            "readReceipts": [r.to_json() for r in self.receipts.values()],
        }


class Ids:
    """Seeded id generator: the same seed gives the same users, threads and event ids."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.resource_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        self._noise = random.Random(f"acs-emulator-correlation-{seed}")

    def correlation(self) -> str:
        """An ``MS-CV`` value; drawn apart so reads never shift the ids of later writes."""
        return base64.b64encode(self._noise.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode("ascii") + ".0"

    def user(self) -> str:
        """``8:acs:<resource>_<opaque>`` like the service's identity ids."""
        opaque = uuid.UUID(int=self.rng.getrandbits(128))
        return f"8:acs:{self.resource_id}_{str(opaque)[:8]}-{str(opaque)[9:23]}-{str(opaque)[24:]}"

    def thread(self) -> str:
        """``19:<43 base64url chars>1@thread.v2``, the current real format."""
        raw = self.rng.getrandbits(256).to_bytes(32, "big")
        return "19:" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") + "1@thread.v2"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def transaction(self) -> str:
        raw = self.rng.getrandbits(128).to_bytes(16, "big")
        return base64.b64encode(raw).rstrip(b"=").decode("ascii") + f".1.1.1.1.{self.rng.getrandbits(31)}.1"


@dataclass
class Store:
    """Everything the stand-in remembers; ``reset`` empties it."""

    users: dict[str, User] = field(default_factory=dict)
    threads: dict[str, Thread] = field(default_factory=dict)
    create_replays: dict[tuple[str, str], tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    token_issue_times: dict[str, float] = field(default_factory=dict)

    def reset(self) -> None:
        self.users.clear()
        self.threads.clear()
        self.create_replays.clear()
        self.token_issue_times.clear()


SHARE_ALL = EPOCH

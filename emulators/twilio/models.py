"""In-memory records. One ``Conversation`` object is also the Chat v2 channel with the same SID."""

from __future__ import annotations

import base64
import bisect
from dataclasses import dataclass, field, fields
from typing import Any


def default_push() -> dict[str, Any]:
    """Push notification settings of a new Conversation Service (all off, Twilio's templates)."""
    return {
        "log_enabled": False,
        "new_message": {"enabled": False, "template": None, "sound": None, "badge_count_enabled": False,
                        "with_media": {"enabled": False, "template": None}},
        "added_to_conversation": {"enabled": False, "template": None, "sound": None},
        "removed_from_conversation": {"enabled": False, "template": None, "sound": None},
    }


@dataclass
class Role:
    """A Conversations role (``conversation``/``service``); Chat v2 calls them ``channel``/``deployment``."""

    sid: str
    service_sid: str
    friendly_name: str
    type: str
    permissions: list[str]
    date_created: int
    date_updated: int


@dataclass
class Service:
    """A Conversation Service (``IS``), which is also the Chat v2 service."""

    sid: str
    friendly_name: str
    date_created: int
    date_updated: int
    default_conversation_creator_role_sid: str | None = None
    default_conversation_role_sid: str | None = None
    default_chat_service_role_sid: str | None = None
    reachability_enabled: bool = False
    read_status_enabled: bool = True
    typing_indicator_timeout: int = 5
    consumption_report_interval: int = 10
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    webhook_method: str = "POST"
    webhook_filters: list[str] = field(default_factory=list)
    notifications: dict[str, Any] = field(default_factory=dict)  # Chat v2 service notifications
    push: dict[str, Any] = field(default_factory=lambda: default_push())  # v1 Configuration/Notifications


@dataclass
class User:
    """A user (``US``) of one service; the same object in Conversations v1 and Chat v2."""

    sid: str
    service_sid: str
    identity: str
    friendly_name: str | None
    attributes: str
    role_sid: str | None
    date_created: int
    date_updated: int


@dataclass
class Participant:
    """A participant (``MB``): chat (identity) or SMS/WhatsApp (messaging_binding); Chat v2 member."""

    sid: str
    conversation_sid: str
    identity: str | None
    attributes: str
    messaging_binding: dict[str, str] | None
    role_sid: str | None
    date_created: int
    date_updated: int
    last_read_message_index: int | None = None
    last_read_timestamp: int | None = None


@dataclass
class Receipt:
    """A delivery receipt (``DY``) of one message for one non-chat participant."""

    sid: str
    message_sid: str
    participant_sid: str
    channel_message_sid: str
    status: str
    error_code: int
    date_created: int
    date_updated: int


@dataclass
class Message:
    """A message (``IM``). ``index`` only grows; deletions leave gaps."""

    sid: str
    conversation_sid: str
    index: int
    author: str
    body: str | None
    attributes: str
    media_sids: list[str]
    participant_sid: str | None
    date_created: int
    date_updated: int | None
    was_edited: bool = False
    last_updated_by: str | None = None
    content_sid: str | None = None
    receipts: list[Receipt] = field(default_factory=list)


@dataclass
class ConversationWebhook:
    """A conversation-scoped webhook (``WH``); only ``target=webhook`` is delivered."""

    sid: str
    conversation_sid: str
    target: str
    url: str | None
    method: str
    filters: list[str]
    triggers: list[str]
    flow_sid: str | None
    replay_after: int | None
    date_created: int
    date_updated: int
    retry_count: int = 0


@dataclass
class Conversation:
    """A conversation / Chat v2 channel (``CH``). ``type='public'`` hides it from Conversations v1."""

    sid: str
    service_sid: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str
    state: str
    date_created: int
    date_updated: int
    type: str = "private"
    created_by: str = "system"
    messaging_service_sid: str | None = None
    date_inactive: float | None = None  # when the timers fire (epoch seconds)
    date_closed: float | None = None
    inactive_after: float | None = None  # timer durations in (time-scaled) seconds
    closed_after: float | None = None
    next_index: int = 0
    seq: int = 0
    messages: list[Message] = field(default_factory=list)
    participants: dict[str, Participant] = field(default_factory=dict)
    webhooks: dict[str, ConversationWebhook] = field(default_factory=dict)
    _indices: list[int] = field(default_factory=list, repr=False)
    _by_sid: dict[str, Message] = field(default_factory=dict, repr=False)

    def add_message(self, message: Message) -> None:
        """Append (indices are increasing, so the list stays sorted)."""
        self.messages.append(message)
        self._indices.append(message.index)
        self._by_sid[message.sid] = message
        self.next_index = max(self.next_index, message.index + 1)

    def remove_message(self, message: Message) -> None:
        pos = bisect.bisect_left(self._indices, message.index)
        del self.messages[pos]
        del self._indices[pos]
        del self._by_sid[message.sid]

    def message(self, sid: str) -> Message | None:
        return self._by_sid.get(sid)

    @property
    def indices(self) -> list[int]:
        return self._indices

    def participant_by_identity(self, identity: str) -> Participant | None:
        for participant in self.participants.values():
            if participant.identity == identity:
                return participant
        return None


@dataclass
class Media:
    """An MCS media record (``ME``) and its bytes."""

    sid: str
    service_sid: str
    content_type: str
    filename: str | None
    data: bytes
    author: str | None
    category: str
    date_created: float
    message_sid: str | None = None
    channel_sid: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class AccountConfig:
    """``/v1/Configuration`` and ``/v1/Configuration/Webhooks``."""

    default_chat_service_sid: str
    default_messaging_service_sid: str | None = None
    default_inactive_timer: str | None = None
    default_closed_timer: str | None = None
    webhook_method: str = "POST"
    webhook_filters: list[str] = field(default_factory=list)
    pre_webhook_url: str | None = None
    post_webhook_url: str | None = None
    webhook_target: str = "webhook"


def to_plain(obj: Any) -> Any:
    """A dataclass tree as JSON-able data (bytes as base64, private fields skipped)."""
    if isinstance(obj, bytes):
        return base64.b64encode(obj).decode()
    if isinstance(obj, list):
        return [to_plain(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_plain(value) for key, value in obj.items()}
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj) if not f.name.startswith("_")}
    return obj


def _kwargs(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls) if not f.name.startswith("_")}
    return {key: value for key, value in data.items() if key in names}


def conversation_from_plain(data: dict[str, Any]) -> Conversation:
    """Inverse of ``to_plain`` for a conversation and everything inside it."""
    plain = _kwargs(Conversation, data)
    messages = plain.pop("messages", [])
    participants = plain.pop("participants", {})
    webhooks = plain.pop("webhooks", {})
    conversation = Conversation(**plain)
    conversation.next_index = 0
    for item in sorted(messages, key=lambda m: m["index"]):
        receipts = [Receipt(**_kwargs(Receipt, r)) for r in item.get("receipts", [])]
        message = Message(**{**_kwargs(Message, item), "receipts": receipts})
        conversation.add_message(message)
    conversation.next_index = max(conversation.next_index, int(data.get("next_index", 0)))
    conversation.participants = {sid: Participant(**_kwargs(Participant, p)) for sid, p in participants.items()}
    conversation.webhooks = {sid: ConversationWebhook(**_kwargs(ConversationWebhook, w)) for sid, w in webhooks.items()}
    return conversation


def media_from_plain(data: dict[str, Any]) -> Media:
    plain = _kwargs(Media, data)
    plain["data"] = base64.b64decode(plain.get("data", ""))
    return Media(**plain)


def from_plain(cls: type[Any], data: dict[str, Any]) -> Any:
    """A flat dataclass from its ``to_plain`` form."""
    return cls(**_kwargs(cls, data))

"""ACS chat events as Twilio Conversations post-event webhooks (form fields, research twilio.md §5.2).

Thread-level ACS events map one-to-one onto Twilio's post-event webhooks; the per-user copies
(one per recipient) have no Twilio counterpart and are not translated. ACS ids become the
Twilio SIDs and identities they were migrated from when the state tables know them, and
stay ACS ids otherwise (a live thread has no Twilio SID; its messages' ``Index`` is the ACS
message id, which grows with time, so Twilio's "indices grow, may skip" still holds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..state import ConversationRecord
from .events import AcsEvent
from .lookups import IdLookups

TWILIO_EVENT_FOR: Mapping[str, str] = {
    "ChatMessageReceivedInThread": "onMessageAdded",
    "ChatMessageEditedInThread": "onMessageUpdated",
    "ChatMessageDeletedInThread": "onMessageRemoved",
    "ChatThreadCreated": "onConversationAdded",
    "ChatThreadPropertiesUpdated": "onConversationUpdated",
    "ChatThreadDeleted": "onConversationRemoved",
    "ChatThreadParticipantAdded": "onParticipantAdded",
    "ChatThreadParticipantRemoved": "onParticipantRemoved",
}
TWILIO_EVENT_TYPES = tuple(TWILIO_EVENT_FOR.values())
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def twilio_date(value: Any) -> str | None:
    """An ACS timestamp as Twilio writes webhook dates: UTC, milliseconds, ``Z``."""
    if not isinstance(value, str) or not value:
        return None
    text = _FRACTION.sub(lambda m: m.group(1), value.strip()).replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _media(metadata: Mapping[str, Any]) -> str | None:
    """``fileSharingMetadata`` (ACS UI Library convention) as Twilio's ``Media`` JSON, if present."""
    raw = metadata.get("fileSharingMetadata")
    if not isinstance(raw, str):
        return None
    try:
        files = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(files, list):
        return None
    media = [
        {"Sid": str(f.get("id", "")), "Filename": str(f.get("name", "")),
         "ContentType": str(f.get("contentType") or f.get("extension") or ""), "Size": f.get("size", 0)}
        for f in files if isinstance(f, dict)
    ]
    return json.dumps(media, separators=(",", ":")) if media else None


class TwilioTranslator:
    """Builds the form fields of one Twilio webhook from one ACS event."""

    def __init__(self, *, account_sid: str, lookups: IdLookups) -> None:
        self._account_sid = account_sid
        self._lookups = lookups

    @staticmethod
    def event_type_for(event: AcsEvent) -> str | None:
        """The Twilio webhook name for ``event``, or None when it has no Twilio counterpart."""
        return TWILIO_EVENT_FOR.get(event.short_type) if event.is_chat else None

    def translate(self, event: AcsEvent) -> dict[str, str] | None:
        """The webhook's form fields (strings only, empty ones left out), or None when not translated.

        Three steps: the fields every webhook has (``_common_fields``), then those of its family
        (message, conversation or participant), then empty ones dropped.
        """
        twilio_type = self.event_type_for(event)
        thread_id = event.thread_id
        if twilio_type is None or thread_id is None:
            return None
        record = self._lookups.conversation_for_thread(thread_id)
        fields = self._common_fields(twilio_type, thread_id, record)
        if twilio_type.startswith("onMessage"):
            fields.update(self._message_event_fields(twilio_type, event.data, record))
        elif twilio_type.startswith("onConversation"):
            fields.update(self._conversation_event_fields(twilio_type, event.data, record))
        else:
            fields.update(self._participant_event_fields(twilio_type, event.data))
        return {name: value for name, value in fields.items() if value is not None}

    def _common_fields(self, twilio_type: str, thread_id: str, record: ConversationRecord | None
                       ) -> dict[str, str | None]:
        """Account, event type and the conversation: its Twilio SID when migrated, else the thread id."""
        return {
            "AccountSid": self._account_sid,
            "EventType": twilio_type,
            "Source": "SDK",
            "ConversationSid": record.conversation_sid if record is not None else thread_id,
            "ChatServiceSid": record.service_sid if record is not None else None,
        }

    def _message_event_fields(self, twilio_type: str, data: Mapping[str, Any], record: ConversationRecord | None
                              ) -> dict[str, str | None]:
        """onMessageAdded / Updated / Removed: the message, plus when it changed."""
        fields = self._message_fields(data, record.conversation_sid if record is not None else None)
        if twilio_type != "onMessageAdded":
            fields["DateUpdated"] = twilio_date(data.get("editTime") or data.get("deleteTime"))
        if twilio_type == "onMessageRemoved":
            fields["DateRemoved"] = twilio_date(data.get("deleteTime"))
        return fields

    def _conversation_event_fields(self, twilio_type: str, data: Mapping[str, Any],
                                   record: ConversationRecord | None) -> dict[str, str | None]:
        """onConversationAdded / Updated / Removed: who did it, the topic, attributes and state."""
        actor = data.get("createdByCommunicationIdentifier") or data.get("editedByCommunicationIdentifier") \
            or data.get("deletedByCommunicationIdentifier")
        properties = _object(data.get("properties"))
        removed = twilio_type == "onConversationRemoved"
        return {
            "ClientIdentity": self._lookups.participant(actor).identity,
            "DateCreated": twilio_date(data.get("createTime")),
            "DateUpdated": twilio_date(data.get("editTime") or data.get("deleteTime") or data.get("createTime")),
            "FriendlyName": str(properties.get("topic")) if properties.get("topic") is not None else None,
            "Attributes": json.dumps(record.attributes, separators=(",", ":")) if record is not None else "{}",
            "State": "closed" if removed else "active",
            "DateRemoved": twilio_date(data.get("deleteTime")) if removed else None,
        }

    def _participant_event_fields(self, twilio_type: str, data: Mapping[str, Any]) -> dict[str, str | None]:
        """onParticipantAdded / Removed: who joined or left, who did it, and when."""
        added = twilio_type == "onParticipantAdded"
        who = data.get("participantAdded" if added else "participantRemoved") or {}
        actor = data.get("addedByCommunicationIdentifier" if added else "removedByCommunicationIdentifier")
        metadata = who.get("metadata") if isinstance(who, dict) else None
        fields: dict[str, str | None] = {
            "ClientIdentity": self._lookups.participant(actor).identity,
            "Identity": self._lookups.participant(who.get("participantCommunicationIdentifier")).identity
            if isinstance(who, dict) else None,
            "DateCreated": twilio_date(data.get("time")),
            "Attributes": json.dumps(metadata or {}, separators=(",", ":")),
        }
        if not added:
            fields["DateUpdated"] = twilio_date(data.get("time"))
            fields["DateRemoved"] = twilio_date(data.get("time"))
        return fields

    def _message_fields(self, data: Mapping[str, Any], migrated_sid: str | None) -> dict[str, str | None]:
        acs_message_id = str(data.get("messageId") or "")
        mapping = self._lookups.message(migrated_sid, acs_message_id) if migrated_sid and acs_message_id else None
        author = self._lookups.participant(data.get("senderCommunicationIdentifier")).identity
        metadata = _object(data.get("metadata"))
        attributes = metadata.get("attributes")
        return {
            "MessageSid": mapping.twilio_message_sid if mapping is not None else acs_message_id,
            "Index": str(mapping.index) if mapping is not None else acs_message_id,
            "DateCreated": twilio_date(data.get("composeTime")),
            "Body": str(data["messageBody"]) if data.get("messageBody") is not None else None,
            "Author": author,
            "ClientIdentity": author,
            "Attributes": attributes if isinstance(attributes, str) else "{}",
            "Media": _media(metadata),
        }

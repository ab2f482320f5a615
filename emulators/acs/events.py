"""Event Grid chat events shaped like the official examples (research §5), kept in a log.

Per-user events (``...WithUser``, ``...PerUser``, ``ChatMessageReceived`` ...) go once per
recipient; thread-level ones once per change. Message events skip the sender as recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .formats import event_data_time, event_time
from .state import Ids, Message, Participant, Thread, identifier

PREFIX = "Microsoft.Communication."


def _message_type(message: Message) -> str:
    return message.type[:1].upper() + message.type[1:]


def _participant(p: Participant) -> dict[str, Any]:
    return {
        "displayName": p.display_name or "",
        "participantCommunicationIdentifier": identifier(p.user_id),
        "metadata": {},
    }


def _ms_time(moment: datetime) -> str:
    """Message event times as the examples write them: milliseconds and ``Z``."""
    return event_data_time(moment).replace("+00:00", "Z")


class EventFactory:
    """Builds EventGridSchema events and hands each to ``emit``."""

    def __init__(self, ids: Ids, topic: str, emit: Callable[[dict[str, Any]], None], now: Callable[[], datetime]):
        self._ids = ids
        self.topic = topic
        self._emit = emit
        self._now = now

    def _event(self, event_type: str, subject: str, data: dict[str, Any]) -> None:
        self.publish(event_type, subject, data, self._now())

    def publish(
        self, event_type: str, subject: str, data: dict[str, Any], at: datetime, *, event_id: str | None = None
    ) -> None:
        """Emit one EventGridSchema event of ``Microsoft.Communication.<event_type>`` stamped ``at``."""
        self._emit(
            {
                "id": event_id or self._ids.uuid(),
                "topic": self.topic,
                "subject": subject,
                "data": data,
                "eventType": PREFIX + event_type,
                "dataVersion": "1.0",
                "metadataVersion": "1",
                "eventTime": event_time(at),
            }
        )

    # ---- messages -------------------------------------------------------------------------

    def _message_common(self, thread: Thread, message: Message) -> dict[str, Any]:
        sender = message.sender_id or thread.created_by
        return {
            "messageId": message.id,
            "senderCommunicationIdentifier": identifier(sender),
            "senderDisplayName": message.sender_display_name or "",
            "composeTime": _ms_time(message.created_at),
            "type": _message_type(message),
            "version": message.version,
        }

    def message(self, kind: str, thread: Thread, message: Message, recipients: Iterable[str]) -> None:
        """``kind`` is Received, Edited or Deleted: one in-thread event plus one per recipient."""
        sender = message.sender_id or thread.created_by
        txn = self._ids.transaction()
        extra: dict[str, Any] = {}
        if kind in ("Received", "Edited"):
            extra = {"messageBody": message.content.get("message", ""), "metadata": dict(message.metadata or {})}
        if kind == "Edited" and message.edited_at is not None:
            extra["editTime"] = _ms_time(message.edited_at)
        if kind == "Deleted" and message.deleted_at is not None:
            extra["deleteTime"] = _ms_time(message.deleted_at)
        common = self._message_common(thread, message)
        for recipient in recipients:
            if recipient == sender:
                continue
            data = {
                **extra,
                "messageId": common["messageId"],
                "senderId": sender,
                **{k: v for k, v in common.items() if k != "messageId"},
                "recipientId": recipient,
                "recipientCommunicationIdentifier": identifier(recipient),
                "transactionId": txn,
                "threadId": thread.id,
            }
            self._event(f"ChatMessage{kind}", f"thread/{thread.id}/sender/{sender}/recipient/{recipient}", data)
        in_thread = {**extra, **common, "threadId": thread.id, "transactionId": txn}
        self._event(f"ChatMessage{kind}InThread", f"thread/{thread.id}/sender/{sender}", in_thread)

    # ---- threads --------------------------------------------------------------------------

    def _thread_tail(self, thread: Thread) -> dict[str, Any]:
        return {"createTime": event_data_time(thread.created_at), "version": thread.version}

    def thread_created(self, thread: Thread, actor: str) -> None:
        txn = self._ids.transaction()
        participants = [_participant(p) for p in thread.participants.values()]
        base = {
            "createdByCommunicationIdentifier": identifier(actor),
            "properties": {"topic": thread.topic},
            "participants": participants,
            "metadata": {},
            **self._thread_tail(thread),
        }
        for recipient in thread.participants:
            members = [
                {"displayName": p.display_name or "", "memberId": p.user_id} for p in thread.participants.values()
            ]
            data = {
                "createdBy": actor,
                "createdByCommunicationIdentifier": base["createdByCommunicationIdentifier"],
                "properties": base["properties"],
                "members": members,
                "participants": participants,
                "metadata": {},
                **self._thread_tail(thread),
                "recipientId": recipient,
                "recipientCommunicationIdentifier": identifier(recipient),
                "transactionId": txn,
                "threadId": thread.id,
            }
            self._event(
                "ChatThreadCreatedWithUser", f"thread/{thread.id}/createdBy/{actor}/recipient/{recipient}", data
            )
        self._event(
            "ChatThreadCreated",
            f"thread/{thread.id}/createdBy/{actor}",
            {**base, "threadId": thread.id, "transactionId": txn},
        )

    def thread_updated(self, thread: Thread, actor: str, edited_at: datetime) -> None:
        txn = self._ids.transaction()
        common = {
            "editedByCommunicationIdentifier": identifier(actor),
            "editTime": event_data_time(edited_at),
            "properties": {"topic": thread.topic},
            "metadata": {},
            **self._thread_tail(thread),
        }
        for recipient in thread.participants:
            data = {
                "editedBy": actor,
                **common,
                "recipientId": recipient,
                "recipientCommunicationIdentifier": identifier(recipient),
                "transactionId": txn,
                "threadId": thread.id,
            }
            subject = f"thread/{thread.id}/editedBy/{actor}/recipient/{recipient}"
            self._event("ChatThreadPropertiesUpdatedPerUser", subject, data)
        self._event(
            "ChatThreadPropertiesUpdated",
            f"thread/{thread.id}/editedBy/{actor}",
            {**common, "threadId": thread.id, "transactionId": txn},
        )

    def thread_deleted(self, thread: Thread, actor: str, deleted_at: datetime, recipients: Iterable[str]) -> None:
        txn = self._ids.transaction()
        common = {
            "deletedByCommunicationIdentifier": identifier(actor),
            "deleteTime": event_data_time(deleted_at),
            **self._thread_tail(thread),
        }
        for recipient in recipients:
            data = {
                "deletedBy": actor,
                **common,
                "recipientId": recipient,
                "recipientCommunicationIdentifier": identifier(recipient),
                "transactionId": txn,
                "threadId": thread.id,
            }
            subject = f"thread/{thread.id}/deletedBy/{actor}/recipient/{recipient}"
            self._event("ChatThreadWithUserDeleted", subject, data)
        self._event(
            "ChatThreadDeleted",
            f"thread/{thread.id}/deletedBy/{actor}",
            {**common, "threadId": thread.id, "transactionId": txn},
        )

    # ---- participants ---------------------------------------------------------------------

    def participant(
        self, added: bool, thread: Thread, actor: str, who: Participant, at: datetime, recipients: Iterable[str]
    ) -> None:
        """Added or removed: one in-thread event plus one per recipient."""
        txn = self._ids.transaction()
        verb = "added" if added else "removed"
        by_key = f"{verb}ByCommunicationIdentifier"
        who_key = f"participant{verb.capitalize()}"
        common = {
            "time": event_time(at),
            by_key: identifier(actor),
            who_key: _participant(who),
        }
        for recipient in recipients:
            data = {
                **common,
                "recipientCommunicationIdentifier": identifier(recipient),
                **self._thread_tail(thread),
                "transactionId": txn,
                "threadId": thread.id,
            }
            name = "ChatParticipantAddedToThreadWithUser" if added else "ChatParticipantRemovedFromThreadWithUser"
            subject = f"thread/{thread.id}/participant{verb.capitalize()}/{who.user_id}/recipient/{recipient}"
            self._event(name, subject, data)
        name = "ChatThreadParticipantAdded" if added else "ChatThreadParticipantRemoved"
        self._event(
            name,
            f"thread/{thread.id}/participant{verb}/{who.user_id}",
            {**common, **self._thread_tail(thread), "threadId": thread.id, "transactionId": txn},
        )


def to_cloud_event(event: dict[str, Any]) -> dict[str, Any]:
    """The CloudEvents 1.0 form of an EventGridSchema event (as Event Grid converts it)."""
    return {
        "source": event["topic"],
        "subject": event["subject"],
        "type": event["eventType"],
        "time": event["eventTime"],
        "id": event["id"],
        "data": event["data"],
        "specversion": "1.0",
    }

"""Twilio edits and deletions of messages already copied, applied to their ACS copies as the original author."""

from __future__ import annotations

from dataclasses import replace

from azure.communication.chat import ChatThreadClient

from ..state import MessageMapping, MessageMapStore
from .acs_chat import AcsChat
from .changes import copied_changes
from .content import OutgoingPart, build_parts, content_hash
from .media import MediaCopier
from .pacing import Pacer, PacerRegistry
from .people import People
from .retry import Retrier
from .slice import ExportSlice
from .source import SourceMessage, TwilioSource


class ChangeApplier:
    """Finds the copied messages Twilio has since edited or deleted (``changes.copied_changes``) and applies them.

    An edit updates each ACS copy (``twilioEdited=true``); an edit longer than the copies it had fills the last
    copy, cut to fit (``twilioTruncated=true``); a shorter one deletes the copies left over. Calls share the
    thread's send pacer. The map rows get the new content hash or ``deleted``, written ``flush_every`` at a time.
    """

    def __init__(
        self,
        *,
        source: TwilioSource,
        people: People,
        media: MediaCopier,
        chat: AcsChat,
        messages: MessageMapStore,
        retrier: Retrier,
        send_pacers: PacerRegistry,
        flush_every: int,
    ) -> None:
        self._source = source
        self._people = people
        self._media = media
        self._chat = chat
        self._messages = messages
        self._retrier = retrier
        self._send_pacers = send_pacers
        self._flush_every = flush_every

    def apply_changes(self, work: ExportSlice) -> None:
        """Apply every edit and deletion among the messages up to the high-water index; counts them on ``work``."""
        pacer = self._send_pacers.get(work.thread_id)
        changed: list[MessageMapping] = []
        for change in copied_changes(self._source.messages(work.conv), self._messages.list_messages(work.conv.sid),
                                     high_water_index=work.record.high_water_index):
            row = change.row
            if change.twilio is None:
                self._delete_copy(work, row, pacer)
                changed.append(replace(row, deleted=True))
                work.deletions += 1
            else:
                self._edit_copy(work, row, change.twilio, pacer)
                changed.append(replace(row, content_hash=content_hash(change.twilio)))
                work.edits += 1
            if len(changed) >= self._flush_every:
                self._messages.upsert_messages(work.conv.sid, changed)
                changed = []
        if changed:
            self._messages.upsert_messages(work.conv.sid, changed)

    def _author_client(self, work: ExportSlice, row: MessageMapping) -> ChatThreadClient:
        identity = row.author or str(work.record.attributes.get("creator"))
        return self._chat.thread_client(work.thread_id, self._people.token(identity))

    def _delete_copy(self, work: ExportSlice, row: MessageMapping, pacer: Pacer) -> None:
        client = self._author_client(work, row)
        for message_id in row.acs_message_ids:
            def delete(message_id: str = message_id) -> None:
                with pacer.slot():
                    client.delete_message(message_id)
            self._retrier.call(delete, what=f"deleting message {row.index} of {work.conv.sid}",
                               on_throttle=pacer.hold)

    def _edit_copy(self, work: ExportSlice, row: MessageMapping, message: SourceMessage, pacer: Pacer) -> None:
        client = self._author_client(work, row)
        person = work.people.of_author(message)
        copied = [self._media.copy(work.conv, m) for m in message.media]
        parts = build_parts(work.conv, message, author=person.identity, display_name=person.display_name,
                            media=copied)
        ids = list(row.acs_message_ids)
        if len(parts) > len(ids):  # more parts than before: the last copy carries the rest, cut to fit
            head, tail = parts[:len(ids) - 1], parts[len(ids) - 1:]
            last = replace(tail[0], metadata={**tail[0].metadata, "twilioTruncated": "true"})
            parts = [*head, last]
        for message_id, part in zip(ids, parts, strict=False):
            metadata = {**part.metadata, "twilioEdited": "true"}

            def update(message_id: str = message_id, part: OutgoingPart = part,
                       metadata: dict[str, str] = metadata) -> None:
                with pacer.slot():
                    client.update_message(message_id, content=part.content, metadata=metadata)
            self._retrier.call(update, what=f"editing message {row.index} of {work.conv.sid}",
                               on_throttle=pacer.hold)
        for message_id in ids[len(parts):]:
            def delete(message_id: str = message_id) -> None:
                with pacer.slot():
                    client.delete_message(message_id)
            self._retrier.call(delete, what=f"deleting a part of message {row.index}", on_throttle=pacer.hold)

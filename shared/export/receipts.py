"""Read receipts: each participant's last read Twilio message becomes an ACS read receipt sent as that participant."""

from __future__ import annotations

from collections.abc import Mapping

from azure.communication.chat import ChatThreadClient

from ..state import MessageMapping, MessageMapStore
from ..state.messages import MessageNotFoundError
from .acs_chat import AcsChat
from .pacing import Pacer, PacerRegistry
from .people import People
from .retry import Retrier
from .slice import ExportSlice
from .source import SourceParticipant

MAX_RECEIPT_PARTICIPANTS = 20  # ACS has no read receipts on threads with more than 20 participants
LOOK_BACK = 50  # mapped messages looked at below a last read index that is a gap (deleted, never sent)


class ReceiptSender:
    """Sends each participant's receipt once per read position (``receipts`` in the record's attributes)."""

    def __init__(
        self, *, people: People, chat: AcsChat, messages: MessageMapStore, retrier: Retrier, pacers: PacerRegistry
    ) -> None:
        self._people = people
        self._chat = chat
        self._messages = messages
        self._retrier = retrier
        self._pacers = pacers  # per (thread, participant)

    def send_receipts(self, work: ExportSlice, participants: list[SourceParticipant]) -> None:
        """A receipt for the last copy of each participant's last read message (or the nearest before it)."""
        if len(work.members) > MAX_RECEIPT_PARTICIPANTS:
            return
        thread_id = work.thread_id
        sent: dict[str, int] = dict(work.record.attributes.get("receipts") or {})
        changed = False
        found: dict[int, MessageMapping | None] = {}  # participants who read as far share one lookup
        for participant in participants:
            index = participant.last_read_index
            if index is None or index < 0:
                continue
            person = work.people.of_participant(participant)
            if sent.get(person.identity, -1) >= index:
                continue
            if index not in found:
                found[index] = self.mapped_at_or_before(work.conv.sid, index, recent=work.writer.recent)
            row = found[index]
            if row is None:
                continue
            client = self._chat.thread_client(thread_id, self._people.token(person.identity))
            pacer = self._pacers.get(f"{thread_id}|{person.acs_user_id}")

            def receipt(message_id: str = row.acs_message_ids[-1], pacer: Pacer = pacer,
                        client: ChatThreadClient = client) -> None:
                with pacer.slot():
                    client.send_read_receipt(message_id)
            self._retrier.call(receipt, what=f"sending a read receipt in {work.conv.sid}", on_throttle=pacer.hold)
            sent[person.identity] = index
            changed = True
        if changed:
            work.writer.save(attributes={**work.record.attributes, "receipts": sent})

    def mapped_at_or_before(self, conversation_sid: str, index: int, *,
                            recent: Mapping[int, MessageMapping] | None = None) -> MessageMapping | None:
        """The copied message at ``index``, or the nearest copied one before it (within ``LOOK_BACK``).

        ``recent``: rows this slice has just written (read from memory, not from the table).
        """
        for candidate in range(index, max(-1, index - LOOK_BACK), -1):
            row = (recent or {}).get(candidate)
            if row is None:
                try:
                    row = self._messages.get_message(conversation_sid, candidate)
                except MessageNotFoundError:
                    continue
            if not row.deleted and row.acs_message_ids:
                return row
        return None

"""One slice's writes: message-map rows, then the conversation record, in order on one thread off the send path."""

from __future__ import annotations

from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ..state import ConversationRecord, ConversationStore, MessageMapping, MessageMapStore
from .retry import Retrier

RECENT_ROWS = 64  # rows of the latest sends kept in memory for the read receipts (receipts.py)


class MessageMapWriter:
    """Writes the map rows of confirmed sends, then advances the high-water index (never the other way round).

    It owns the slice's conversation record: every record write goes through it, after every write already
    queued, and renews the slice's lease (``ConcurrentUpdateError`` when another worker took it over).
    """

    def __init__(
        self,
        record: ConversationRecord,
        *,
        owner: str,
        conversations: ConversationStore,
        messages: MessageMapStore,
        retrier: Retrier,
        lease_seconds: float,
    ) -> None:
        self.record = record
        self._owner = owner
        self._conversations = conversations
        self._messages = messages
        self._retrier = retrier
        self._lease_seconds = lease_seconds
        self._sid = record.conversation_sid
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{self._sid}")
        self._last_write: Future[None] | None = None
        self._pending: list[MessageMapping] = []
        self._pending_media = 0
        self.recent: OrderedDict[int, MessageMapping] = OrderedDict()  # by Twilio index, the newest last
        self.released = False  # the last save gave the lease up

    @property
    def pending(self) -> int:
        """Map rows added and not yet handed to the writer thread."""
        return len(self._pending)

    def add(self, row: MessageMapping, *, media_bytes: int = 0) -> None:
        """A row of a message ACS confirmed, written at the next ``flush``."""
        self._pending.append(row)
        self._pending_media += media_bytes
        self.recent[row.index] = row
        if len(self.recent) > RECENT_ROWS:
            self.recent.popitem(last=False)

    def save(self, **changes: object) -> ConversationRecord:
        """Update the record (renewing the lease) after every write already queued; waits for it."""
        return self._executor.submit(self._save_now, changes).result()

    def finish(self, **changes: object) -> ConversationRecord:
        """The slice's last write: update the record and give the lease up in the same request."""
        return self._executor.submit(self._save_now, changes, release=True).result()

    def _save_now(self, changes: dict[str, object], *, release: bool = False) -> ConversationRecord:
        owner, lease = (None, None) if release else (
            self._owner, datetime.now(UTC) + timedelta(seconds=self._lease_seconds))
        self.record = self._conversations.update_conversation(
            replace(self.record, lease_owner=owner, lease_expires_at=lease, **changes)  # type: ignore[arg-type]
        )
        self.released = release
        return self.record

    def flush(self, *, wait: bool = True) -> None:
        """Write the pending map rows, then advance the high-water index, message count and media bytes.

        ``wait=False`` returns at once so that sends go on (at most one batch waits behind the one being
        written; ``check`` surfaces a failure).
        """
        if self._pending:
            rows, media = self._pending, self._pending_media
            self._pending, self._pending_media = [], 0

            def write() -> None:
                self._retrier.call(lambda: self._messages.upsert_messages(self._sid, rows),
                                   what=f"recording messages of {self._sid}")
                self._save_now({"high_water_index": max(self.record.high_water_index, max(r.index for r in rows)),
                                "message_count": self.record.message_count + len(rows),
                                "media_bytes": self.record.media_bytes + media})

            if self._last_write is not None and not wait:
                self._last_write.result()
            self._last_write = self._executor.submit(write)
        if wait and self._last_write is not None:
            self._last_write.result()

    def check(self) -> None:
        """Raise the error of a background write that failed (the lease lost, storage down)."""
        if self._last_write is not None and self._last_write.done():
            self._last_write.result()

    def close(self) -> None:
        """Wait for the writes queued, then stop the writer thread."""
        self._executor.shutdown(wait=True)

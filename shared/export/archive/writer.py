"""The streaming transcript writer: archived messages into staged blocks, then one commit per blob.

Blocks are cut by content only (at most ``BLOCK_BYTES`` of JSON lines or ``BLOCK_MESSAGES``
messages), and progress is saved after each block, so a slice killed anywhere resumes at
the next unstaged block and the committed blobs are byte-identical to an uninterrupted
run's. Nothing is visible before the commit; memory holds one block, whatever the history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from ...archive_paths import CONVERSATION_METADATA
from ..retry import Retrier
from ..source import iso
from .progress import COMMITTED, ArchiveProgress
from .store import ArchiveStore, block_id
from .transcript import HTML_TYPE, JSONL_TYPE, ArchivedMessage, html_head, html_message, html_tail, jsonl_line

BLOCK_BYTES = 1 << 20
BLOCK_MESSAGES = 4000


class TranscriptWriter:
    """Writes one conversation's transcript pair (JSON lines and HTML) idempotently."""

    def __init__(self, *, store: ArchiveStore, retrier: Retrier) -> None:
        self._store = store
        self._retrier = retrier

    def write(
        self,
        conversation_sid: str,
        topic: str,
        entries: Iterable[ArchivedMessage],
        progress: ArchiveProgress,
        *,
        save: Callable[[ArchiveProgress], None],
        deadline: float | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> ArchiveProgress:
        """Stage ``entries`` (from ``progress.next_index`` to ``progress.through``) and commit when all are staged.

        Returns the progress: ``COMMITTED`` when done, still writing when ``deadline`` or ``stop`` came first.
        """
        jsonl: list[bytes] = []
        pages: list[bytes] = []
        size = 0
        chunk: list[ArchivedMessage] = []
        for entry in entries:
            if entry.message.index > progress.through:
                break
            line = jsonl_line(entry)
            jsonl.append(line)
            pages.append(html_message(entry))
            chunk.append(entry)
            size += len(line)
            if size >= BLOCK_BYTES or len(chunk) >= BLOCK_MESSAGES:
                progress = self._stage(conversation_sid, progress, chunk, jsonl, pages)
                save(progress)
                jsonl, pages, chunk, size = [], [], [], 0
                if stop() or (deadline is not None and time.monotonic() >= deadline):
                    return progress
        if chunk:
            progress = self._stage(conversation_sid, progress, chunk, jsonl, pages)
            save(progress)
        return self._commit(conversation_sid, topic, progress)

    def _stage(self, sid: str, progress: ArchiveProgress, chunk: list[ArchivedMessage], jsonl: list[bytes],
               pages: list[bytes]) -> ArchiveProgress:
        number = progress.blocks + 1
        block = block_id(progress.generation, number)
        for fmt, data in (("jsonl", b"".join(jsonl)), ("html", b"".join(pages))):
            self._retrier.call(lambda f=fmt, d=data: self._store.stage(sid, f, block, d),  # type: ignore[misc]
                               what=f"staging block {number} of the {fmt} archive of {sid}", service="storage")
        return replace(
            progress, blocks=number, next_index=chunk[-1].message.index + 1, count=progress.count + len(chunk),
            first_index=progress.first_index if progress.first_index >= 0 else chunk[0].message.index,
            first_at=progress.first_at or iso(chunk[0].message.date_created),
            last_at=iso(chunk[-1].message.date_created) or progress.last_at,
        )

    def _commit(self, sid: str, topic: str, progress: ArchiveProgress) -> ArchiveProgress:
        g = progress.generation
        head, tail = block_id(g, 0), block_id(g, progress.blocks + 1)
        self._retrier.call(lambda: self._store.stage(sid, "html", head, html_head(topic, sid)),
                           what=f"staging the head of the archive of {sid}", service="storage")
        self._retrier.call(lambda: self._store.stage(
            sid, "html", tail, html_tail(progress.count, progress.first_at, progress.last_at)),
            what=f"staging the tail of the archive of {sid}", service="storage")
        body = [block_id(g, n) for n in range(1, progress.blocks + 1)]
        metadata = {"generation": str(g), "messages": str(progress.count), "through": str(progress.through),
                    CONVERSATION_METADATA: sid}
        self._retrier.call(lambda: self._store.commit(sid, "jsonl", body, content_type=JSONL_TYPE, metadata=metadata),
                           what=f"committing the JSON-lines archive of {sid}", service="storage")
        self._retrier.call(lambda: self._store.commit(sid, "html", [head, *body, tail], content_type=HTML_TYPE,
                                                      metadata=metadata),
                           what=f"committing the HTML archive of {sid}", service="storage")
        return replace(progress, state=COMMITTED)

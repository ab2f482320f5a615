"""Reconcile: what ACS holds beyond the high-water index (sent, but the answer or the map write was lost)."""

from __future__ import annotations

from collections.abc import Iterator

from ..state import MessageMapping
from .lost_sends import newest_pages
from .retry import Retrier
from .slice import ExportSlice
from .thread_setup import ThreadSetup

RECONCILE_PAGE = 100


def migrated_metadata(message: object, conversation_sid: str) -> dict[str, str] | None:
    """The metadata of a live message the export copied from this conversation; None for any other message."""
    metadata = getattr(message, "metadata", None) or {}
    if metadata.get("migratedFrom") != "twilio" or metadata.get("twilioConversationSid") != conversation_sid:
        return None
    if getattr(message, "deleted_on", None) is not None:
        return None
    return dict(metadata)


class Reconciler:
    """Records the copies ACS already holds above the high-water index, so they are never sent again.

    A message split into parts that ACS holds only some of is left in ``ExportSlice.partial`` (its
    remaining parts are sent next); nothing after it is recorded, since nothing after it can have been sent.
    """

    def __init__(self, *, threads: ThreadSetup, retrier: Retrier) -> None:
        self._threads = threads
        self._retrier = retrier

    def _thread_tail(self, work: ExportSlice) -> Iterator[tuple[str, dict[str, str]]]:
        """Migrated messages newest first, down to (and including) the first one at or below high water."""
        client = self._threads.creator_client(work)
        for page in newest_pages(client, self._retrier, page_size=RECONCILE_PAGE,
                                 what=f"reading {work.record.thread_id}"):
            for message in page:
                metadata = migrated_metadata(message, work.conv.sid)
                if metadata is None:
                    continue
                yield str(message.id), metadata
                if int(metadata.get("twilioIndex", "-1")) <= work.record.high_water_index:
                    return

    def reconcile(self, work: ExportSlice) -> None:
        """Write map rows (and the high-water index) for every complete copy found above high water."""
        found: dict[str, dict[int, str]] = {}
        meta: dict[str, dict[str, str]] = {}
        for message_id, metadata in self._thread_tail(work):
            index = int(metadata.get("twilioIndex", "-1"))
            if index <= work.record.high_water_index:
                break
            sid = metadata["twilioMessageSid"]
            found.setdefault(sid, {})[int(metadata.get("twilioPart", "1"))] = message_id
            meta[sid] = metadata
        if not found:
            return
        complete = []
        for sid, parts in found.items():
            count = int(meta[sid].get("twilioPartCount", "1"))
            if len(parts) == count:
                complete.append((int(meta[sid]["twilioIndex"]), sid, parts))
            else:
                work.partial[sid] = parts
        complete.sort()
        if work.partial:  # nothing after an incomplete split message can have been sent
            first_partial = min(int(meta[s]["twilioIndex"]) for s in work.partial)
            complete = [c for c in complete if c[0] < first_partial]
        for index, sid, parts in complete:
            author = meta[sid].get("originalAuthor")
            ids = tuple(parts[k] for k in sorted(parts))
            work.writer.add(MessageMapping(work.conv.sid, index, sid, ids, author=author))
        work.writer.flush()

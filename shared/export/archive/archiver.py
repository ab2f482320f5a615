"""One conversation's archive, one slice at a time: boundary, transcript, link message, later changes.

``ConversationArchiver.advance`` is called by the exporter after the thread is set up and
before any copy is sent; it returns True once the archive needs nothing more this slice
(the copy may go on from ``through + 1``), False when the deadline came first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from ...archive_cutoff import ArchiveCutoff, archive_boundary
from ..content import content_hash
from ..media import MediaCopier
from ..pacing import Pacer
from ..people import People, identity_of
from ..prefetch import Prefetch
from ..retry import Retrier
from ..source import SourceConversation, SourceMessage, SourceParticipant, TwilioSource
from .link import ArchiveLinks, is_link, link_message
from .progress import COMMITTED, LINKED, WRITING, ArchiveProgress
from .store import ArchiveStore
from .transcript import ArchivedMedia, ArchivedMessage
from .writer import TranscriptWriter

logger = logging.getLogger(__name__)

PREFETCH_DEPTH = 512
LINK_SCAN_PAGE = 50


class ThreadLink:
    """The link message in one ACS thread, sent and edited as the thread's creator, paced like any send."""

    def __init__(self, *, client: Any, pacer: Pacer, retrier: Retrier, conversation_sid: str) -> None:
        self._client = client
        self._pacer = pacer
        self._retrier = retrier
        self._sid = conversation_sid

    def find(self) -> str | None:
        """The link message already in the thread (a send whose answer was lost), if any."""
        def scan() -> str | None:
            for message in self._client.list_messages(results_per_page=LINK_SCAN_PAGE):
                if is_link(message, self._sid):
                    return str(message.id)
            return None
        return self._retrier.call(scan, what=f"looking for the archive link of {self._sid}")

    def send(self, content: str, metadata: dict[str, str]) -> str:
        def send() -> str:
            with self._pacer.slot():
                result = self._client.send_message(content, metadata=metadata, chat_message_type="text",
                                                   sender_display_name="Archive")
            return str(result.id)
        return self._retrier.call(send, what=f"sending the archive link of {self._sid}",
                                  on_throttle=self._pacer.hold, recover=self.find)

    def update(self, message_id: str, content: str, metadata: dict[str, str]) -> None:
        def update() -> None:
            with self._pacer.slot():
                self._client.update_message(message_id, content=content, metadata=metadata)
        self._retrier.call(update, what=f"updating the archive link of {self._sid}", on_throttle=self._pacer.hold)


@dataclass
class ArchiveJob:
    """What the exporter hands over for one slice."""

    conv: SourceConversation
    participants: list[SourceParticipant]
    cutoff: ArchiveCutoff | None
    run_id: str | None
    high_water_index: int
    message_count: int
    progress: ArchiveProgress | None
    save: Callable[[ArchiveProgress, int | None], None]  # progress, and the new high-water index if it moves
    link: Callable[[], ThreadLink]
    stop: Callable[[], bool]


class ConversationArchiver:
    """Writes and maintains archives; safe to use from many threads (one conversation each, under its lease)."""

    def __init__(self, *, source: TwilioSource, people: People, media: MediaCopier, store: ArchiveStore,
                 retrier: Retrier, links: ArchiveLinks) -> None:
        self._source = source
        self._people = people
        self._media = media
        self._store = store
        self._links = links
        self.writer = TranscriptWriter(store=store, retrier=retrier)

    # ------------------------------------------------------------------ the slice
    def advance(self, job: ArchiveJob, deadline: float | None) -> bool:
        progress = job.progress
        if progress is None:
            progress = self._start(job)
            if progress is None:
                return True
        if progress.state == LINKED:
            if job.run_id is None or progress.checked_run == job.run_id:
                return True
            if not self.changed(job.conv, progress):
                job.save(replace(progress, checked_run=job.run_id), None)
                return True
            progress = progress.rewrite()  # an edit or a deletion in Twilio: write the transcript again
            job.save(progress, None)
        if progress.state == WRITING:
            entries = Prefetch(self.entries(job.conv, job.participants, progress.next_index, progress.through),
                               depth=PREFETCH_DEPTH, name=f"archive-{job.conv.sid}")
            try:
                progress = self.writer.write(job.conv.sid, job.conv.topic, entries, progress,
                                             save=lambda p: job.save(p, None), deadline=deadline, stop=job.stop)
            finally:
                entries.close()
            if progress.state != COMMITTED:
                return False
            if progress.link_message_id is not None:  # a rewrite: the link states the new count and range
                content, metadata = link_message(job.conv.sid, progress, self._links)
                job.link().update(progress.link_message_id, content, metadata)
                job.save(replace(progress, state=LINKED, checked_run=job.run_id), None)
                return True
            job.save(progress, None)
        if progress.state == COMMITTED:
            link = job.link()
            content, metadata = link_message(job.conv.sid, progress, self._links)
            message_id = link.find() or link.send(content, metadata)
            job.save(replace(progress, state=LINKED, link_message_id=message_id, checked_run=job.run_id),
                     max(job.high_water_index, progress.through))
        return True

    def _start(self, job: ArchiveJob) -> ArchiveProgress | None:
        """Fix the boundary the first time a cutoff meets a conversation nothing of which is copied yet."""
        if job.cutoff is None or not job.cutoff.active:
            return None
        if job.high_water_index >= 0 or job.message_count > 0:
            logger.info("%s: copying had started before the archive cutoff; nothing is archived", job.conv.sid)
            return None
        newest_first = (m for page in self._source.message_pages(job.conv, order="desc") for m in page)
        through = archive_boundary(job.cutoff, self._source.messages(job.conv), newest_first)
        if through < 0:
            return None
        progress = ArchiveProgress(through)
        job.save(progress, None)
        return progress

    # ------------------------------------------------------------------ messages
    def entries(self, conv: SourceConversation, participants: list[SourceParticipant], start: int, through: int
                ) -> Iterator[ArchivedMessage]:
        """Archived messages from ``start`` to ``through``: authors named, media copied to Blob Storage."""
        authors = _Authors(self._people, conv, participants)
        for message in self._source.messages(conv):
            if message.index < start:
                continue
            if message.index > through:
                return
            identity, name = authors.of(message)
            media = []
            for item in message.media:
                copied = self._media.copy(conv, item)
                media.append(ArchivedMedia(copied.sid, copied.name, copied.content_type, copied.size, copied.url))
            yield ArchivedMessage(conv.sid, message, identity, name, tuple(media))

    # ------------------------------------------------------------------ later changes
    def has_changes(self, conv: SourceConversation, attributes: dict[str, Any]) -> bool:
        """For the nightly planner: a linked archive that no longer matches Twilio."""
        progress = ArchiveProgress.from_json(attributes.get("archive"))
        return progress is not None and progress.state == LINKED and self.changed(conv, progress)

    def changed(self, conv: SourceConversation, progress: ArchiveProgress) -> bool:
        """Whether Twilio edited or deleted an archived message since the transcript was written."""
        metadata = self._store.metadata(conv.sid, "jsonl")
        if metadata is None or metadata.get("generation") != str(progress.generation):
            return True
        twilio = (m for m in self._source.messages(conv))
        lines = self._store.lines(conv.sid)
        for message in twilio:
            if message.index > progress.through:
                break
            line = next(lines, None)
            if line is None or _key(line) != (message.index, message.sid, content_hash(message)):
                return True
        return next(lines, None) is not None


def _key(line: bytes) -> tuple[int, str, str] | None:
    try:
        data = json.loads(line)
        return int(data["index"]), str(data["twilioMessageSid"]), str(data["contentHash"])
    except (ValueError, KeyError, TypeError):
        return None


class _Authors:
    """Identity and display name of each author, as the copies would carry them; no ACS user is created."""

    def __init__(self, people: People, conv: SourceConversation, participants: list[SourceParticipant]) -> None:
        self._people = people
        self._conv = conv
        self._by_sid = {p.sid: p for p in participants}
        self._by_name = {k: p for p in participants for k in (p.identity, p.address) if k}
        self._names: dict[str, tuple[str, str]] = {}

    def of(self, message: SourceMessage) -> tuple[str, str]:
        participant = self._by_sid.get(message.participant_sid or "") or self._by_name.get(message.author)
        key = participant.sid if participant is not None else f"author:{message.author}"
        known = self._names.get(key)
        if known is None:
            identity = identity_of(participant) if participant is not None else (message.author or "system")
            known = (identity, self._people.display_name(self._conv, participant, identity))
            self._names[key] = known
        return known

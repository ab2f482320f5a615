"""Export one Twilio conversation into its ACS thread, exactly once, within a time budget.

One slice: take the lease; create the thread (idempotently) and add participants
(``thread_setup``); reconcile what ACS holds beyond the high-water index (``reconcile``); apply
Twilio edits and deletions to messages copied before (``edits``); send new messages in index
order as their authors, paced to the thread's limit, map rows and high-water index written in
batches after ACS confirmed (``map_writer``); send read receipts (``receipts``); release the
lease. A slice that runs out of time says ``work_left``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from azure.communication.chat import ChatThreadClient

from ..archive_cutoff import ArchiveCutoff
from ..errors import ConcurrentUpdateError, LeaseHeldError
from ..settings import ExportSettings
from ..state import ConversationStore, MessageMapping, MessageMapStore
from .acs_chat import AcsChat
from .archive.archiver import ArchiveJob, ConversationArchiver, ThreadLink
from .archive.progress import ArchiveProgress
from .content import CopiedMedia, OutgoingPart, build_parts, content_hash
from .edits import ChangeApplier
from .lost_sends import find_sent
from .map_writer import MessageMapWriter
from .media import MediaCopier
from .pacing import Cancelled, Pacer, PacerRegistry, PriorityGate
from .people import PARTICIPANT_NAMES, People, Person, identity_of, names_digest
from .prefetch import Prefetch
from .receipts import ReceiptSender
from .reconcile import Reconciler
from .retry import Retrier
from .slice import ExportSlice, NotMigratableError, SlicePeople
from .source import SourceConversation, SourceMessage, SourceParticipant, TwilioSource
from .thread_setup import ThreadSetup

logger = logging.getLogger(__name__)

PREFETCH_DEPTH = 256  # prepared messages ahead of the sends: over two Twilio pages
SETUP_SLOTS = 4  # conversations setting up (thread, participants, reconcile) at once
SEND_SLOTS = 8  # sends in flight at once in the process, the longest conversations first


@dataclass(frozen=True)
class ExportOutcome:
    """What one slice did for one conversation."""

    conversation_sid: str
    status: str  # done | in_progress | not_migratable | failed | leased | stopped
    messages: int = 0  # messages confirmed by ACS in this slice (a split message counts once)
    media_bytes: int = 0
    edits: int = 0
    deletions: int = 0
    work_left: bool = False
    reason: str | None = None
    thread_id: str | None = None
    archived: int = 0  # messages written to the archive transcript in this slice (docs/archive.md)


@dataclass
class _Prepared:
    message: SourceMessage
    person: Person
    parts: list[OutgoingPart]
    media_bytes: int


class ConversationExporter:
    """Exports conversations one slice at a time; safe to call from many threads at once.

    It holds the slice together: the lease, the order of the steps and the sends; the thread set-up,
    reconcile, later changes, read receipts and the record and map writes are its collaborators.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        source: TwilioSource,
        people: People,
        media: MediaCopier,
        chat: AcsChat,
        conversations: ConversationStore,
        messages: MessageMapStore,
        settings: ExportSettings,
        retrier: Retrier,
        stop: threading.Event,
        owner: str | None = None,
        archiver: ConversationArchiver | None = None,
    ) -> None:
        self._archiver = archiver
        self._source = source
        self._people = people
        self._media = media
        self._chat = chat
        self._conversations = conversations
        self._messages = messages
        self._settings = settings
        self._retrier = retrier
        self._stop = stop
        self.owner = owner or f"exporter-{uuid.uuid4().hex[:12]}"
        scale = settings.rate_time_scale
        self._send_pacers = PacerRegistry(settings.send_limits, time_scale=scale, stop=stop)
        self.threads = ThreadSetup(
            account_sid=account_sid, source=source, people=people, chat=chat, retrier=retrier,
            create_pacers=PacerRegistry(settings.thread_create_limits, time_scale=scale, stop=stop),
            participant_pacers=PacerRegistry(settings.participant_limits, time_scale=scale, stop=stop),
        )
        self.reconciler = Reconciler(threads=self.threads, retrier=retrier)
        self.changes = ChangeApplier(source=source, people=people, media=media, chat=chat, messages=messages,
                                     retrier=retrier, send_pacers=self._send_pacers, flush_every=settings.flush_every)
        self.receipts = ReceiptSender(people=people, chat=chat, messages=messages, retrier=retrier,
                                      pacers=PacerRegistry(settings.send_limits, time_scale=scale, stop=stop))
        self.on_message: Callable[[str, int], None] = lambda sid, n: None
        self._setup_gate = threading.BoundedSemaphore(SETUP_SLOTS)
        self._send_gate = PriorityGate(SEND_SLOTS)

    # ------------------------------------------------------------------ entry point
    def export_conversation(
        self,
        conversation: str | SourceConversation,
        *,
        deadline: float | None = None,
        run_id: str | None = None,
        size_hint: int = 0,
        check_changes: bool | None = None,
        archive: ArchiveCutoff | None = None,
    ) -> ExportOutcome:
        """Copy what is new in one conversation until done or ``deadline`` (``time.monotonic()``).

        ``size_hint`` (its message count, if known) ranks its sends against other conversations'.
        ``check_changes``: look for Twilio edits and deletions of copied messages once per run (None), now
        (True: a live sync after an edit) or not at all (False: a nightly run between deep sweeps).
        ``archive``: the run's cutoff; older messages go to the archive (shared/export/archive/).
        """
        conv = conversation if isinstance(conversation, SourceConversation) else self._resolve(conversation)
        # One lease owner per slice, not per process: a host runs several work items at once, and two items for
        # one conversation (a redelivered item, two runs) must not both pass the lease and send the same messages.
        owner = f"{self.owner}:{uuid.uuid4().hex[:12]}"
        try:
            record = self._conversations.acquire_lease(
                conv.sid, owner=owner, duration=timedelta(seconds=self._settings.lease_seconds)
            )
        except LeaseHeldError as exc:
            return ExportOutcome(conv.sid, "leased", work_left=True, reason=exc.message)
        if record.status == "not_migratable":
            self._conversations.release_lease(conv.sid, owner=owner)
            return ExportOutcome(conv.sid, "not_migratable", reason=record.last_error, thread_id=record.thread_id)
        writer = MessageMapWriter(record, owner=owner, conversations=self._conversations, messages=self._messages,
                                  retrier=self._retrier, lease_seconds=self._settings.lease_seconds)
        work = ExportSlice(conv, writer, SlicePeople(self._people, conv), size_hint=size_hint, cutoff=archive)
        try:
            writer.save(status="running", source=conv.source, service_sid=conv.service_sid,
                        run_id=run_id or record.run_id, last_error=None)
            outcome = self._run(work, deadline, check_changes)
        except NotMigratableError as exc:
            outcome = self._settle(work, "not_migratable", reason=str(exc), status="not_migratable",
                                   last_error=str(exc))
        except Cancelled:
            outcome = self._settle(work, "stopped", work_left=True, reason="stopped before the end", status="pending")
        except ConcurrentUpdateError:
            outcome = self._outcome(work, "leased", work_left=True, reason="another worker took the conversation over")
        except Exception as exc:  # one failing conversation never stops the run; the cause is recorded
            reason = f"{type(exc).__name__}: {exc}"[:500]
            logger.warning("exporting %s failed: %s", conv.sid, reason, exc_info=True)
            outcome = self._settle(work, "failed", work_left=True, reason=reason, status="failed", last_error=reason)
        finally:
            writer.close()
            if work.record.thread_id:
                self._chat.forget_thread(work.record.thread_id)
            if not writer.released:
                self._conversations.release_lease(conv.sid, owner=owner)
        return outcome

    def _settle(self, work: ExportSlice, outcome_status: str, *, work_left: bool = False, reason: str | None = None,
                **changes: object) -> ExportOutcome:
        """Record what was confirmed and the new status; a failure to record is logged, not raised."""
        try:
            work.writer.flush()
            work.writer.save(**changes)
        except ConcurrentUpdateError:
            return self._outcome(work, "leased", work_left=True, reason="another worker took the conversation over")
        except Exception:  # the original outcome is what gets reported
            logger.warning("could not record the outcome of %s", work.conv.sid, exc_info=True)
        return self._outcome(work, outcome_status, work_left=work_left, reason=reason)

    def _resolve(self, sid: str) -> SourceConversation:
        known = self._conversations.find_conversation(sid)
        if known is not None and known.service_sid:
            return self._source.get_conversation(sid, service_sid=known.service_sid, source=known.source)
        return self._source.get_conversation(sid)

    @staticmethod
    def _outcome(work: ExportSlice, status: str, *, work_left: bool = False, reason: str | None = None
                 ) -> ExportOutcome:
        return ExportOutcome(work.conv.sid, status, work.sent, work.media_bytes, work.edits, work.deletions,
                             work_left, reason, work.record.thread_id, work.archived)

    # ------------------------------------------------------------------ the slice
    def _run(self, work: ExportSlice, deadline: float | None, check_changes: bool | None) -> ExportOutcome:
        with self._setup_gate:  # a few set-ups at a time: the largest conversations (started first) go first
            participants = self._source.list_participants(work.conv)
            work.people.set_participants(participants)
            self.threads.set_up(work, participants)
            self.reconciler.reconcile(work)
        # Renew the lease (the set-up gate may have outlasted it) and record the names the thread now shows,
        # so the nightly run sees a rename in Twilio (Planner.has_work).
        names = names_digest((identity_of(p), work.people.of_participant(p).display_name) for p in participants)
        work.writer.save(attributes={**work.record.attributes, PARTICIPANT_NAMES: names})
        if self._archiver is not None and not self._archive(work, participants, deadline):
            if self._stop.is_set():
                raise Cancelled
            work.writer.save(status="pending")
            return self._outcome(work, "in_progress", work_left=True, reason="time budget used up while archiving")
        due = check_changes if check_changes is not None else (
            work.record.attributes.get("changesCheckedRun") != work.record.run_id)
        if work.record.high_water_index >= 0 and due:
            self.changes.apply_changes(work)
            work.writer.save(attributes={**work.record.attributes, "changesCheckedRun": work.record.run_id})
        finished = self._send_new(work, deadline)
        if not finished:
            work.writer.finish(status="pending")
            return self._outcome(work, "in_progress", work_left=True, reason="time budget used up")
        self.receipts.send_receipts(work, participants)
        work.writer.finish(status="done")
        return self._outcome(work, "done")

    def _archive(self, work: ExportSlice, participants: list[SourceParticipant], deadline: float | None) -> bool:
        """Write or maintain the conversation's archive (if it has or gets one) before any copy is sent."""
        assert self._archiver is not None
        thread_id = work.thread_id

        def save(progress: ArchiveProgress, high_water: int | None) -> None:
            changes: dict[str, object] = {"attributes": {**work.record.attributes, "archive": progress.to_json()}}
            if high_water is not None:  # the link is sent: the archive is complete
                changes["high_water_index"] = high_water
                work.archived = progress.count
            work.writer.save(**changes)

        def link() -> ThreadLink:
            return ThreadLink(client=self.threads.creator_client(work), pacer=self._send_pacers.get(thread_id),
                              retrier=self._retrier, conversation_sid=work.conv.sid)

        job = ArchiveJob(work.conv, participants, work.cutoff, work.record.run_id, work.record.high_water_index,
                         work.record.message_count, ArchiveProgress.from_json(work.record.attributes.get("archive")),
                         save, link, self._stop.is_set)
        return self._archiver.advance(job, deadline)

    # ------------------------------------------------------------------ send
    def _prepare(self, work: ExportSlice) -> Iterator[_Prepared]:
        for message in self._source.messages(work.conv, priority=work.size_hint):
            if message.index <= work.record.high_water_index:
                continue
            person = work.people.of_author(message)
            copied: list[CopiedMedia] = [self._media.copy(work.conv, m) for m in message.media]
            parts = build_parts(work.conv, message, author=person.identity, display_name=person.display_name,
                                media=copied)
            yield _Prepared(message, person, parts, sum(m.size for m in copied))

    def _send_new(self, work: ExportSlice, deadline: float | None) -> bool:
        pacer = self._send_pacers.get(work.thread_id)
        prefetch: Prefetch[_Prepared] = Prefetch(self._prepare(work), depth=PREFETCH_DEPTH,
                                                 name=f"prefetch-{work.conv.sid}")
        try:
            for item in prefetch:
                if self._stop.is_set():
                    raise Cancelled
                if deadline is not None and time.monotonic() >= deadline:
                    work.writer.flush()
                    return False
                if item.person.acs_user_id not in work.members:
                    self.threads.add_people(work, [item.person])
                self._renew_lease_if_due(work)
                ids = self._send_message(work, item, pacer)
                work.writer.add(MessageMapping(
                    work.conv.sid, item.message.index, item.message.sid, ids, author=item.person.identity,
                    content_hash=content_hash(item.message),
                ), media_bytes=item.media_bytes)
                work.sent += 1
                work.media_bytes += item.media_bytes
                self.on_message(work.conv.sid, 1)
                work.writer.check()
                if work.writer.pending >= self._settings.flush_every:
                    work.writer.flush(wait=False)  # written beside the sends, in order
        finally:
            prefetch.close()
        work.writer.flush()
        return True

    def _renew_lease_if_due(self, work: ExportSlice) -> None:
        """Before a send: with less than half the lease left (a long pacer or retry wait), write what is
        confirmed and renew it, so another worker never sends the same messages; raises
        ``ConcurrentUpdateError`` if another worker already took the conversation over."""
        expires = work.record.lease_expires_at
        left = (expires - datetime.now(UTC)).total_seconds() if expires is not None else 0.0
        if left < self._settings.lease_seconds / 2:
            work.writer.flush()
            work.writer.save()

    def _send_message(self, work: ExportSlice, item: _Prepared, pacer: Pacer) -> tuple[str, ...]:
        client = self._chat.thread_client(work.thread_id, self._people.token(item.person.identity))
        done = dict(work.partial.pop(item.message.sid, {}))
        for part in item.parts:
            if part.part in done:
                continue
            done[part.part] = self._send_part(work, client, item, part, pacer)
        return tuple(done[k] for k in sorted(done))

    def _send_part(self, work: ExportSlice, client: ChatThreadClient, item: _Prepared, part: OutgoingPart,
                   pacer: Pacer) -> str:
        def send() -> str:
            with pacer.slot(self._send_gate, priority=work.size_hint - work.sent):
                result = client.send_message(part.content, sender_display_name=item.person.display_name,
                                             metadata=part.metadata, chat_message_type="text")
            return str(result.id)

        attempted_at = datetime.now(UTC)

        def recover() -> str | None:  # every message since the attempt, however many people wrote since
            return find_sent(client, self._retrier, message_sid=item.message.sid, part=part.part,
                             attempted_at=attempted_at)

        return self._retrier.call(send, what=f"sending message {item.message.index} of {work.conv.sid}",
                                  on_throttle=pacer.hold, recover=recover)


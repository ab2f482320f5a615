"""Export one Twilio conversation into its ACS thread, exactly once, within a time budget.

One slice: take the lease; create the thread (idempotently) and add participants;
reconcile what ACS holds beyond the high-water index; apply Twilio edits and deletions to
messages copied before; send new messages in index order as their authors, paced to the
thread's limit, map rows and high-water index written in batches after ACS confirmed;
send read receipts; release the lease. A slice that runs out of time says ``work_left``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from azure.communication.chat import ChatParticipant, ChatThreadClient, CommunicationUserIdentifier

from ..archive_cutoff import ArchiveCutoff
from ..errors import ConcurrentUpdateError, LeaseHeldError
from ..settings import ExportSettings
from ..state import ConversationRecord, ConversationStore, MessageMapping, MessageMapStore
from ..state.messages import MessageNotFoundError
from .acs_chat import AcsChat
from .archive.archiver import ArchiveJob, ConversationArchiver, ThreadLink
from .archive.progress import ArchiveProgress
from .changes import copied_changes
from .content import CopiedMedia, OutgoingPart, build_parts, content_hash
from .lost_sends import find_sent, newest_pages
from .media import MediaCopier
from .pacing import Cancelled, Pacer, PacerRegistry, PriorityGate
from .people import PARTICIPANT_NAMES, People, Person, identity_of, names_digest
from .prefetch import Prefetch
from .retry import Retrier
from .source import SourceConversation, SourceMessage, SourceParticipant, TwilioSource

logger = logging.getLogger(__name__)

MAX_PARTICIPANTS = 250
MAX_PER_ADD = 200
MAX_RECEIPT_PARTICIPANTS = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
THREAD_NAMESPACE = uuid.UUID("6f1c56f2-5d1e-4d0c-9a55-3f7b2f0e8a11")
PREFETCH_DEPTH = 256  # prepared messages ahead of the sends: over two Twilio pages
RECONCILE_PAGE = 100
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


@dataclass
class _Slice:
    conv: SourceConversation
    record: ConversationRecord
    owner: str = ""  # the lease owner of this slice
    members: set[str] = field(default_factory=set)  # ACS user ids in the thread
    member_names: dict[str, str | None] = field(default_factory=dict)  # ACS user id -> display name in the thread
    by_participant: dict[str, SourceParticipant] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)  # identity -> person
    writer: ThreadPoolExecutor | None = None  # record and map writes, in order, off the send path
    last_write: Future[None] | None = None
    pending: list[MessageMapping] = field(default_factory=list)
    pending_media: int = 0
    partial: dict[str, dict[int, str]] = field(default_factory=dict)  # message SID -> part -> ACS id
    size_hint: int = 0  # messages left to copy, when known: sends of big conversations go first
    cutoff: ArchiveCutoff | None = None  # the run's archive cutoff (fixes the boundary of a conversation once)
    sent: int = 0
    media_bytes: int = 0
    edits: int = 0
    deletions: int = 0
    archived: int = 0


class NotMigratableError(Exception):
    """The conversation cannot be copied whole into one ACS thread."""


def thread_token(account_sid: str, conversation_sid: str) -> str:
    """The create-thread idempotency token: the same for every attempt at one conversation."""
    return str(uuid.uuid5(THREAD_NAMESPACE, f"{account_sid}:{conversation_sid}"))


class ConversationExporter:
    """Exports conversations one slice at a time; safe to call from many threads at once."""

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
        self._account_sid = account_sid
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
        self._participant_pacers = PacerRegistry(settings.participant_limits, time_scale=scale, stop=stop)
        self._create_pacers = PacerRegistry(settings.thread_create_limits, time_scale=scale, stop=stop)
        self._receipt_pacers = PacerRegistry(settings.send_limits, time_scale=scale, stop=stop)
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
        work = _Slice(conv, record, owner=owner, size_hint=size_hint, cutoff=archive,
                      writer=ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"write-{conv.sid}"))
        try:
            work.record = self._save(work, status="running", source=conv.source, service_sid=conv.service_sid,
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
            assert work.writer is not None
            work.writer.shutdown(wait=True)
            if work.record.thread_id:
                self._chat.forget_thread(work.record.thread_id)
            self._conversations.release_lease(conv.sid, owner=owner)
        return outcome

    def _settle(self, work: _Slice, outcome_status: str, *, work_left: bool = False, reason: str | None = None,
                **changes: object) -> ExportOutcome:
        """Record what was confirmed and the new status; a failure to record is logged, not raised."""
        try:
            self._flush(work)
            self._save(work, **changes)
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

    def _outcome(self, work: _Slice, status: str, *, work_left: bool = False, reason: str | None = None
                 ) -> ExportOutcome:
        return ExportOutcome(work.conv.sid, status, work.sent, work.media_bytes, work.edits, work.deletions,
                             work_left, reason, work.record.thread_id, work.archived)

    # ------------------------------------------------------------------ the slice
    def _run(self, work: _Slice, deadline: float | None, check_changes: bool | None) -> ExportOutcome:
        with self._setup_gate:  # a few set-ups at a time: the largest conversations (started first) go first
            participants = self._source.list_participants(work.conv)
            work.by_participant = {p.sid: p for p in participants}
            if work.record.thread_id is None:
                self._create_thread(work, participants)
            else:
                self._load_members(work)
                self._add_people(work, [self._participant_person(work, p) for p in participants])
            self._reconcile(work)
        # Renew the lease (the set-up gate may have outlasted it) and record the names the thread now shows,
        # so the nightly run sees a rename in Twilio (Planner.has_work).
        names = names_digest((identity_of(p), self._participant_person(work, p).display_name) for p in participants)
        work.record = self._save(work, attributes={**work.record.attributes, PARTICIPANT_NAMES: names})
        if self._archiver is not None and not self._archive(work, participants, deadline):
            if self._stop.is_set():
                raise Cancelled
            self._save(work, status="pending")
            return self._outcome(work, "in_progress", work_left=True, reason="time budget used up while archiving")
        due = check_changes if check_changes is not None else (
            work.record.attributes.get("changesCheckedRun") != work.record.run_id)
        if work.record.high_water_index >= 0 and due:
            self._apply_changes(work)
            work.record = self._save(work, attributes={**work.record.attributes,
                                                       "changesCheckedRun": work.record.run_id})
        finished = self._send_new(work, deadline)
        if not finished:
            self._save(work, status="pending")
            return self._outcome(work, "in_progress", work_left=True, reason="time budget used up")
        self._send_receipts(work, participants)
        self._save(work, status="done")
        return self._outcome(work, "done")

    def _archive(self, work: _Slice, participants: list[SourceParticipant], deadline: float | None) -> bool:
        """Write or maintain the conversation's archive (if it has or gets one) before any copy is sent."""
        assert self._archiver is not None
        assert work.record.thread_id is not None
        thread_id = work.record.thread_id

        def save(progress: ArchiveProgress, high_water: int | None) -> None:
            changes: dict[str, object] = {"attributes": {**work.record.attributes, "archive": progress.to_json()}}
            if high_water is not None:  # the link is sent: the archive is complete
                changes["high_water_index"] = high_water
                work.archived = progress.count
            self._save(work, **changes)

        def link() -> ThreadLink:
            return ThreadLink(client=self._creator_client(work), pacer=self._send_pacers.get(thread_id),
                              retrier=self._retrier, conversation_sid=work.conv.sid)

        job = ArchiveJob(work.conv, participants, work.cutoff, work.record.run_id, work.record.high_water_index,
                         work.record.message_count, ArchiveProgress.from_json(work.record.attributes.get("archive")),
                         save, link, self._stop.is_set)
        return self._archiver.advance(job, deadline)

    def _save(self, work: _Slice, **changes: object) -> ConversationRecord:
        """Update the record (renewing the lease) after every write already queued; waits for it."""
        assert work.writer is not None
        return work.writer.submit(self._save_now, work, **changes).result()

    def _save_now(self, work: _Slice, **changes: object) -> ConversationRecord:
        lease = datetime.now(UTC) + timedelta(seconds=self._settings.lease_seconds)
        work.record = self._conversations.update_conversation(
            replace(work.record, lease_owner=work.owner, lease_expires_at=lease, **changes)  # type: ignore[arg-type]
        )
        return work.record

    # ------------------------------------------------------------------ people and the thread
    def _participant_person(self, work: _Slice, participant: SourceParticipant) -> Person:
        identity = identity_of(participant)
        person = work.people.get(identity)
        if person is None:
            name = self._people.display_name(work.conv, participant, identity)
            person = self._people.person(identity, kind=participant.kind, display_name=name)
            work.people[identity] = person
        return person

    def _author_person(self, work: _Slice, message: SourceMessage) -> Person:
        participant = work.by_participant.get(message.participant_sid or "")
        if participant is None and message.author:
            participant = next((p for p in work.by_participant.values()
                                if p.identity == message.author or p.address == message.author), None)
        if participant is not None:
            return self._participant_person(work, participant)
        identity = message.author or "system"
        person = work.people.get(identity)
        if person is None:  # an author who has left: still mapped, so the message keeps its author
            name = self._people.display_name(work.conv, None, identity)
            person = self._people.person(identity, kind="chat", display_name=name)
            work.people[identity] = person
        return person

    def _departed_authors(self, work: _Slice) -> set[str]:
        present = {p.identity for p in work.by_participant.values()} | {p.address for p in work.by_participant.values()}
        authors: set[str] = set()
        for message in self._source.messages(work.conv, priority=work.size_hint):
            if message.participant_sid in work.by_participant:
                continue
            if message.author not in present:
                authors.add(message.author)
        return authors

    def _create_thread(self, work: _Slice, participants: list[SourceParticipant]) -> None:
        if len(participants) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} has {len(participants)} participants; an ACS thread holds at most {MAX_PARTICIPANTS}"
            )
        if work.size_hint > 0 and len(participants) + work.size_hint <= MAX_PARTICIPANTS:
            # Fewer messages than free places: whoever wrote them fits; authors who left are added when met.
            people = [self._participant_person(work, p) for p in participants]
            departed: set[str] = set()
        else:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="authors") as pool:
                scan = pool.submit(self._departed_authors, work)  # reads the history while people are mapped
                people = [self._participant_person(work, p) for p in participants]
                departed = scan.result()
        if len(participants) + len(departed) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} has {len(participants)} participants and {len(departed)} authors who left; "
                f"an ACS thread holds at most {MAX_PARTICIPANTS}"
            )
        for identity in sorted(departed):
            name = self._people.display_name(work.conv, None, identity)
            person = self._people.person(identity, kind="chat", display_name=name)
            work.people[identity] = person
            people.append(person)
        if not people:
            people.append(self._people.person("twilio-migration", kind="app", display_name="Twilio migration"))
        chat_people = [p for p in people if p.kind == "chat"] or people
        creator = min(chat_people, key=lambda p: p.identity)  # deterministic, so a retried create replays
        token = self._people.token(creator.identity)
        client = self._chat.chat_client(token)
        first = [self._chat_participant(p) for p in people[:MAX_PER_ADD]]
        pacer = self._create_pacers.get(creator.acs_user_id)

        def create() -> str:
            with pacer.slot():
                result = cast(Any, client).create_chat_thread(
                    work.conv.topic[:250], thread_participants=first,
                    idempotency_token=thread_token(self._account_sid, work.conv.sid),
                )
            assert result.chat_thread is not None
            return str(result.chat_thread.id)

        thread_id = self._retrier.call(create, what=f"creating the thread of {work.conv.sid}", on_throttle=pacer.hold)
        attributes = {**work.record.attributes, "creator": creator.identity, "topic": work.conv.topic}
        self._save(work, thread_id=thread_id, attributes=attributes)
        work.members = {p.acs_user_id for p in people[:MAX_PER_ADD]} | {creator.acs_user_id}
        work.member_names = {p.acs_user_id: p.display_name for p in people[:MAX_PER_ADD]}
        self._add_people(work, people[MAX_PER_ADD:])

    @staticmethod
    def _chat_participant(person: Person) -> ChatParticipant:
        return ChatParticipant(
            identifier=CommunicationUserIdentifier(person.acs_user_id),
            display_name=person.display_name,
            share_history_time=EPOCH,
        )

    def _creator_client(self, work: _Slice) -> ChatThreadClient:
        assert work.record.thread_id is not None
        creator = str(work.record.attributes.get("creator") or "")
        return self._chat.thread_client(work.record.thread_id, self._people.token(creator))

    def _load_members(self, work: _Slice) -> None:
        client = self._creator_client(work)
        members = self._retrier.call(
            lambda: [(p.identifier.properties.get("id"), p.display_name)
                     for p in client.list_participants(results_per_page=200)],
            what=f"listing the participants of {work.record.thread_id}",
        )
        work.member_names = {str(m): name for m, name in members if m}
        work.members = set(work.member_names)

    def _add_people(self, work: _Slice, people: list[Person]) -> None:
        # Adding a participant again updates its display name: a name changed in Twilio reaches the thread.
        renamed = [p for p in people if p.acs_user_id in work.members and p.display_name
                   and work.member_names.get(p.acs_user_id, p.display_name) != p.display_name]
        missing = list({p.acs_user_id: p for p in people if p.acs_user_id not in work.members}.values())
        if len(work.members) + len(missing) > MAX_PARTICIPANTS:
            raise NotMigratableError(
                f"{work.conv.sid} would need {len(work.members) + len(missing)} participants in its ACS thread; "
                f"at most {MAX_PARTICIPANTS} are allowed"
            )
        missing += list({p.acs_user_id: p for p in renamed}.values())
        if not missing:
            return
        client = self._creator_client(work)
        assert work.record.thread_id is not None
        pacer = self._participant_pacers.get(work.record.thread_id)
        for start in range(0, len(missing), MAX_PER_ADD):
            batch = missing[start:start + MAX_PER_ADD]

            def add(batch: list[Person] = batch) -> None:
                with pacer.slot():
                    errors = client.add_participants([self._chat_participant(p) for p in batch])
                if errors:
                    raise RuntimeError(f"ACS refused {len(errors)} participants of {work.conv.sid}")

            self._retrier.call(add, what=f"adding participants to {work.record.thread_id}", on_throttle=pacer.hold)
            work.members.update(p.acs_user_id for p in batch)
            work.member_names.update((p.acs_user_id, p.display_name) for p in batch)

    # ------------------------------------------------------------------ reconcile
    def _migrated(self, message: object, conv_sid: str) -> dict[str, str] | None:
        metadata = getattr(message, "metadata", None) or {}
        if metadata.get("migratedFrom") != "twilio" or metadata.get("twilioConversationSid") != conv_sid:
            return None
        if getattr(message, "deleted_on", None) is not None:
            return None
        return dict(metadata)

    def _newest_pages(self, client: ChatThreadClient, *, page_size: int, what: str) -> Iterator[list[Any]]:
        """The thread's messages, newest first, page by page; each page retried from its continuation token."""
        return newest_pages(client, self._retrier, page_size=page_size, what=what)

    def _thread_tail(self, work: _Slice) -> Iterator[tuple[str, dict[str, str]]]:
        """Migrated messages newest first, down to (and including) the first one at or below high water."""
        client = self._creator_client(work)
        for page in self._newest_pages(client, page_size=RECONCILE_PAGE, what=f"reading {work.record.thread_id}"):
            for message in page:
                metadata = self._migrated(message, work.conv.sid)
                if metadata is None:
                    continue
                yield str(message.id), metadata
                if int(metadata.get("twilioIndex", "-1")) <= work.record.high_water_index:
                    return

    def _reconcile(self, work: _Slice) -> None:
        """Record what ACS holds beyond the high-water index (sent, response or map write lost)."""
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
            work.pending.append(MessageMapping(work.conv.sid, index, sid, ids, author=author))
        self._flush(work)

    # ------------------------------------------------------------------ send
    def _prepare(self, work: _Slice) -> Iterator[_Prepared]:
        for message in self._source.messages(work.conv, priority=work.size_hint):
            if message.index <= work.record.high_water_index:
                continue
            person = self._author_person(work, message)
            copied: list[CopiedMedia] = [self._media.copy(work.conv, m) for m in message.media]
            parts = build_parts(work.conv, message, author=person.identity, display_name=person.display_name,
                                media=copied)
            yield _Prepared(message, person, parts, sum(m.size for m in copied))

    def _send_new(self, work: _Slice, deadline: float | None) -> bool:
        assert work.record.thread_id is not None
        pacer = self._send_pacers.get(work.record.thread_id)
        prefetch: Prefetch[_Prepared] = Prefetch(self._prepare(work), depth=PREFETCH_DEPTH,
                                                 name=f"prefetch-{work.conv.sid}")
        try:
            for item in prefetch:
                if self._stop.is_set():
                    raise Cancelled
                if deadline is not None and time.monotonic() >= deadline:
                    self._flush(work)
                    return False
                if item.person.acs_user_id not in work.members:
                    self._add_people(work, [item.person])
                self._renew_lease_if_due(work)
                ids = self._send_message(work, item, pacer)
                work.pending.append(MessageMapping(
                    work.conv.sid, item.message.index, item.message.sid, ids, author=item.person.identity,
                    content_hash=content_hash(item.message),
                ))
                work.pending_media += item.media_bytes
                work.sent += 1
                work.media_bytes += item.media_bytes
                self.on_message(work.conv.sid, 1)
                self._check_writes(work)
                if len(work.pending) >= self._settings.flush_every:
                    self._flush(work, wait=False)  # written beside the sends, in order
        finally:
            prefetch.close()
        self._flush(work)
        return True

    def _renew_lease_if_due(self, work: _Slice) -> None:
        """Before a send: with less than half the lease left (a long pacer or retry wait), write what is
        confirmed and renew it, so another worker never sends the same messages; raises
        ``ConcurrentUpdateError`` if another worker already took the conversation over."""
        expires = work.record.lease_expires_at
        left = (expires - datetime.now(UTC)).total_seconds() if expires is not None else 0.0
        if left < self._settings.lease_seconds / 2:
            self._flush(work)
            self._save(work)

    def _send_message(self, work: _Slice, item: _Prepared, pacer: Pacer) -> tuple[str, ...]:
        assert work.record.thread_id is not None
        client = self._chat.thread_client(work.record.thread_id, self._people.token(item.person.identity))
        done = dict(work.partial.pop(item.message.sid, {}))
        for part in item.parts:
            if part.part in done:
                continue
            done[part.part] = self._send_part(work, client, item, part, pacer)
        return tuple(done[k] for k in sorted(done))

    def _send_part(self, work: _Slice, client: ChatThreadClient, item: _Prepared, part: OutgoingPart,
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

    def _flush(self, work: _Slice, *, wait: bool = True) -> None:
        """Write the pending map rows, then advance the high-water index (never the other way round).

        The write runs on the slice's writer thread, in order with every other record write;
        ``wait=False`` returns at once so that sends go on (``_check_writes`` surfaces failures).
        """
        assert work.writer is not None
        if work.pending:
            rows, media = work.pending, work.pending_media
            work.pending, work.pending_media = [], 0

            def write() -> None:
                self._retrier.call(lambda: self._messages.upsert_messages(work.conv.sid, rows),
                                   what=f"recording messages of {work.conv.sid}")
                self._save_now(work, high_water_index=max(work.record.high_water_index, max(r.index for r in rows)),
                               message_count=work.record.message_count + len(rows),
                               media_bytes=work.record.media_bytes + media)

            if work.last_write is not None and not wait:
                work.last_write.result()  # at most one batch waiting behind the one being written
            work.last_write = work.writer.submit(write)
        if wait and work.last_write is not None:
            work.last_write.result()

    @staticmethod
    def _check_writes(work: _Slice) -> None:
        """Raise the error of a background write that failed (the lease lost, storage down)."""
        if work.last_write is not None and work.last_write.done():
            work.last_write.result()

    # ------------------------------------------------------------------ later changes
    def _apply_changes(self, work: _Slice) -> None:
        """Twilio edits and deletions of messages already copied, applied in ACS as the original author."""
        assert work.record.thread_id is not None
        pacer = self._send_pacers.get(work.record.thread_id)
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
            if len(changed) >= self._settings.flush_every:
                self._messages.upsert_messages(work.conv.sid, changed)
                changed = []
        if changed:
            self._messages.upsert_messages(work.conv.sid, changed)

    def _author_client(self, work: _Slice, row: MessageMapping) -> ChatThreadClient:
        assert work.record.thread_id is not None
        identity = row.author or str(work.record.attributes.get("creator"))
        return self._chat.thread_client(work.record.thread_id, self._people.token(identity))

    def _delete_copy(self, work: _Slice, row: MessageMapping, pacer: Pacer) -> None:
        client = self._author_client(work, row)
        for message_id in row.acs_message_ids:
            def delete(message_id: str = message_id) -> None:
                with pacer.slot():
                    client.delete_message(message_id)
            self._retrier.call(delete, what=f"deleting message {row.index} of {work.conv.sid}",
                               on_throttle=pacer.hold)

    def _edit_copy(self, work: _Slice, row: MessageMapping, message: SourceMessage, pacer: Pacer) -> None:
        client = self._author_client(work, row)
        person = self._author_person(work, message)
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

    # ------------------------------------------------------------------ read receipts
    def _send_receipts(self, work: _Slice, participants: list[SourceParticipant]) -> None:
        """Each participant's last read message becomes a read receipt sent as that participant."""
        if len(work.members) > MAX_RECEIPT_PARTICIPANTS:
            return  # ACS has no read receipts on threads with more than 20 participants
        assert work.record.thread_id is not None
        sent: dict[str, int] = dict(work.record.attributes.get("receipts") or {})
        changed = False
        for participant in participants:
            index = participant.last_read_index
            if index is None or index < 0:
                continue
            person = self._participant_person(work, participant)
            if sent.get(person.identity, -1) >= index:
                continue
            row = self._mapped_at_or_before(work, index)
            if row is None:
                continue
            client = self._chat.thread_client(work.record.thread_id, self._people.token(person.identity))
            pacer = self._receipt_pacers.get(f"{work.record.thread_id}|{person.acs_user_id}")

            def receipt(message_id: str = row.acs_message_ids[-1], pacer: Pacer = pacer,
                        client: ChatThreadClient = client) -> None:
                with pacer.slot():
                    client.send_read_receipt(message_id)
            self._retrier.call(receipt, what=f"sending a read receipt in {work.conv.sid}", on_throttle=pacer.hold)
            sent[person.identity] = index
            changed = True
        if changed:
            self._save(work, attributes={**work.record.attributes, "receipts": sent})

    def _mapped_at_or_before(self, work: _Slice, index: int) -> MessageMapping | None:
        for candidate in range(index, max(-1, index - 50), -1):
            try:
                row = self._messages.get_message(work.conv.sid, candidate)
            except MessageNotFoundError:  # a gap (deleted in Twilio, or never sent): look further back
                continue
            if not row.deleted and row.acs_message_ids:
                return row
        return None


def deadline_in(seconds: float) -> float:
    """A deadline ``seconds`` from now, as ``export_conversation`` takes it."""
    return time.monotonic() + seconds


def describe_outcome(outcome: ExportOutcome) -> str:
    return json.dumps({k: v for k, v in outcome.__dict__.items() if v not in (None, 0, False)})

"""The planner: lists a run's conversations into its ledger, then queues their exports largest first.

Planning runs as ``{"kind": "plan", "runId"}`` work items, each within ``MIGRATION_PLAN_SECONDS``. Where it
stopped is a durable cursor on the run row (``RunRecord.cursor``), checkpointed after every page, so a
continuation resumes exactly there: Twilio's own next-page links for Twilio lists, Table Storage's continuation
token for the migrated conversations and the dispatch order, never a position in a list that changes while
exports finish. Each conversation enters the ledger once (insert-if-absent); a replayed page plans nothing twice.

Phases: ``listed`` (the request names conversations), or for a nightly run ``migrated`` (migrated conversations
with new messages: one Twilio request each; on sweep nights also edits and deletions, ``sweep.py``), then
``twilio`` (the services' conversations and public channels; a nightly run only those created since the last
one), then ``dispatch`` (the ledger's order rows, largest first, become export items), then the run is running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .. import telemetry
from ..archive_cutoff import ArchiveCutoff
from ..export.archive.archiver import ConversationArchiver
from ..export.people import PARTICIPANT_NAMES, People
from ..export.request import MigrationRequest
from ..export.source import SourceConversation, SourceParticipant, TwilioSource
from ..state import ConversationRecord, ConversationStore, MessageMapStore, RunRecord, RunStore
from ..state.conversations import ConversationStatus
from ..state.ledger import RunConversation, RunLedgerStore
from ..state.queues import WorkQueue
from ..state.runs import RunKind, RunStatus
from ..state.tables import utcnow
from .completion import RunCompletion
from .sweep import ChangeSweep, SweepPosition

logger = logging.getLogger(__name__)
LOOKUP_WORKERS = 16  # Twilio reads and row lookups of one page, in parallel (TwilioSource caps Twilio at 16)
PAGE_SIZE = 100  # conversations per planning step (Twilio's largest page)


@dataclass
class PlanCursor:
    """Where planning stands; stored as JSON on the run row after every page."""

    phase: str  # listed | migrated | twilio | dispatch | done
    position: int = 0  # listed: the next index into the request's own (fixed) list of conversations
    services: list[str] | None = None  # twilio: the services, fixed when the phase began
    service: int = 0  # twilio: index into services
    channels: bool = False  # twilio: listing the public channels of services[service]
    page: Any = None  # twilio: Twilio's link to the current page; migrated, dispatch: Table Storage's token
    after: str | None = None  # migrated: the last conversation handled on the current page
    sweep: dict[str, Any] | None = None  # migrated: {"sid", "page", "index"} of a change sweep under way
    continuations: int = 0  # invocations after the first
    seconds: float = 0.0  # planning time so far, over every invocation
    stats: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> PlanCursor:
        known = {k: v for k, v in value.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def export_item(run_id: str, conv: SourceConversation, *, check_changes: bool | None,
                archive: ArchiveCutoff | None = None) -> dict[str, Any]:
    """The export work item of one conversation in one run."""
    item: dict[str, Any] = {
        "kind": "export", "runId": run_id, "checkChanges": check_changes,
        "conversation": {"sid": conv.sid, "serviceSid": conv.service_sid, "source": conv.source,
                         "friendlyName": conv.friendly_name, "uniqueName": conv.unique_name},
    }
    if archive is not None:
        item["archive"] = archive.to_parameters()
    return item


def _from_record(record: ConversationRecord) -> SourceConversation:
    topic = record.attributes.get("topic")
    return SourceConversation(record.conversation_sid, str(record.service_sid), record.source,
                              str(topic) if topic else None)


class Planner:
    """Handles ``plan`` work items."""

    def __init__(self, *, source: Callable[[], TwilioSource], people: Callable[[], People],
                 archiver: Callable[[], ConversationArchiver | None], runs: RunStore,
                 ledger: RunLedgerStore,
                 conversations: ConversationStore, messages: MessageMapStore, queue: WorkQueue,
                 completion: RunCompletion, plan_seconds: float, clock: Callable[[], float],
                 page_size: int = PAGE_SIZE) -> None:
        self._source = source
        self._people = people
        self._archiver = archiver
        self._runs = runs
        self._ledger = ledger
        self._conversations = conversations
        self._messages = messages
        self._queue = queue
        self._completion = completion
        self._plan_seconds = plan_seconds
        self._clock = clock
        self._page_size = page_size

    # ------------------------------------------------------------------ one invocation
    def plan(self, run_id: str) -> None:
        run = self._runs.get_run(run_id)
        if run.status != RunStatus.PLANNING:
            return  # a replayed plan item of a run that has moved on
        request = MigrationRequest.from_parameters(run.parameters)
        started = self._clock()
        deadline = started + self._plan_seconds
        cursor = PlanCursor.from_json(run.cursor) if run.cursor else self._first(run, request)
        try:
            while cursor.phase != "done":  # at least one step per invocation, so every continuation advances
                cursor = self._step(run, request, cursor, deadline)
                if cursor.phase != "done" and self._clock() > deadline:
                    cursor.continuations += 1
                    cursor.seconds += self._clock() - started
                    self._runs.update_run(run_id, cursor=cursor.to_json())
                    self._queue.send({"kind": "plan", "runId": run_id})
                    return
                self._runs.update_run(run_id, cursor=cursor.to_json())
        except LookupError as exc:  # a conversation the request names that Twilio does not have
            self._runs.update_run(run_id, status=RunStatus.FAILED, error=str(exc)[:500], finished_at=utcnow())
            return
        cursor.seconds += self._clock() - started
        self._runs.update_run(run_id, cursor=cursor.to_json())
        self._planned(run_id, request)

    def _first(self, run: RunRecord, request: MigrationRequest) -> PlanCursor:
        if request.conversations:
            return PlanCursor("listed")
        return PlanCursor("migrated" if run.kind == RunKind.NIGHTLY else "twilio")

    def _planned(self, run_id: str, request: MigrationRequest) -> None:
        run = self._runs.apply_tally(run_id, self._ledger.tally(run_id))
        if request.dry_run or run.counts.get("planned", 0) == 0:
            ended = self._runs.update_run(run_id, status=RunStatus.SUCCEEDED, finished_at=utcnow())
            telemetry.run_finished(kind=str(run.kind), status=str(RunStatus.SUCCEEDED),
                                   seconds=(ended.updated_at - run.created_at).total_seconds())
            return
        self._runs.update_run(run_id, status=RunStatus.RUNNING)
        self._completion.finish_if_complete(run_id, full=True)

    def _step(self, run: RunRecord, request: MigrationRequest, cursor: PlanCursor, deadline: float) -> PlanCursor:
        """One page of the current phase; returns the cursor after it."""
        if cursor.phase == "listed":
            return self._listed(run, request, cursor)
        if cursor.phase == "migrated":
            return self._migrated(run, cursor, deadline)
        if cursor.phase == "twilio":
            return self._twilio(run, request, cursor)
        if cursor.phase == "dispatch":
            return self._dispatch(run, request, cursor)
        raise ValueError(f"unknown planning phase {cursor.phase!r}")

    def _after_planning(self, request: MigrationRequest) -> PlanCursor:
        return PlanCursor("done" if request.dry_run else "dispatch")

    # ------------------------------------------------------------------ phases
    def _listed(self, run: RunRecord, request: MigrationRequest, cursor: PlanCursor) -> PlanCursor:
        sids = request.conversations[cursor.position:cursor.position + self._page_size]
        if not sids:
            return self._carry(cursor, self._after_planning(request))
        source = self._source()

        def lookup(sid: str) -> tuple[SourceConversation, int, ConversationRecord | None]:
            known = self._conversations.find_conversation(sid)
            if known is not None and known.service_sid:
                conv = source.get_conversation(sid, service_sid=known.service_sid, source=known.source)
            else:
                conv = source.get_conversation(sid)
            return conv, source.last_index(conv), known

        with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS, thread_name_prefix="plan") as pool:
            found = list(pool.map(lookup, sids))
        self._plan_batch(run, found, check_changes=None)
        return replace(cursor, position=cursor.position + len(sids))

    def has_work(self, conv: SourceConversation, record: ConversationRecord, *, newest: int | None = None,
                 participants: list[SourceParticipant] | None = None) -> bool:
        """New messages past the high-water index (one Twilio request: the newest message), or a participant
        renamed in Twilio since the thread got its names (one more: the participants, unless given; user names
        come from a paged read of the service's users, shared by every conversation)."""
        source = self._source()
        if (source.last_index(conv) if newest is None else newest) > record.high_water_index:
            return True
        listed = source.list_participants(conv) if participants is None else participants
        return record.attributes.get(PARTICIPANT_NAMES) != self._people().participant_names(conv, listed)

    def _migrated(self, run: RunRecord, cursor: PlanCursor, deadline: float) -> PlanCursor:
        """One page of migrated conversations: at most two Twilio requests each (a message past the copied ones?
        a participant renamed?); on a sweep night, the unchanged ones are also swept for edits and deletions."""
        records, following = self._conversations.list_conversations_page(
            status=ConversationStatus.DONE, token=cursor.page, page_size=self._page_size)
        todo = [r for r in records if r.service_sid and (cursor.after is None or r.conversation_sid > cursor.after)]
        source = self._source()
        resuming = (cursor.sweep or {}).get("sid")

        def newest(record: ConversationRecord) -> tuple[int, list[SourceParticipant] | None]:
            """The newest index, and the participants when no new message decides already."""
            if record.conversation_sid == resuming:
                return record.high_water_index, None  # checked before its sweep began
            index = source.last_index(_from_record(record))
            return index, source.list_participants(_from_record(record)) if index <= record.high_water_index else None

        def names_changed(record: ConversationRecord, participants: list[SourceParticipant] | None) -> bool:
            return participants is not None and self.has_work(_from_record(record), record,
                                                              newest=record.high_water_index, participants=participants)

        with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS, thread_name_prefix="nightly") as pool:
            found = list(pool.map(newest, todo))
            wanted: dict[tuple[str, str], tuple[SourceConversation, list[SourceParticipant]]] = {}
            for record, (_, participants) in zip(todo, found, strict=True):  # the page's names, per service
                conv = _from_record(record)
                wanted.setdefault((conv.source, conv.service_sid), (conv, []))[1].extend(participants or ())
            for conv, participants in wanted.values():  # many unknown names: one paged read, not a fetch each
                source.expect_names(conv, participants)
            renames = list(pool.map(names_changed, todo, [participants for _, participants in found]))
        checked = [(index, rename) for (index, _), rename in zip(found, renames, strict=True)]
        sweeping = bool(run.parameters.get("sweep"))
        sweep = ChangeSweep(source=source, messages=self._messages, clock=self._clock)
        stats = dict(cursor.stats)
        for record, (index, renamed) in zip(todo, checked, strict=True):
            conv = _from_record(record)
            if index > record.high_water_index or renamed:
                self._plan_batch(run, [(conv, index, record)], check_changes=None if sweeping else False)
                stats["new" if not renamed else "renamed"] = stats.get("new" if not renamed else "renamed", 0) + 1
            elif sweeping:
                position = SweepPosition.from_json(cursor.sweep if record.conversation_sid == resuming else None)
                archiver = self._archiver()
                changed: bool | None
                if archiver is not None and position.page is None and archiver.has_changes(conv, record.attributes):
                    changed, where = True, SweepPosition()  # an archived message edited or deleted: rewrite it
                else:
                    changed, where = sweep.changed(conv, record, position=position, deadline=deadline)
                if changed is None:  # out of time inside this conversation: resume it next invocation
                    stats["sweepContinuations"] = stats.get("sweepContinuations", 0) + 1
                    return replace(cursor, sweep={"sid": record.conversation_sid, **where.to_json()}, stats=stats)
                if changed:
                    self._plan_batch(run, [(conv, index, record)], check_changes=None)
                    stats["changed"] = stats.get("changed", 0) + 1
            cursor = replace(cursor, after=record.conversation_sid, sweep=None)
        stats["checked"] = stats.get("checked", 0) + len(todo)
        if following is None:
            return self._carry(replace(cursor, stats=stats), PlanCursor("twilio"))
        return replace(cursor, page=following, after=None, sweep=None, stats=stats)

    def _twilio(self, run: RunRecord, request: MigrationRequest, cursor: PlanCursor) -> PlanCursor:
        """One page of one service's conversations (or public channels), from Twilio's next-page link; a page is
        handled whole (a replay finds its conversations in the ledger)."""
        source = self._source()
        services = cursor.services if cursor.services is not None else (
            list(request.services) or source.list_services())
        if cursor.service >= len(services):
            return self._carry(cursor, self._after_planning(request))
        service = services[cursor.service]
        if cursor.channels:
            page, following = source.public_channel_page(service, since=request.since, url=cursor.page,
                                                         page_size=self._page_size)
        else:
            page, following = source.conversation_page(service, since=request.since, url=cursor.page,
                                                       page_size=self._page_size)
        nightly = run.kind == RunKind.NIGHTLY

        def lookup(conv: SourceConversation) -> tuple[SourceConversation, int, ConversationRecord | None] | None:
            known = self._conversations.find_conversation(conv.sid)
            if nightly and known is not None and known.status == ConversationStatus.DONE:
                return None  # migrated: the migrated phase decided about it
            return conv, source.last_index(conv), known  # planned already (a replayed page)? the ledger says

        with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS, thread_name_prefix="plan") as pool:
            found = [f for f in pool.map(lookup, page) if f is not None]
        self._plan_batch(run, found, check_changes=None)
        cursor = replace(cursor, services=services, after=None)
        if following is not None:
            return replace(cursor, page=following)
        if request.include_legacy_public_channels and not cursor.channels:
            return replace(cursor, channels=True, page=None)
        return replace(cursor, service=cursor.service + 1, channels=False, page=None)

    def _dispatch(self, run: RunRecord, request: MigrationRequest, cursor: PlanCursor) -> PlanCursor:
        """One page of the run's order rows (largest first) becomes export work items."""
        items, following = self._ledger.order_page(run.run_id, token=cursor.page, page_size=self._page_size)
        with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS, thread_name_prefix="dispatch") as pool:
            list(pool.map(self._queue.send, items))  # queued together: the largest are first on the page
        if following is None:
            return self._carry(cursor, PlanCursor("done"))
        return replace(cursor, page=following)

    @staticmethod
    def _carry(cursor: PlanCursor, following: PlanCursor) -> PlanCursor:
        """The next phase's cursor, keeping the counters."""
        return replace(following, continuations=cursor.continuations, seconds=cursor.seconds, stats=cursor.stats)

    # ------------------------------------------------------------------ the ledger
    def _plan_batch(self, run: RunRecord, found: list[tuple[SourceConversation, int, ConversationRecord | None]],
                    *, check_changes: bool | None) -> None:
        """Ledger rows for conversations not planned yet, and their export items in the dispatch order."""
        if not found:
            return
        entries = {conv.sid: RunConversation(
            conv.sid, planned_messages=max(0, newest - (known.high_water_index if known else -1)),
            base_messages=known.message_count if known else 0,
            base_media_bytes=known.media_bytes if known else 0,
            friendly_name=conv.friendly_name or conv.unique_name or None,
        ) for conv, newest, known in found}
        new = self._ledger.plan_conversations(run.run_id, entries.values())
        if new:
            self._runs.increment_counts(run.run_id, {"planned": len(new),
                                                     "planned_messages": sum(e.planned_messages for e in new)})
        request = MigrationRequest.from_parameters(run.parameters)
        if request.dry_run:
            return
        fresh = {e.conversation_sid for e in new}
        ordered = []
        for conv, _, _ in found:  # a row planned by an earlier attempt of this page keeps its own size
            entry = entries[conv.sid] if conv.sid in fresh else self._ledger.find_run_conversation(run.run_id, conv.sid)
            if entry is not None:
                ordered.append((entry, export_item(run.run_id, conv, check_changes=check_changes,
                                                   archive=request.archive)))
        self._ledger.order_conversations(run.run_id, ordered)

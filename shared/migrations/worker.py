"""The queue worker: plans runs, exports conversations one time-boxed slice at a time, re-queues what is left.

Work items on the migration queue (JSON):

- ``{"kind": "plan", "runId", "offset"?}``: page through Twilio and queue one export item
  per conversation, or for a dry run only count; continues itself past its time budget.
- ``{"kind": "export", "runId", "conversation": {...}}``: one slice of one conversation;
  re-queued with a delay while work is left.
- ``{"kind": "sync", "conversationSid", "serviceSid"?}``: a live sync after Twilio webhooks.

A poisoned item (it failed ``maxDequeueCount`` times) marks its conversation or run failed
with the reason, so nothing is silently dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import telemetry
from ..archive_cutoff import ArchiveCutoff
from ..errors import BadRequestError
from ..state import ConversationRecord, ConversationStore, MessageMapStore, RunStore
from ..state.queues import WorkQueue
from ..state.runs import RunConversation
from ..state.tables import utcnow
from .live import LiveSyncScheduler
from .requests import MigrationRequest

if TYPE_CHECKING:
    from ..export.conversation import ExportOutcome
    from ..export.engine import ExportEngine
    from ..export.source import SourceConversation

logger = logging.getLogger(__name__)

COUNTED_DONE = frozenset({"done"})
COUNTED_SKIPPED = frozenset({"not_migratable"})
COUNTED_FAILED = frozenset({"failed"})
CONTINUING = frozenset({"in_progress", "stopped", "leased"})


@dataclass(frozen=True)
class WorkerSettings:
    """Time budgets and delays of queue work (seconds)."""

    slice_seconds: float
    plan_seconds: float
    continuation_delay_seconds: float
    leased_delay_seconds: float


def _conversation_item(conv: SourceConversation) -> dict[str, Any]:
    return {
        "sid": conv.sid, "serviceSid": conv.service_sid, "source": conv.source,
        "friendlyName": conv.friendly_name, "uniqueName": conv.unique_name,
    }


class MigrationWorker:
    """Handles one work item per call; every call ends well within the host's timeout."""

    def __init__(
        self,
        *,
        engine: Callable[[], ExportEngine],
        runs: RunStore,
        conversations: ConversationStore,
        messages: MessageMapStore,
        queue: WorkQueue,
        live: LiveSyncScheduler,
        settings: WorkerSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._runs = runs
        self._conversations = conversations
        self._messages = messages
        self._queue = queue
        self._live = live
        self._settings = settings
        self._clock = clock

    # ------------------------------------------------------------------ dispatch
    def handle(self, item: dict[str, Any]) -> None:
        kind = item.get("kind")
        if kind == "plan":
            self._plan(str(item["runId"]), offset=int(item.get("offset", 0)))
        elif kind == "export":
            archive = ArchiveCutoff.from_parameters(item["archive"]) if item.get("archive") else None
            self._export(str(item["runId"]), dict(item["conversation"]), archive)
        elif kind == "sync":
            self._sync(str(item["conversationSid"]), item.get("serviceSid"))
        else:
            raise BadRequestError(f"Unknown migration work item kind {kind!r}.")

    # ------------------------------------------------------------------ planning
    def _selected(self, request: MigrationRequest, *, nightly: bool) -> Iterator[SourceConversation]:
        """The run's conversations; a nightly run takes migrated ones with new messages, then new ones."""
        source = self._engine().source
        if request.conversations:
            for sid in request.conversations:
                yield source.get_conversation(sid)
            return
        migrated: set[str] = set()
        if nightly:
            for record in self._conversations.list_conversations(status="done"):
                migrated.add(record.conversation_sid)
                if not record.service_sid:
                    continue
                conv = source.get_conversation(record.conversation_sid, service_sid=record.service_sid,
                                               source=record.source)
                if self._has_work(conv, record):
                    yield conv
        for conv in source.list_conversations(
            services=list(request.services) or None, since=request.since,
            legacy_public=request.include_legacy_public_channels,
        ):
            if conv.sid not in migrated:
                yield conv

    def _has_work(self, conv: SourceConversation, record: ConversationRecord) -> bool:
        """New messages past the high-water index, a participant renamed in Twilio (or names never recorded),
        or edits and deletions among the messages already copied."""
        from ..export.changes import copied_changes
        from ..export.people import PARTICIPANT_NAMES

        engine = self._engine()
        if engine.source.last_index(conv) > record.high_water_index:
            return True
        names = engine.people.participant_names(conv, engine.source.list_participants(conv))
        if record.attributes.get(PARTICIPANT_NAMES) != names:
            return True
        if engine.archiver is not None and engine.archiver.has_changes(conv, record.attributes):
            return True  # an archived message was edited or deleted: the transcript is written again
        changes = copied_changes(engine.source.messages(conv), self._messages.list_messages(conv.sid),
                                 high_water_index=record.high_water_index)
        return next(changes, None) is not None

    def _plan(self, run_id: str, *, offset: int) -> None:
        run = self._runs.get_run(run_id)
        if run.status != "planning":
            return  # a replayed plan item of a run that has moved on
        request = MigrationRequest.from_parameters(
            {k: v for k, v in run.parameters.items() if k != "nightly"}
        )
        deadline = self._clock() + self._settings.plan_seconds
        source = self._engine().source
        try:
            for position, conv in enumerate(self._selected(request, nightly=run.kind == "nightly")):
                if position < offset:
                    continue
                if self._clock() > deadline:
                    self._flush_plan(run_id)
                    self._queue.send({"kind": "plan", "runId": run_id, "offset": position})
                    return
                newest = source.last_index(conv)
                known = self._conversations.find_conversation(conv.sid)
                # one ledger row per conversation: a plan item delivered again counts nothing twice
                self._runs.plan_conversation(run_id, RunConversation(
                    conv.sid, planned_messages=newest - (known.high_water_index if known else -1),
                    base_messages=known.message_count if known else 0,
                    base_media_bytes=known.media_bytes if known else 0,
                    friendly_name=(conv.friendly_name or conv.unique_name or None),
                ))
                if not request.dry_run:  # sent again on a replay too: a duplicate export item is harmless
                    item: dict[str, Any] = {"kind": "export", "runId": run_id,
                                            "conversation": _conversation_item(conv)}
                    if request.archive is not None:
                        item["archive"] = request.archive.to_parameters()
                    self._queue.send(item)
        except LookupError as exc:
            self._flush_plan(run_id)
            self._runs.update_run(run_id, status="failed", error=str(exc)[:500], finished_at=utcnow())
            return
        self._flush_plan(run_id)
        final = self._runs.get_run(run_id)
        if request.dry_run or final.counts.get("planned", 0) == 0:
            ended = self._runs.update_run(run_id, status="succeeded", finished_at=utcnow())
            telemetry.run_finished(kind=final.kind, status="succeeded",
                                   seconds=(ended.updated_at - final.created_at).total_seconds())
        else:
            self._runs.update_run(run_id, status="running")
            self._finish_if_complete(run_id)

    def _flush_plan(self, run_id: str) -> None:
        self._runs.apply_tally(run_id, self._runs.tally(run_id))

    # ------------------------------------------------------------------ exporting
    def _export(self, run_id: str, conversation: dict[str, Any], archive: ArchiveCutoff | None = None) -> None:
        from ..export.source import SourceConversation

        conv = SourceConversation(
            str(conversation["sid"]), str(conversation["serviceSid"]), str(conversation["source"]),
            conversation.get("friendlyName"), conversation.get("uniqueName"),
        )
        entry = self._runs.find_run_conversation(run_id, conv.sid)
        if entry is not None and entry.status != "planned":
            # A second delivery of an item whose conversation this run already settled (the host died after the
            # function returned and before the message was deleted): nothing is left to do for this run.
            logger.info("export item for %s in run %s redelivered after it settled; skipped", conv.sid, run_id)
            return
        outcome = self._engine().exporter.export_conversation(
            conv, deadline=self._clock() + self._settings.slice_seconds, run_id=run_id, archive=archive
        )
        self._count(run_id, outcome)
        if outcome.status in CONTINUING and outcome.work_left:
            delay = (self._settings.leased_delay_seconds if outcome.status == "leased"
                     else self._settings.continuation_delay_seconds)
            again: dict[str, Any] = {"kind": "export", "runId": run_id, "conversation": conversation}
            if archive is not None:
                again["archive"] = archive.to_parameters()
            self._queue.send(again, delay_seconds=delay)
        else:
            self._settle(run_id, conv.sid, outcome.status)
            self._finish_if_complete(run_id)

    def _count(self, run_id: str, outcome: ExportOutcome) -> None:
        """Progress while the run goes on; the ledger decides the final figures (crash-safe, counted once)."""
        deltas = {"messages": outcome.messages, "media_bytes": outcome.media_bytes}
        telemetry.messages_copied(outcome.messages, run_id=run_id)
        if any(deltas.values()):
            self._runs.increment_counts(run_id, deltas)

    def _settle(self, run_id: str, conversation_sid: str, outcome_status: str) -> None:
        """Record in the run's ledger how the conversation ended; its messages are what its record's count
        grew by since the run planned it, so slices cut short by a crash are counted too."""
        if outcome_status in COUNTED_DONE:
            status = "done"
        elif outcome_status in COUNTED_SKIPPED:
            status = "skipped"
        elif outcome_status in COUNTED_FAILED:
            status = "failed"
        else:
            return
        entry = self._runs.find_run_conversation(run_id, conversation_sid) or RunConversation(conversation_sid)
        record = self._conversations.find_conversation(conversation_sid)
        messages = max(0, record.message_count - entry.base_messages) if record else 0
        media = max(0, record.media_bytes - entry.base_media_bytes) if record else 0
        self._runs.settle_conversation(run_id, replace(entry, status=status, messages=messages, media_bytes=media))
        telemetry.conversation_settled(run_id, status)

    def _finish_if_complete(self, run_id: str) -> None:
        if self._runs.get_run(run_id).status != "running":
            return
        run = self._runs.apply_tally(run_id, self._runs.tally(run_id))
        counts = run.counts
        settled = counts.get("done", 0) + counts.get("failed", 0) + counts.get("skipped", 0)
        if run.status == "running" and settled >= counts.get("planned", 0):
            status = "succeeded" if counts.get("failed", 0) == 0 else "failed"
            error = None if status == "succeeded" else f"{counts['failed']} conversation(s) failed; see failures"
            ended = self._runs.update_run(run_id, status=status, error=error, finished_at=utcnow())
            telemetry.run_finished(kind=run.kind, status=status,
                                   seconds=(ended.updated_at - run.created_at).total_seconds())

    # ------------------------------------------------------------------ live sync
    def _sync(self, conversation_sid: str, service_sid: str | None) -> None:
        self._live.clear_marker(conversation_sid)
        engine = self._engine()
        record = self._conversations.find_conversation(conversation_sid)
        conv = engine.source.get_conversation(
            conversation_sid, service_sid=service_sid or (record.service_sid if record else None),
            source=record.source if record else None,
        )
        outcome = engine.exporter.export_conversation(conv, deadline=self._clock() + self._settings.slice_seconds)
        telemetry.messages_copied(outcome.messages, run_id=None)
        if outcome.work_left and outcome.status in CONTINUING:
            delay = (self._settings.leased_delay_seconds if outcome.status == "leased"
                     else self._settings.continuation_delay_seconds)
            self._queue.send({"kind": "sync", "conversationSid": conversation_sid, "serviceSid": conv.service_sid},
                             delay_seconds=delay)

    # ------------------------------------------------------------------ poison
    def handle_poison(self, item: dict[str, Any], *, reason: str) -> None:
        """An item that failed every attempt: record the failure where an operator looks."""
        kind = item.get("kind")
        run_id = item.get("runId")
        sid = item.get("conversationSid") or (item.get("conversation") or {}).get("sid")
        if sid:
            record = self._conversations.find_conversation(str(sid)) or ConversationRecord(str(sid))
            self._conversations.upsert_conversation(replace(
                record, status="failed", last_error=reason[:500], lease_owner=None, lease_expires_at=None,
                sync_requested_at=None, run_id=str(run_id) if run_id else record.run_id,
            ))
            if run_id and kind == "export":
                self._settle(str(run_id), str(sid), "failed")
                self._finish_if_complete(str(run_id))
        elif run_id and kind == "plan":
            self._runs.update_run(str(run_id), status="failed", error=reason[:500], finished_at=utcnow())
        else:
            logger.error("dropped a poisoned migration item of unknown shape: kind=%r", kind)

    # ------------------------------------------------------------------ nightly
    def start_nightly(self, *, now: datetime | None = None) -> str:
        """Record a nightly run (new conversations since the last nightly run, plus migrated ones with
        new messages) and queue its planner; returns the run id."""
        from ..state.runs import RunRecord, new_run_id

        moment = now or utcnow()
        previous = next((r for r in self._runs.iter_runs() if r.kind == "nightly"), None)
        since = previous.created_at if previous is not None else None
        parameters = {**MigrationRequest(since=since).to_parameters(), "nightly": True}
        run = self._runs.create_run(RunRecord(new_run_id(moment), kind="nightly", status="planning",
                                              parameters=parameters))
        self._queue.send({"kind": "plan", "runId": run.run_id})
        return run.run_id

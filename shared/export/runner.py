"""Many conversations in flight: select, order biggest first, export with bounded concurrency, record the run.

Every conversation is paced on its own thread's limit, so a run is as short as its
longest conversation only if that one starts first: conversations are ordered by an
estimate of their size (the newest message's index), largest first. One failing
conversation never stops the run; the run ends with a report. Counting is the queue
workers' (outcomes.py): the run's ledger gets a row per conversation, settled once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ..archive_cutoff import ArchiveCutoff
from ..state import ConversationStore, RunRecord, RunStore
from ..state.ledger import RunConversation, RunLedgerStore
from ..state.runs import RunKind, RunStatus, new_run_id
from ..state.tables import utcnow
from .accounting import RunAccounting
from .conversation import ConversationExporter, ExportOutcome
from .outcomes import ExportStatus, RunResult, counts_as, run_result
from .request import MigrationRequest
from .retry import RetryStats
from .source import SourceConversation, TwilioSource

ESTIMATE_WORKERS = 16


@dataclass
class RunReport:
    """What a run did: its id, each conversation's outcome, the ledger's counts, and wall time."""

    run_id: str
    outcomes: list[ExportOutcome] = field(default_factory=list)
    seconds: float = 0.0
    throttled: int = 0
    cancelled: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    result: RunResult | None = None

    @property
    def messages(self) -> int:
        return sum(o.messages for o in self.outcomes)

    def with_status(self, *statuses: ExportStatus) -> list[ExportOutcome]:
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def archived(self) -> int:
        return sum(o.archived for o in self.outcomes)

    @property
    def failures(self) -> list[ExportOutcome]:
        return self.with_status(ExportStatus.FAILED)

    @property
    def not_migratable(self) -> list[ExportOutcome]:
        return self.with_status(ExportStatus.NOT_MIGRATABLE)

    @property
    def unfinished(self) -> list[ExportOutcome]:
        return [o for o in self.outcomes if counts_as(o.status) is None]


class Progress:
    """Callbacks the CLI uses to draw progress; the default does nothing."""

    def planned(self, conversations: list[tuple[SourceConversation, int]]) -> None: ...
    def started(self, conv: SourceConversation, estimate: int) -> None: ...
    def advanced(self, conversation_sid: str, messages: int) -> None: ...
    def finished(self, outcome: ExportOutcome) -> None: ...


class ExportRunner:
    """Runs the export of many conversations in one process (the CLI and the benchmark)."""

    def __init__(
        self,
        *,
        exporter: ConversationExporter,
        source: TwilioSource,
        runs: RunStore,
        ledger: RunLedgerStore,
        conversations: ConversationStore,
        concurrency: int,
        stats: RetryStats,
        stop: threading.Event,
    ) -> None:
        self._exporter = exporter
        self._source = source
        self._runs = runs
        self._ledger = ledger
        self._conversations = conversations
        self._concurrency = concurrency
        self._stats = stats
        self._stop = stop
        self._accounting = RunAccounting(runs=runs, ledger=ledger, conversations=conversations)

    def select(self, request: MigrationRequest) -> list[SourceConversation]:
        """The conversations (and, if asked, public channels) the request names, each once."""
        if request.conversations:
            found = [self._source.get_conversation(sid) for sid in dict.fromkeys(request.conversations)]
        else:
            found = list(self._source.list_conversations(
                services=list(request.services) or None, since=request.since,
                include_legacy_public_channels=request.include_legacy_public_channels,
            ))
        return list({c.sid: c for c in found}.values())

    def estimate(self, conversations: list[SourceConversation]) -> list[tuple[SourceConversation, int]]:
        """Each conversation with an estimate of the messages it has left to copy, biggest first."""
        def left(conv: SourceConversation) -> int:
            record = self._conversations.find_conversation(conv.sid)
            copied = record.high_water_index if record is not None else -1
            return max(0, self._source.last_index(conv) - copied)

        with ThreadPoolExecutor(max_workers=ESTIMATE_WORKERS, thread_name_prefix="estimate") as pool:
            sizes = list(pool.map(left, conversations))
        return sorted(zip(conversations, sizes, strict=True), key=lambda item: (-item[1], item[0].sid))

    def run(
        self,
        request: MigrationRequest,
        *,
        kind: str = RunKind.CLI,
        progress: Progress | None = None,
        deadline: float | None = None,
    ) -> RunReport:
        """Export every selected conversation; a rerun resumes where the last one stopped."""
        progress = progress or Progress()
        started = time.monotonic()
        run = self._runs.create_run(RunRecord(new_run_id(), kind, status=RunStatus.RUNNING,
                                              parameters=request.to_parameters()))
        report = RunReport(run.run_id)
        throttled_before = self._stats.throttled_acs
        try:
            planned = self.estimate(self.select(request))
            self._plan(run.run_id, planned)
            progress.planned(planned)
            self._exporter.on_message = progress.advanced
            self._export_all(planned, run.run_id, report, progress, deadline, request.archive)
        finally:
            report.seconds = time.monotonic() - started
            report.throttled = self._stats.throttled_acs - throttled_before
            report.cancelled = self._stop.is_set()
            final = self._runs.apply_tally(run.run_id, self._ledger.tally(run.run_id))
            report.counts = final.counts
            report.result = run_result(final.counts, cancelled=report.cancelled)
            self._runs.update_run(run.run_id, status=report.result.status, error=report.result.error,
                                  finished_at=utcnow())
        return report

    def _plan(self, run_id: str, planned: list[tuple[SourceConversation, int]]) -> None:
        entries = []
        for conv, estimate in planned:
            record = self._conversations.find_conversation(conv.sid)
            entries.append(RunConversation(conv.sid, planned_messages=estimate,
                                           base_messages=record.message_count if record else 0,
                                           base_media_bytes=record.media_bytes if record else 0,
                                           friendly_name=conv.friendly_name or conv.unique_name or None))
        self._ledger.plan_conversations(run_id, entries)
        self._runs.apply_tally(run_id, self._ledger.tally(run_id))

    def _export_all(self, planned: list[tuple[SourceConversation, int]], run_id: str, report: RunReport,
                    progress: Progress, deadline: float | None, archive: ArchiveCutoff | None) -> None:
        lock = threading.Lock()

        def one(conv: SourceConversation, estimate: int) -> ExportOutcome:
            if self._stop.is_set():
                return ExportOutcome(conv.sid, ExportStatus.STOPPED, work_left=True,
                                     reason="stopped before it started")
            progress.started(conv, estimate)
            return self._exporter.export_conversation(conv, deadline=deadline, run_id=run_id, size_hint=estimate,
                                                      archive=archive)

        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="export") as pool:
            futures: dict[Future[ExportOutcome], SourceConversation] = {
                pool.submit(one, conv, estimate): conv for conv, estimate in planned
            }
            for future in as_completed(futures):
                outcome = future.result()
                with lock:
                    report.outcomes.append(outcome)
                self._settle(run_id, outcome)
                progress.finished(outcome)

    def _settle(self, run_id: str, outcome: ExportOutcome) -> None:
        self._accounting.settle(run_id, outcome.conversation_sid, outcome.status, reason=outcome.reason,
                                messages=outcome.messages, media_bytes=outcome.media_bytes)

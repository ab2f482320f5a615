"""Many conversations in flight: select, order biggest first, export with bounded concurrency, record the run.

Every conversation is paced on its own thread's limit, so a run is as short as its
longest conversation only if that one starts first: conversations are ordered by an
estimate of their size (the newest message's index), largest first. One failing
conversation never stops the run; the run ends with a report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..archive_cutoff import ArchiveCutoff
from ..state import ConversationStore, RunRecord, RunStore
from ..state.runs import new_run_id
from .conversation import ConversationExporter, ExportOutcome
from .retry import RetryStats
from .source import SourceConversation, TwilioSource

ESTIMATE_WORKERS = 16


@dataclass(frozen=True)
class Selection:
    """Which conversations a run covers."""

    services: tuple[str, ...] = ()
    conversations: tuple[str, ...] = ()
    since: datetime | None = None
    legacy_public: bool = False
    archive: ArchiveCutoff | None = None  # older messages go to the archive instead of the thread

    def as_parameters(self) -> dict[str, Any]:
        return {
            "services": list(self.services),
            "conversations": list(self.conversations),
            "since": self.since.isoformat() if self.since else None,
            "legacyPublicChannels": self.legacy_public,
            **(self.archive.to_parameters() if self.archive is not None else {}),
        }


@dataclass
class RunReport:
    """What a run did: its id, each conversation's outcome, counters, and wall time."""

    run_id: str
    outcomes: list[ExportOutcome] = field(default_factory=list)
    seconds: float = 0.0
    throttled: int = 0
    cancelled: bool = False

    @property
    def messages(self) -> int:
        return sum(o.messages for o in self.outcomes)

    @property
    def archived(self) -> int:
        return sum(o.archived for o in self.outcomes)

    @property
    def failures(self) -> list[ExportOutcome]:
        return [o for o in self.outcomes if o.status in ("failed", "not_migratable")]


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
        conversations: ConversationStore,
        concurrency: int,
        stats: RetryStats,
        stop: threading.Event,
    ) -> None:
        self._exporter = exporter
        self._source = source
        self._runs = runs
        self._conversations = conversations
        self._concurrency = concurrency
        self._stats = stats
        self._stop = stop

    def select(self, selection: Selection) -> list[SourceConversation]:
        """The conversations (and, if asked, public channels) the selection names, each once."""
        if selection.conversations:
            found = [self._source.get_conversation(sid) for sid in dict.fromkeys(selection.conversations)]
        else:
            found = list(self._source.list_conversations(
                services=list(selection.services) or None, since=selection.since,
                legacy_public=selection.legacy_public,
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
        selection: Selection,
        *,
        kind: str = "cli",
        progress: Progress | None = None,
        deadline: float | None = None,
    ) -> RunReport:
        """Export every selected conversation; a rerun resumes where the last one stopped."""
        progress = progress or Progress()
        started = time.monotonic()
        run = self._runs.create_run(RunRecord(new_run_id(), kind, status="running",
                                              parameters=selection.as_parameters()))
        report = RunReport(run.run_id)
        throttled_before = self._stats.throttled_acs
        try:
            planned = self.estimate(self.select(selection))
            self._runs.increment_counts(run.run_id, {"planned": len(planned)})
            progress.planned(planned)
            self._exporter.on_message = progress.advanced
            self._export_all(planned, run.run_id, report, progress, deadline, selection.archive)
        finally:
            report.seconds = time.monotonic() - started
            report.throttled = self._stats.throttled_acs - throttled_before
            report.cancelled = self._stop.is_set()
            status = "cancelled" if report.cancelled else ("failed" if report.failures else "succeeded")
            error = "; ".join(f"{o.conversation_sid}: {o.reason}" for o in report.failures)[:1000] or None
            self._runs.update_run(run.run_id, status=status, error=error, finished_at=_now())
        return report

    def _export_all(self, planned: list[tuple[SourceConversation, int]], run_id: str, report: RunReport,
                    progress: Progress, deadline: float | None, archive: ArchiveCutoff | None) -> None:
        lock = threading.Lock()

        def one(conv: SourceConversation, estimate: int) -> ExportOutcome:
            if self._stop.is_set():
                return ExportOutcome(conv.sid, "stopped", work_left=True, reason="stopped before it started")
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
                self._count(run_id, outcome)
                progress.finished(outcome)

    def _count(self, run_id: str, outcome: ExportOutcome) -> None:
        deltas = {"messages": outcome.messages, "media_bytes": outcome.media_bytes}
        if outcome.status == "done":
            deltas["done"] = 1
        elif outcome.status in ("failed", "not_migratable"):
            deltas["failed"] = 1
        else:
            deltas["skipped"] = 1
        self._runs.increment_counts(run_id, deltas)


def _now() -> datetime:
    from ..state.tables import utcnow

    return utcnow()


ProgressFactory = Callable[[], Progress]

"""The queue worker: one handler per work item kind, each call well within the host's timeout.

- ``{"kind": "plan", "runId"}``: ``planning.Planner``, from the run's durable cursor;
- ``{"kind": "export", "runId", "conversation", "checkChanges"?}``: ``exporting.ExportHandler``, one slice;
- ``{"kind": "sync", "conversationSid", "serviceSid"?, "checkChanges"?}``: ``syncing.SyncHandler``, live sync;
- poisoned items of any kind: ``poison.PoisonHandler``; the nightly timer: ``nightly.NightlyScheduler``.

New work (plans, first slices, live syncs) arrives on the migration queue; next slices of conversations under way
go to the continuation queue (``MIGRATION_QUEUE`` + ``-next``), served by a trigger of its own, so a long
conversation's next slice never waits behind thousands of conversations not yet started.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import BadRequestError
from ..export.accounting import RunAccounting
from ..state import ConversationStore, MessageMapStore, RunStore
from ..state.ledger import RunLedgerStore
from ..state.queues import WorkQueue
from .completion import RunCompletion
from .exporting import ExportHandler
from .live import LiveSyncScheduler
from .nightly import NightlyScheduler
from .planning import Planner
from .poison import PoisonHandler
from .settings import WorkerSettings
from .syncing import SyncHandler

if TYPE_CHECKING:
    from ..export.engine import ExportEngine

__all__ = ["MigrationWorker", "WorkerSettings"]


class MigrationWorker:
    """Routes each work item to the handler of its kind."""

    def __init__(
        self,
        *,
        engine: Callable[[], ExportEngine],
        runs: RunStore,
        ledger: RunLedgerStore,
        conversations: ConversationStore,
        messages: MessageMapStore,
        queue: WorkQueue,
        continuations: WorkQueue,
        live: LiveSyncScheduler,
        settings: WorkerSettings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        accounting = RunAccounting(runs=runs, ledger=ledger, conversations=conversations)
        completion = RunCompletion(runs=runs, ledger=ledger)
        self.planner = Planner(source=lambda: engine().source, people=lambda: engine().people,
                               archiver=lambda: engine().archiver, runs=runs, ledger=ledger,
                               conversations=conversations, messages=messages, queue=queue, completion=completion,
                               plan_seconds=settings.plan_seconds, clock=clock, page_size=settings.plan_page_size)
        self.exports = ExportHandler(exporter=lambda: engine().exporter, ledger=ledger, accounting=accounting,
                                     completion=completion, continuations=continuations, settings=settings,
                                     clock=clock)
        self.syncs = SyncHandler(engine=engine, conversations=conversations, live=live, continuations=continuations,
                                 settings=settings, clock=clock)
        self.poison = PoisonHandler(runs=runs, conversations=conversations, accounting=accounting,
                                    completion=completion)
        self.nightly = NightlyScheduler(runs=runs, queue=queue, sweep_every_days=settings.sweep_every_days)

    def handle(self, item: dict[str, Any]) -> None:
        kind = item.get("kind")
        if kind == "plan":
            self.planner.plan(str(item["runId"]))
        elif kind == "export":
            self.exports.handle(item)
        elif kind == "sync":
            self.syncs.handle(item)
        else:
            raise BadRequestError(f"Unknown migration work item kind {kind!r}.")

    def handle_poison(self, item: dict[str, Any], *, reason: str) -> None:
        """An item that failed every attempt: record the failure where an operator looks."""
        self.poison.handle(item, reason=reason)

    def start_nightly(self, *, now: datetime | None = None) -> str:
        return self.nightly.start_nightly(now=now)

"""Starting and watching migration runs: a run row, a planning work item, and a status view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..settings import ExportSettings
from ..state import RunRecord, RunStore
from ..state.queues import WorkQueue
from ..state.runs import new_run_id
from ..state.tables import utcnow
from .estimate import minimum_seconds
from .requests import MigrationRequest

FINISHED = frozenset({"succeeded", "failed", "cancelled"})


@dataclass(frozen=True)
class RunStatus:
    """A run as ``GET /api/migrations/{id}`` shows it."""

    run: RunRecord
    failures: list[dict[str, str | None]]
    now: datetime
    minimum_seconds: float | None = None

    def estimated_seconds_left(self) -> float | None:
        """From the message rate so far and the messages the plan counted; None until both are known."""
        counts = self.run.counts
        if self.run.status in FINISHED:
            return 0.0
        planned, copied = counts.get("planned_messages", 0), counts.get("messages", 0)
        elapsed = (self.now - self.run.created_at).total_seconds()
        if planned <= 0 or copied <= 0 or elapsed <= 0:
            return None
        return max(0.0, (planned - copied) / (copied / elapsed))

    def to_json(self) -> dict[str, Any]:
        left = self.estimated_seconds_left()
        return {
            "id": self.run.run_id,
            "kind": self.run.kind,
            "status": self.run.status,
            "parameters": self.run.parameters,
            "counts": {
                "planned": self.run.counts.get("planned", 0),
                "done": self.run.counts.get("done", 0),
                "failed": self.run.counts.get("failed", 0),
                "skipped": self.run.counts.get("skipped", 0),
                "messages": self.run.counts.get("messages", 0),
                "plannedMessages": self.run.counts.get("planned_messages", 0),
                "mediaBytes": self.run.counts.get("media_bytes", 0),
            },
            "estimatedSecondsLeft": None if left is None else round(left, 1),
            "error": self.run.error,
            "failures": self.failures,
            "createdAt": self.run.created_at.isoformat(),
            "updatedAt": self.run.updated_at.isoformat(),
            "finishedAt": self.run.finished_at.isoformat() if self.run.finished_at else None,
            "progress": self.run.progress,
            **({} if self.minimum_seconds is None else {"minimumSeconds": round(self.minimum_seconds, 1)}),
        }


class MigrationRunService:
    """Records runs and hands their planning to the migration queue; nothing long runs here."""

    def __init__(self, *, runs: RunStore, queue: WorkQueue, export: ExportSettings | None = None) -> None:
        self._runs = runs
        self._queue = queue
        self._export = export

    def start_run(self, request: MigrationRequest, *, kind: str) -> RunRecord:
        """Record a run and queue its planner; returns the run (status ``planning``)."""
        run = self._runs.create_run(RunRecord(
            new_run_id(), kind=kind, status="planning", parameters=request.to_parameters()
        ))
        self._queue.send({"kind": "plan", "runId": run.run_id})
        return run

    def get_status(self, run_id: str, *, failures: list[dict[str, str | None]] | None = None,
                   with_minimum: bool = False) -> RunStatus:
        """The run's status view; raises ``RunNotFoundError``. ``with_minimum`` adds the least time ACS's
        limits allow for what the run planned (one read of its ledger)."""
        run = self._runs.get_run(run_id)
        minimum = None
        if with_minimum and self._export is not None and run.counts.get("planned", 0) > 0:
            minimum = minimum_seconds((e.planned_messages for e in self._runs.list_run_conversations(run_id)),
                                      self._export)
        return RunStatus(run, failures or [], utcnow(), minimum)

    def list_recent(self, *, limit: int = 20) -> list[RunStatus]:
        now = utcnow()
        return [RunStatus(run, [], now) for run in self._runs.list_runs(limit=limit)]

    @staticmethod
    def retry_after(run: RunRecord) -> timedelta:
        """How long a poller should wait before asking again."""
        return timedelta(seconds=5 if run.status in ("planning", "pending") else 15)

"""Starting and watching migration runs: a run row, a planning work item, and a status view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..export.request import MigrationRequest
from ..settings import ExportSettings
from ..state import RunRecord, RunStore
from ..state.ledger import LedgerStatus, RunConversation, RunLedgerStore
from ..state.queues import WorkQueue
from ..state.runs import RunKind, RunStatus, new_run_id
from ..state.tables import utcnow
from .estimate import minimum_seconds

LISTED = 100  # failures and not-migratable conversations shown per run


def _listed(entries: list[RunConversation]) -> list[dict[str, str | None]]:
    return [{"conversationSid": e.conversation_sid, "reason": e.reason or "", "friendlyName": e.friendly_name}
            for e in entries]


@dataclass(frozen=True)
class RunView:
    """A run as ``GET /api/migrations/{id}`` and ``acs-migrate status RUN`` show it."""

    run: RunRecord
    failures: list[RunConversation]
    not_migratable: list[RunConversation]
    now: datetime
    minimum_seconds: float | None = None

    def estimated_seconds_left(self) -> float | None:
        """From the message rate so far and the messages the plan counted; None until both are known."""
        counts = self.run.counts
        if self.run.status.finished:
            return 0.0
        planned, copied = counts.get("planned_messages", 0), counts.get("messages", 0)
        elapsed = (self.now - self.run.created_at).total_seconds()
        if planned <= 0 or copied <= 0 or elapsed <= 0:
            return None
        return max(0.0, (planned - copied) / (copied / elapsed))

    def counts(self) -> dict[str, int]:
        counts = self.run.counts
        return {
            "planned": counts.get("planned", 0),
            "done": counts.get("done", 0),
            "failed": counts.get("failed", 0),
            "notMigratable": counts.get("not_migratable", 0),
            "messages": counts.get("messages", 0),
            "plannedMessages": counts.get("planned_messages", 0),
            "mediaBytes": counts.get("media_bytes", 0),
        }

    def planning(self) -> dict[str, Any]:
        cursor = self.run.cursor or {}
        return {"phase": cursor.get("phase"), "continuations": int(cursor.get("continuations", 0)),
                "seconds": round(float(cursor.get("seconds", 0.0)), 3), **dict(cursor.get("stats") or {})}

    def to_json(self) -> dict[str, Any]:
        left = self.estimated_seconds_left()
        return {
            "id": self.run.run_id,
            "kind": str(self.run.kind),
            "status": str(self.run.status),
            "parameters": self.run.parameters,
            "counts": self.counts(),
            "planning": self.planning(),
            "estimatedSecondsLeft": None if left is None else round(left, 1),
            "error": self.run.error,
            "failures": _listed(self.failures),
            "notMigratable": _listed(self.not_migratable),
            "createdAt": self.run.created_at.isoformat(),
            "updatedAt": self.run.updated_at.isoformat(),
            "finishedAt": self.run.finished_at.isoformat() if self.run.finished_at else None,
            "progress": self.run.progress,
            **({} if self.minimum_seconds is None else {"minimumSeconds": round(self.minimum_seconds, 1)}),
        }


class MigrationRunService:
    """Records runs and hands their planning to the migration queue; nothing long runs here."""

    def __init__(self, *, runs: RunStore, ledger: RunLedgerStore, queue: WorkQueue,
                 export: ExportSettings | None = None) -> None:
        self._runs = runs
        self._ledger = ledger
        self._queue = queue
        self._export = export

    def start_run(self, request: MigrationRequest, *, kind: str = RunKind.ON_DEMAND) -> RunRecord:
        """Record a run and queue its planner; returns the run (status ``planning``)."""
        run = self._runs.create_run(RunRecord(
            new_run_id(), kind=kind, status=RunStatus.PLANNING, parameters=request.to_parameters()
        ))
        self._queue.send({"kind": "plan", "runId": run.run_id})
        return run

    def get_run(self, run_id: str, *, with_minimum: bool = False) -> RunView:
        """The run with its failed and not-migratable conversations; raises ``RunNotFoundError``.
        ``with_minimum`` adds the least time ACS's limits allow for what the run planned (one read of its
        ledger)."""
        run = self._runs.get_run(run_id)
        minimum = None
        if with_minimum and self._export is not None and run.counts.get("planned", 0) > 0:
            minimum = minimum_seconds((e.planned_messages for e in self._ledger.list_run_conversations(run_id)),
                                      self._export)
        return RunView(run, self._ledger.list_settled(run_id, LedgerStatus.FAILED, limit=LISTED),
                       self._ledger.list_settled(run_id, LedgerStatus.NOT_MIGRATABLE, limit=LISTED), utcnow(),
                       minimum)

    def list_recent(self, *, limit: int = 20) -> list[RunView]:
        now = utcnow()
        return [RunView(run, [], [], now) for run in self._runs.list_runs(limit=limit)]

    @staticmethod
    def retry_after(run: RunRecord) -> timedelta:
        """How long a poller should wait before asking again."""
        return timedelta(seconds=5 if run.status == RunStatus.PLANNING else 15)

"""The nightly run: migrated conversations with new messages (one Twilio request each), conversations created
since the last nightly run, and every ``NIGHTLY_SWEEP_DAYS`` days a deep sweep for edits and deletions too."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..export.request import MigrationRequest
from ..state import RunRecord, RunStore
from ..state.queues import WorkQueue
from ..state.runs import RunKind, RunStatus, new_run_id
from ..state.tables import utcnow


class NightlyScheduler:
    """Records nightly runs and queues their planners."""

    def __init__(self, *, runs: RunStore, queue: WorkQueue, sweep_every_days: float) -> None:
        self._runs = runs
        self._queue = queue
        self._sweep_every = timedelta(days=sweep_every_days)

    def start_nightly(self, *, now: datetime | None = None) -> str:
        """Record a nightly run and queue its planner; returns the run id."""
        moment = now or utcnow()
        previous: RunRecord | None = None
        last_sweep: RunRecord | None = None
        first: RunRecord | None = None
        for run in self._runs.iter_runs():  # newest first
            if run.kind != RunKind.NIGHTLY:
                continue
            previous = previous or run
            first = run
            if run.parameters.get("sweep"):
                last_sweep = run
                break
        # sweeps are due every NIGHTLY_SWEEP_DAYS, counted from the last sweep (or the first nightly run)
        reference = last_sweep or first
        since_sweep = reference.created_at if reference is not None else moment
        sweep = moment - since_sweep >= self._sweep_every
        request = MigrationRequest(since=previous.created_at if previous is not None else None)
        parameters = {**request.to_parameters(), "nightly": True, "sweep": sweep}
        run = self._runs.create_run(RunRecord(new_run_id(moment), kind=RunKind.NIGHTLY, status=RunStatus.PLANNING,
                                              parameters=parameters, created_at=moment))
        self._queue.send({"kind": "plan", "runId": run.run_id})
        return run.run_id

"""The end of a queue-driven run: when every planned conversation has settled in its ledger, the run's final
counts come from the ledger and its status from ``outcomes.run_result``, as for the CLI."""

from __future__ import annotations

from .. import telemetry
from ..export.outcomes import run_result
from ..state import RunStore
from ..state.ledger import RunLedgerStore
from ..state.runs import RunStatus
from ..state.tables import utcnow


def settled(counts: dict[str, int]) -> int:
    return counts.get("done", 0) + counts.get("failed", 0) + counts.get("not_migratable", 0)


class RunCompletion:
    """Finishes running runs whose conversations have all ended."""

    def __init__(self, *, runs: RunStore, ledger: RunLedgerStore) -> None:
        self._runs = runs
        self._ledger = ledger

    def finish_if_complete(self, run_id: str, *, full: bool = False) -> None:
        """Finish the run if every planned conversation settled. The run's counters say when to look (one row
        read); the ledger decides (one partition read, once per run). ``full`` reads the ledger whatever the
        counters say: after a redelivered item, whose earlier attempt may have died before counting."""
        run = self._runs.get_run(run_id)
        if run.status != RunStatus.RUNNING:
            return
        if not full and settled(run.counts) < run.counts.get("planned", 0):
            return
        tally = self._ledger.tally(run_id)
        run = self._runs.apply_tally(run_id, tally)
        # Only the ledger decides: a counter can run ahead of it (a replace the SDK retried after the service had
        # applied it counts twice), and the counts shown keep the larger value until the end.
        if run.status == RunStatus.RUNNING and settled(tally) >= tally.get("planned", 0):
            result = run_result(run.counts)
            ended = self._runs.update_run(run_id, status=result.status, error=result.error, finished_at=utcnow())
            telemetry.run_finished(kind=str(run.kind), status=str(result.status),
                                   seconds=(ended.updated_at - run.created_at).total_seconds())

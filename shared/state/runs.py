"""Runs: one row per export or sync run, with its parameters, status, counts, planning cursor and timestamps.

Run ids sort newest first (an inverted millisecond clock, then a random suffix), so
``list_runs`` reads recent runs from the front of one partition. Counters are
incremented with ETag-guarded read-modify-write, safe across workers. The conversations a
run covers are in its ledger (``ledger.py``), which decides the final counts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient

from ..errors import AlreadyExistsError, NotFoundError
from .group_commit import GroupCommit
from .tables import Entity, TableStore, etag_of, read_datetime, utcnow

_PARTITION = "run"
_MAX_CLOCK = 10**13 - 1
# planned: conversations in the ledger; done / failed / not_migratable: how they ended; messages and media_bytes:
# copied so far (slices report progress, the ledger decides once every conversation ended)
COUNTERS = ("planned", "done", "failed", "not_migratable", "messages", "media_bytes", "planned_messages")
MAX_BUCKETS = 240  # the per-minute series stays this short: older buckets merge in pairs as a run goes on
_RENAMED = {"skipped": "not_migratable"}  # rows written before not-migratable conversations had their own counter


class RunKind(StrEnum):
    """Who started a run."""

    ON_DEMAND = "on_demand"  # POST /api/migrations
    NIGHTLY = "nightly"  # the nightly timer
    CLI = "cli"  # acs-migrate migrate
    BENCH = "bench"  # bench/export.py, through the same ExportRunner as the CLI


class RunStatus(StrEnum):
    """Where a run stands. Queue-driven runs (on demand, nightly) go planning -> running -> succeeded | failed,
    or planning -> succeeded (a dry run, or nothing to copy) | failed (planning failed). CLI and bench runs plan in
    process: they start at running and end succeeded | failed | cancelled. ``outcomes.run_result`` decides the end."""

    PLANNING = "planning"  # the planner is listing conversations and queueing their exports (queue-driven runs)
    RUNNING = "running"  # exports are under way (queue-driven: every conversation is planned)
    SUCCEEDED = "succeeded"  # every planned conversation is done or not migratable; also a dry run or an empty plan
    FAILED = "failed"  # a conversation failed or was left unfinished, or planning failed (e.g. an unknown SID)
    CANCELLED = "cancelled"  # a CLI or bench run stopped with Ctrl-C (queue-driven runs never are); a rerun resumes

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class RunNotFoundError(NotFoundError):
    code = "RunNotFound"


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts before every earlier one."""
    moment = now or utcnow()
    return f"{_MAX_CLOCK - int(moment.timestamp() * 1000):013d}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class RunRecord:
    """One run: what was asked, how it stands, what it has counted so far, and where its planner stopped."""

    run_id: str
    kind: str  # a RunKind
    status: RunStatus = RunStatus.PLANNING
    parameters: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
    cursor: dict[str, Any] | None = None  # the planner's durable position (planning.py); None before it starts
    progress: dict[str, Any] = field(default_factory=lambda: {"bucketMinutes": 1, "messages": []})
    etag: str | None = None


def add_to_series(progress: Mapping[str, Any], *, minutes: float, count: int) -> dict[str, Any]:
    """``progress`` (messages copied per bucket of ``bucketMinutes`` since the run began) with ``count``
    added at ``minutes``; at most ``MAX_BUCKETS`` buckets, widening them (pairs merged) when needed."""
    width = max(1, int(progress.get("bucketMinutes", 1)))
    buckets = [int(v) for v in progress.get("messages", [])]
    index = int(max(0.0, minutes) // width)
    while index >= MAX_BUCKETS:
        buckets = [sum(buckets[i:i + 2]) for i in range(0, len(buckets), 2)]
        width *= 2
        index = int(max(0.0, minutes) // width)
    buckets.extend([0] * (index + 1 - len(buckets)))
    buckets[index] += count
    return {"bucketMinutes": width, "messages": buckets}


def _to_entity(run: RunRecord) -> Entity:
    return {
        "PartitionKey": _PARTITION,
        "RowKey": run.run_id,
        "Kind": str(run.kind),
        "Status": str(run.status),
        "Parameters": json.dumps(run.parameters, ensure_ascii=True, sort_keys=True),
        "Counts": json.dumps(run.counts, sort_keys=True),
        "Error": run.error,
        "CreatedAt": run.created_at,
        "UpdatedAt": run.updated_at,
        "FinishedAt": run.finished_at,
        "Cursor": json.dumps(run.cursor, ensure_ascii=True, sort_keys=True) if run.cursor is not None else None,
        "Progress": json.dumps(run.progress, separators=(",", ":")),
    }


def _status(value: Any) -> RunStatus:
    try:
        return RunStatus(str(value))
    except ValueError:  # "pending", written by earlier versions before planning began
        return RunStatus.PLANNING


def _from_entity(entity: Entity) -> RunRecord:
    counts = dict.fromkeys(COUNTERS, 0)
    for name, value in json.loads(entity.get("Counts") or "{}").items():
        name = _RENAMED.get(name, name)
        counts[name] = counts.get(name, 0) + int(value)
    cursor = entity.get("Cursor")
    return RunRecord(
        run_id=str(entity["RowKey"]),
        kind=str(entity["Kind"]),
        status=_status(entity.get("Status")),
        parameters=json.loads(entity.get("Parameters") or "{}"),
        counts=counts,
        error=entity.get("Error"),
        created_at=read_datetime(entity, "CreatedAt") or utcnow(),
        updated_at=read_datetime(entity, "UpdatedAt") or utcnow(),
        finished_at=read_datetime(entity, "FinishedAt"),
        cursor=json.loads(cursor) if cursor else None,
        progress=json.loads(entity.get("Progress") or '{"bucketMinutes":1,"messages":[]}'),
        etag=etag_of(entity),
    )


def valid_run_id(run_id: str) -> bool:
    head, _, tail = run_id.partition("-")
    return len(head) == 13 and head.isdigit() and len(tail) == 8 and all(c in "0123456789abcdef" for c in tail)


class RunStore(TableStore):
    """Reads and writes run rows."""

    def __init__(self, service: TableServiceClient, table_name: str) -> None:
        super().__init__(service, table_name)
        # Slices of a run end together: their counter additions are written a batch at a time per run.
        self._increments: GroupCommit[RunRecord] = GroupCommit(self._add_counts)

    def create_run(self, run: RunRecord) -> RunRecord:
        """Insert a new run; raises ``AlreadyExistsError`` if the id is taken."""
        try:
            return _from_entity(self._create(_to_entity(run)))
        except ResourceExistsError:
            raise AlreadyExistsError(f"The run {run.run_id} already exists.") from None

    def get_run(self, run_id: str) -> RunRecord:
        """The run ``run_id``; raises ``RunNotFoundError`` (also for ids of the wrong shape)."""
        entity = self._get(_PARTITION, run_id) if valid_run_id(run_id) else None
        if entity is None:
            raise RunNotFoundError(f"There is no run {run_id!r}.", target="runId")
        return _from_entity(entity)

    def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        """The ``limit`` most recent runs, newest first."""
        rows = self._partition(_PARTITION, results_per_page=min(limit, 1000))
        return [_from_entity(e) for e in islice(rows, limit)]

    def update_run(self, run_id: str, **changes: Any) -> RunRecord:
        """Set fields (status, error, finished_at, parameters, cursor) with ETag-guarded retries."""

        def mutate(entity: Entity) -> Entity:
            return _to_entity(replace(_from_entity(entity), updated_at=utcnow(), **changes))

        return _from_entity(self._update_with_retry(_PARTITION, run_id, mutate, what=f"Run {run_id}"))

    def increment_counts(self, run_id: str, deltas: Mapping[str, int]) -> RunRecord:
        """Add ``deltas`` to the run's counters, safely against concurrent workers; copied messages also go
        into the run's per-minute series (``progress``), which the console charts."""
        unknown = set(deltas) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown run counters: {sorted(unknown)}")
        return self._increments.add(run_id, deltas)

    def _add_counts(self, run_id: str, deltas: Mapping[str, int]) -> RunRecord:
        def mutate(entity: Entity) -> Entity:
            run = _from_entity(entity)
            now = utcnow()
            counts = {k: run.counts.get(k, 0) + deltas.get(k, 0) for k in COUNTERS}
            progress = run.progress
            if deltas.get("messages", 0) > 0:
                minutes = (now - run.created_at).total_seconds() / 60
                progress = add_to_series(progress, minutes=minutes, count=deltas["messages"])
            return _to_entity(replace(run, counts=counts, progress=progress, updated_at=now))

        return _from_entity(self._update_with_retry(_PARTITION, run_id, mutate, what=f"Run {run_id}"))

    def iter_runs(self) -> Iterator[RunRecord]:
        """Every run, newest first, page by page."""
        return (_from_entity(e) for e in self._partition(_PARTITION))

    def apply_tally(self, run_id: str, tally: Mapping[str, int]) -> RunRecord:
        """Set the counts the ledger decides: planned and planned messages always; once every planned conversation
        ended, done, failed, not migratable, messages and media bytes too. In between, those keep the larger of
        the tally and what settlements and slices added since."""

        def mutate(entity: Entity) -> Entity:
            run = _from_entity(entity)
            counts = dict(run.counts)
            for name in ("planned", "planned_messages"):
                counts[name] = tally.get(name, 0)
            final = sum(tally.get(name, 0) for name in ("done", "failed", "not_migratable")) >= counts["planned"]
            # Before the end, a counter may already hold a settlement the tally's read missed: keep the larger. Too
            # high costs another full tally at the end; too low would keep the run from ever ending.
            for name in ("done", "failed", "not_migratable", "messages", "media_bytes"):
                counts[name] = tally.get(name, 0) if final else max(tally.get(name, 0), counts.get(name, 0))
            return _to_entity(replace(run, counts=counts, updated_at=utcnow()))

        return _from_entity(self._update_with_retry(_PARTITION, run_id, mutate, what=f"Run {run_id}"))

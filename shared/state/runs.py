"""Runs: one row per export or sync run, with its parameters, status, counts and timestamps.

Run ids sort newest first (an inverted millisecond clock, then a random suffix), so
``list_runs`` reads recent runs from the front of one partition. Counters are
incremented with ETag-guarded read-modify-write, safe across workers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Any

from azure.core.exceptions import ResourceExistsError

from ..errors import AlreadyExistsError, NotFoundError
from .keys import escape_key
from .tables import Entity, TableStore, etag_of, int64, read_datetime, read_int, utcnow

_PARTITION = "run"
_LEDGER = "ledger-"  # + run id: one row per conversation the run covers
_MAX_CLOCK = 10**13 - 1
COUNTERS = ("planned", "done", "failed", "skipped", "messages", "media_bytes", "planned_messages")
MAX_BUCKETS = 240  # the per-minute series stays this short: older buckets merge in pairs as a run goes on


class RunNotFoundError(NotFoundError):
    code = "RunNotFound"


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts before every earlier one."""
    moment = now or utcnow()
    return f"{_MAX_CLOCK - int(moment.timestamp() * 1000):013d}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class RunRecord:
    """One run: what was asked, how it stands, and what it has counted so far."""

    run_id: str
    kind: str  # on_demand | nightly | live | cli
    status: str = "pending"  # pending | running | succeeded | failed | cancelled
    parameters: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    error: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    finished_at: datetime | None = None
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
        "Kind": run.kind,
        "Status": run.status,
        "Parameters": json.dumps(run.parameters, ensure_ascii=True, sort_keys=True),
        "Counts": json.dumps(run.counts, sort_keys=True),
        "Error": run.error,
        "CreatedAt": run.created_at,
        "UpdatedAt": run.updated_at,
        "FinishedAt": run.finished_at,
        "Progress": json.dumps(run.progress, separators=(",", ":")),
    }


def _from_entity(entity: Entity) -> RunRecord:
    counts = dict.fromkeys(COUNTERS, 0)
    counts.update({k: int(v) for k, v in json.loads(entity.get("Counts") or "{}").items()})
    return RunRecord(
        run_id=str(entity["RowKey"]),
        kind=str(entity["Kind"]),
        status=str(entity.get("Status") or "pending"),
        parameters=json.loads(entity.get("Parameters") or "{}"),
        counts=counts,
        error=entity.get("Error"),
        created_at=read_datetime(entity, "CreatedAt") or utcnow(),
        updated_at=read_datetime(entity, "UpdatedAt") or utcnow(),
        finished_at=read_datetime(entity, "FinishedAt"),
        progress=json.loads(entity.get("Progress") or '{"bucketMinutes":1,"messages":[]}'),
        etag=etag_of(entity),
    )


@dataclass(frozen=True)
class RunConversation:
    """One conversation in one run's ledger: planned, then how it ended (one row, so replays count once)."""

    conversation_sid: str
    status: str = "planned"  # planned | done | failed | skipped
    planned_messages: int = 0
    base_messages: int = 0  # the conversation's copied-message count when the run planned it
    base_media_bytes: int = 0
    messages: int = 0  # copied while the run had it: its count at the end minus the base
    media_bytes: int = 0
    friendly_name: str | None = None  # Twilio's name for it, shown (as text) beside failures


def _ledger_partition(run_id: str) -> str:
    return f"{_LEDGER}{run_id}"


def _ledger_entity(run_id: str, entry: RunConversation) -> Entity:
    return {
        "PartitionKey": _ledger_partition(run_id),
        "RowKey": escape_key(entry.conversation_sid, what="conversation SID"),
        "ConversationSid": entry.conversation_sid,
        "Status": entry.status,
        "PlannedMessages": int64(entry.planned_messages),
        "BaseMessages": int64(entry.base_messages),
        "BaseMediaBytes": int64(entry.base_media_bytes),
        "Messages": int64(entry.messages),
        "MediaBytes": int64(entry.media_bytes),
        "FriendlyName": entry.friendly_name,
    }


def _ledger_from_entity(entity: Entity) -> RunConversation:
    return RunConversation(
        conversation_sid=str(entity["ConversationSid"]),
        status=str(entity.get("Status") or "planned"),
        planned_messages=read_int(entity, "PlannedMessages"),
        base_messages=read_int(entity, "BaseMessages"),
        base_media_bytes=read_int(entity, "BaseMediaBytes"),
        messages=read_int(entity, "Messages"),
        media_bytes=read_int(entity, "MediaBytes"),
        friendly_name=entity.get("FriendlyName"),
    )


def _valid_run_id(run_id: str) -> bool:
    head, _, tail = run_id.partition("-")
    return len(head) == 13 and head.isdigit() and len(tail) == 8 and all(c in "0123456789abcdef" for c in tail)


class RunStore(TableStore):
    """Reads and writes run rows."""

    def create_run(self, run: RunRecord) -> RunRecord:
        """Insert a new run; raises ``AlreadyExistsError`` if the id is taken."""
        try:
            return _from_entity(self._create(_to_entity(run)))
        except ResourceExistsError:
            raise AlreadyExistsError(f"The run {run.run_id} already exists.") from None

    def get_run(self, run_id: str) -> RunRecord:
        """The run ``run_id``; raises ``RunNotFoundError`` (also for ids of the wrong shape)."""
        entity = self._get(_PARTITION, run_id) if _valid_run_id(run_id) else None
        if entity is None:
            raise RunNotFoundError(f"There is no run {run_id!r}.", target="runId")
        return _from_entity(entity)

    def list_runs(self, *, limit: int = 50) -> list[RunRecord]:
        """The ``limit`` most recent runs, newest first."""
        rows = self._partition(_PARTITION, results_per_page=min(limit, 1000))
        return [_from_entity(e) for e in islice(rows, limit)]

    def update_run(self, run_id: str, **changes: Any) -> RunRecord:
        """Set fields (status, error, finished_at, parameters) with ETag-guarded retries."""

        def mutate(entity: Entity) -> Entity:
            return _to_entity(replace(_from_entity(entity), updated_at=utcnow(), **changes))

        return _from_entity(self._update_with_retry(_PARTITION, run_id, mutate, what=f"Run {run_id}"))

    def increment_counts(self, run_id: str, deltas: Mapping[str, int]) -> RunRecord:
        """Add ``deltas`` to the run's counters, safely against concurrent workers; copied messages also go
        into the run's per-minute series (``progress``), which the console charts."""
        unknown = set(deltas) - set(COUNTERS)
        if unknown:
            raise ValueError(f"unknown run counters: {sorted(unknown)}")

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

    # ------------------------------------------------------------------ the run's conversation ledger
    def plan_conversation(self, run_id: str, entry: RunConversation) -> bool:
        """Record that the run covers a conversation; False (and nothing changed) if it already does, as when
        a planning item is delivered again."""
        try:
            self._create(_ledger_entity(run_id, entry))
        except ResourceExistsError:
            return False
        return True

    def find_run_conversation(self, run_id: str, conversation_sid: str) -> RunConversation | None:
        entity = self._get(_ledger_partition(run_id), escape_key(conversation_sid, what="conversation SID"))
        return _ledger_from_entity(entity) if entity is not None else None

    def list_run_conversations(self, run_id: str) -> Iterator[RunConversation]:
        """The run's ledger: every conversation it planned, and how each ended so far."""
        return (_ledger_from_entity(e) for e in self._partition(_ledger_partition(run_id)))

    def settle_conversation(self, run_id: str, entry: RunConversation) -> None:
        """Record how a conversation ended in the run (done, failed or skipped); the same call again changes
        nothing, so a work item delivered twice is counted once."""
        self._upsert(_ledger_entity(run_id, entry))

    def tally(self, run_id: str) -> dict[str, int]:
        """The run's counts from its ledger: planned, done, failed, skipped, and the messages and media bytes
        of the conversations that ended."""
        counts = dict.fromkeys(("planned", "planned_messages", "done", "failed", "skipped", "messages",
                                "media_bytes"), 0)
        for entity in self._partition(_ledger_partition(run_id)):
            entry = _ledger_from_entity(entity)
            counts["planned"] += 1
            counts["planned_messages"] += entry.planned_messages
            if entry.status in ("done", "failed", "skipped"):
                counts[entry.status] += 1
                counts["messages"] += entry.messages
                counts["media_bytes"] += entry.media_bytes
        return counts

    def apply_tally(self, run_id: str, tally: Mapping[str, int]) -> RunRecord:
        """Set the counts the ledger decides (planned, done, failed, skipped, planned messages); once every
        planned conversation ended, the messages and media bytes too. In between, the messages and media
        counters keep the progress slices add."""

        def mutate(entity: Entity) -> Entity:
            run = _from_entity(entity)
            counts = dict(run.counts)
            for name in ("done", "failed", "skipped", "planned_messages"):
                counts[name] = tally.get(name, 0)
            counts["planned"] = max(tally.get("planned", 0), counts.get("planned", 0))
            settled = counts["done"] + counts["failed"] + counts["skipped"]
            for name in ("messages", "media_bytes"):
                final = settled >= counts["planned"]
                counts[name] = tally.get(name, 0) if final else max(tally.get(name, 0), counts.get(name, 0))
            return _to_entity(replace(run, counts=counts, updated_at=utcnow()))

        return _from_entity(self._update_with_retry(_PARTITION, run_id, mutate, what=f"Run {run_id}"))

"""A run's ledger: one row per conversation the run covers (planned, then how it ended), and its dispatch order.

The ledger decides a run's counts: a conversation is planned by inserting its row (insert-if-absent, so a
planning step replayed after a crash plans nothing twice) and settled by one ETag-guarded change from
``planned`` (so an export item delivered twice counts once). The order rows list the planned conversations
largest first (row keys sort by inverted size), so the planner queues the longest exports first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableTransactionError

from ..errors import ConcurrentUpdateError
from .keys import escape_key
from .tables import MAX_BATCH, Entity, TableStore, etag_of, int64, read_int

_LEDGER = "ledger-"  # + run id
_ORDER = "order-"  # + run id
_MAX_SIZE = 10**15 - 1


class LedgerStatus(StrEnum):
    """How a conversation stands in one run."""

    PLANNED = "planned"  # queued (or about to be); not ended yet
    DONE = "done"
    FAILED = "failed"
    NOT_MIGRATABLE = "not_migratable"  # it cannot be copied into one ACS thread (the reason says why)

    @property
    def settled(self) -> bool:
        return self is not LedgerStatus.PLANNED


def _ledger_status(value: Any) -> LedgerStatus:
    text = str(value or "planned")
    return LedgerStatus.NOT_MIGRATABLE if text == "skipped" else LedgerStatus(text)  # "skipped": older rows


@dataclass(frozen=True)
class RunConversation:
    """One conversation in one run's ledger: planned, then how it ended (one row, so replays count once)."""

    conversation_sid: str
    status: LedgerStatus = LedgerStatus.PLANNED
    planned_messages: int = 0
    base_messages: int = 0  # the conversation's copied-message count when the run planned it
    base_media_bytes: int = 0
    messages: int = 0  # copied while the run had it: its count at the end minus the base
    media_bytes: int = 0
    reason: str | None = None  # why it failed or is not migratable
    friendly_name: str | None = None  # Twilio's name for it, shown (as text) beside failures
    etag: str | None = None


def _partition(run_id: str) -> str:
    return f"{_LEDGER}{run_id}"


def _row_key(conversation_sid: str) -> str:
    return escape_key(conversation_sid, what="conversation SID")


def _to_entity(run_id: str, entry: RunConversation) -> Entity:
    return {
        "PartitionKey": _partition(run_id),
        "RowKey": _row_key(entry.conversation_sid),
        "ConversationSid": entry.conversation_sid,
        "Status": str(entry.status),
        "PlannedMessages": int64(entry.planned_messages),
        "BaseMessages": int64(entry.base_messages),
        "BaseMediaBytes": int64(entry.base_media_bytes),
        "Messages": int64(entry.messages),
        "MediaBytes": int64(entry.media_bytes),
        "Reason": entry.reason,
        "FriendlyName": entry.friendly_name,
    }


def _from_entity(entity: Entity) -> RunConversation:
    return RunConversation(
        conversation_sid=str(entity["ConversationSid"]),
        status=_ledger_status(entity.get("Status")),
        planned_messages=read_int(entity, "PlannedMessages"),
        base_messages=read_int(entity, "BaseMessages"),
        base_media_bytes=read_int(entity, "BaseMediaBytes"),
        messages=read_int(entity, "Messages"),
        media_bytes=read_int(entity, "MediaBytes"),
        reason=entity.get("Reason"),
        friendly_name=entity.get("FriendlyName"),
        etag=etag_of(entity),
    )


def _order_entity(run_id: str, entry: RunConversation, item: dict[str, Any]) -> Entity:
    size = min(max(entry.planned_messages, 0), _MAX_SIZE)
    return {
        "PartitionKey": f"{_ORDER}{run_id}",
        "RowKey": f"{_MAX_SIZE - size:015d}-{_row_key(entry.conversation_sid)}",
        "Item": json.dumps(item, ensure_ascii=True, sort_keys=True),
    }


class RunLedgerStore(TableStore):
    """Ledger and order rows of runs (in the runs table, one partition per run for each)."""

    def plan_conversations(self, run_id: str, entries: Iterable[RunConversation]) -> list[RunConversation]:
        """Record that the run covers these conversations; returns those not already in the ledger (a replayed
        planning step finds its earlier rows and plans them no second time)."""
        entries = list(entries)
        planned: list[RunConversation] = []
        for start in range(0, len(entries), MAX_BATCH):
            chunk = entries[start:start + MAX_BATCH]
            try:  # one transaction: the common case, none of them planned yet
                self.table.submit_transaction([("create", _to_entity(run_id, e)) for e in chunk])
                planned.extend(chunk)
            except TableTransactionError:  # some exist (a replayed step): the transaction wrote nothing
                planned.extend(e for e in chunk if self.plan_conversation(run_id, e))
        return planned

    def plan_conversation(self, run_id: str, entry: RunConversation) -> bool:
        """Record that the run covers a conversation; False (and nothing changed) if it already does."""
        try:
            self._create(_to_entity(run_id, entry))
        except ResourceExistsError:
            return False
        return True

    def find_run_conversation(self, run_id: str, conversation_sid: str) -> RunConversation | None:
        entity = self._get(_partition(run_id), _row_key(conversation_sid))
        return _from_entity(entity) if entity is not None else None

    def list_run_conversations(self, run_id: str) -> Iterator[RunConversation]:
        """The run's ledger: every conversation it planned, and how each ended so far."""
        return (_from_entity(e) for e in self._partition(_partition(run_id)))

    def settle_conversation(self, run_id: str, entry: RunConversation) -> bool:
        """Record how a conversation ended (done, failed, not migratable); True only for the call that moved it
        from planned, so a work item delivered twice is counted once. A conversation missing from the ledger
        (a work item of unknown origin) is added settled."""
        for _ in range(20):
            current = self.find_run_conversation(run_id, entry.conversation_sid)
            if current is not None and current.status.settled:
                return False
            try:
                if current is None:
                    self._create(_to_entity(run_id, entry))
                else:
                    assert current.etag is not None
                    self._replace_if_unchanged(_to_entity(run_id, entry), current.etag,
                                               what=f"Ledger row {entry.conversation_sid}")
                return True
            except (ResourceExistsError, ConcurrentUpdateError):
                continue
        raise ConcurrentUpdateError(f"The ledger row of {entry.conversation_sid} is contended; retry later.")

    def list_settled(self, run_id: str, status: LedgerStatus, *, limit: int = 100) -> list[RunConversation]:
        """Conversations of the run that ended with ``status`` (failed, not migratable), with their reasons."""
        statuses = [str(status)] + (["skipped"] if status is LedgerStatus.NOT_MIGRATABLE else [])
        clauses = " or ".join(f"Status eq @s{n}" for n in range(len(statuses)))
        rows = self._query(f"PartitionKey eq @pk and ( {clauses} )",
                           {"pk": _partition(run_id), **{f"s{n}": s for n, s in enumerate(statuses)}},
                           results_per_page=min(limit, 1000))
        return [_from_entity(e) for _, e in zip(range(limit), rows, strict=False)]

    def tally(self, run_id: str) -> dict[str, int]:
        """The run's counts from its ledger: planned, done, failed, not migratable, and the messages and media
        bytes of the conversations that ended."""
        counts = dict.fromkeys(("planned", "planned_messages", "done", "failed", "not_migratable", "messages",
                                "media_bytes"), 0)
        for entity in self._partition(_partition(run_id)):
            entry = _from_entity(entity)
            counts["planned"] += 1
            counts["planned_messages"] += entry.planned_messages
            if entry.status.settled:
                counts[str(entry.status)] += 1
                counts["messages"] += entry.messages
                counts["media_bytes"] += entry.media_bytes
        return counts

    # ------------------------------------------------------------------ dispatch order
    def order_conversations(self, run_id: str, planned: Iterable[tuple[RunConversation, dict[str, Any]]]) -> None:
        """Add planned conversations (with their export work items) to the run's largest-first order; writing
        the same ledger entry again changes nothing (its key comes from the ledger's planned size)."""
        self._upsert_batch(_order_entity(run_id, entry, item) for entry, item in planned)

    def order_page(self, run_id: str, *, token: dict[str, str] | None, page_size: int = 100
                   ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """One page of the run's work items, largest first, from ``token``; and the next page's token."""
        rows, following = self._query_page("PartitionKey eq @pk", {"pk": f"{_ORDER}{run_id}"}, token=token,
                                           results_per_page=page_size)
        return [json.loads(str(r["Item"])) for r in rows], following


def settled_entry(entry: RunConversation, status: LedgerStatus, *, messages: int, media_bytes: int,
                  reason: str | None) -> RunConversation:
    """``entry`` ended with ``status``."""
    return replace(entry, status=status, messages=messages, media_bytes=media_bytes,
                   reason=(reason or None) and reason[:500])

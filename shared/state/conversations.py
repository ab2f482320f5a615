"""The conversation map: Twilio conversation SID -> ACS thread, progress, and a worker lease.

The lease is an ETag-guarded owner and expiry on the row, so that two workers never
export one conversation at the same time; an expired lease can be taken over.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.data.tables import TableServiceClient

from ..errors import AlreadyExistsError, ConcurrentUpdateError, LeaseHeldError, NotFoundError
from .keys import escape_key, unescape_key
from .tables import Entity, TableStore, etag_of, int64, read_datetime, read_int, utcnow

_ROW = "conversation"
_THREAD_ROW = "thread"  # reverse rows: PK "t:<thread id>" -> the conversation SID


class ConversationStatus(StrEnum):
    """Where a conversation's copy stands, whatever run or sync last touched it."""

    PENDING = "pending"  # not copied yet, or a slice ended with work left
    RUNNING = "running"  # a slice holds the lease and is copying
    DONE = "done"  # everything Twilio had at the last slice is in ACS
    FAILED = "failed"  # the last slice failed (last_error says why); a rerun retries
    NOT_MIGRATABLE = "not_migratable"  # it cannot be copied into one ACS thread (last_error says why)


class ConversationNotFoundError(NotFoundError):
    code = "ConversationNotFound"


@dataclass(frozen=True)
class ConversationRecord:
    """Where one Twilio conversation (or legacy channel) stands in its migration."""

    conversation_sid: str
    source: str = "conversations"  # conversations | chat
    service_sid: str | None = None
    thread_id: str | None = None
    status: str = ConversationStatus.PENDING  # a ConversationStatus
    high_water_index: int = -1  # the last Twilio index ACS confirmed
    message_count: int = 0
    media_bytes: int = 0
    last_error: str | None = None
    run_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    sync_requested_at: datetime | None = None  # set while a live-sync work item is queued, cleared on pickup
    updated_at: datetime = field(default_factory=utcnow)
    etag: str | None = None

    def lease_active(self, now: datetime) -> bool:
        return self.lease_owner is not None and self.lease_expires_at is not None and self.lease_expires_at > now


def _key(conversation_sid: str) -> str:
    return escape_key(conversation_sid, what="conversation SID")


def _to_entity(record: ConversationRecord) -> Entity:
    return {
        "PartitionKey": _key(record.conversation_sid),
        "RowKey": _ROW,
        "Source": record.source,
        "ServiceSid": record.service_sid,
        "ThreadId": record.thread_id,
        "Status": record.status,
        "HighWaterIndex": int64(record.high_water_index),
        "MessageCount": int64(record.message_count),
        "MediaBytes": int64(record.media_bytes),
        "LastError": record.last_error,
        "RunId": record.run_id,
        "Attributes": json.dumps(record.attributes, ensure_ascii=True),
        "LeaseOwner": record.lease_owner,
        "LeaseExpiresAt": record.lease_expires_at,
        "SyncRequestedAt": record.sync_requested_at,
        "UpdatedAt": record.updated_at,
    }


def _from_entity(entity: Entity) -> ConversationRecord:
    return ConversationRecord(
        conversation_sid=unescape_key(str(entity["PartitionKey"])),
        source=str(entity.get("Source") or "conversations"),
        service_sid=entity.get("ServiceSid"),
        thread_id=entity.get("ThreadId"),
        status=str(entity.get("Status") or "pending"),
        high_water_index=read_int(entity, "HighWaterIndex", -1),
        message_count=read_int(entity, "MessageCount"),
        media_bytes=read_int(entity, "MediaBytes"),
        last_error=entity.get("LastError"),
        run_id=entity.get("RunId"),
        attributes=json.loads(entity.get("Attributes") or "{}"),
        lease_owner=entity.get("LeaseOwner"),
        lease_expires_at=read_datetime(entity, "LeaseExpiresAt"),
        sync_requested_at=read_datetime(entity, "SyncRequestedAt"),
        updated_at=read_datetime(entity, "UpdatedAt") or utcnow(),
        etag=etag_of(entity),
    )


def _thread_key(thread_id: str) -> str:
    return escape_key(thread_id, what="thread id", prefix="t:")


class ConversationStore(TableStore):
    """Reads and writes conversation rows; ``update_conversation`` and leases are ETag-guarded.

    Whenever a row carries a thread id, a reverse row ``t:<thread id>`` names its conversation,
    so ``find_conversation_for_thread`` is one point read (the fan-out maps ACS events back).
    """

    def __init__(self, service: TableServiceClient, table_name: str) -> None:
        super().__init__(service, table_name)
        self._linked: set[tuple[str, str]] = set()  # (thread id, conversation SID) written by this instance

    def _link_thread(self, record: ConversationRecord) -> None:
        if record.thread_id is None or (record.thread_id, record.conversation_sid) in self._linked:
            return
        self._upsert({
            "PartitionKey": _thread_key(record.thread_id),
            "RowKey": _THREAD_ROW,
            "ConversationKey": _key(record.conversation_sid),
        })
        self._linked.add((record.thread_id, record.conversation_sid))

    def find_conversation_for_thread(self, thread_id: str) -> ConversationRecord | None:
        """The conversation migrated into ACS thread ``thread_id``, or None when there is none."""
        link = self._get(_thread_key(thread_id), _THREAD_ROW)
        if link is None:
            return None
        entity = self._get(str(link["ConversationKey"]), _ROW)
        record = _from_entity(entity) if entity is not None else None
        return record if record is not None and record.thread_id == thread_id else None

    def get_conversation(self, conversation_sid: str) -> ConversationRecord:
        """The row for ``conversation_sid``; raises ``ConversationNotFoundError``."""
        entity = self._get(_key(conversation_sid), _ROW)
        if entity is None:
            raise ConversationNotFoundError(f"The conversation {conversation_sid} has not been migrated.")
        return _from_entity(entity)

    def find_conversation(self, conversation_sid: str) -> ConversationRecord | None:
        entity = self._get(_key(conversation_sid), _ROW)
        return _from_entity(entity) if entity is not None else None

    def create_conversation(self, record: ConversationRecord) -> ConversationRecord:
        """Insert a new row; raises ``AlreadyExistsError`` when the conversation has one."""
        try:
            created = _from_entity(self._create(_to_entity(record)))
        except ResourceExistsError:
            raise AlreadyExistsError(f"The conversation {record.conversation_sid} already has a row.") from None
        self._link_thread(created)
        return created

    def upsert_conversation(self, record: ConversationRecord) -> ConversationRecord:
        """Write the row whatever is there (no ETag check)."""
        written = _from_entity(self._upsert(_to_entity(record)))
        self._link_thread(written)
        return written

    def update_conversation(self, record: ConversationRecord) -> ConversationRecord:
        """Replace the row only if it still has ``record.etag``; raises ``ConcurrentUpdateError``."""
        if record.etag is None:
            raise ValueError("update_conversation needs a record read from the store (it has no ETag)")
        entity = _to_entity(replace(record, updated_at=utcnow()))
        what = f"Conversation {record.conversation_sid}"
        updated = _from_entity(self._replace_if_unchanged(entity, record.etag, what=what))
        self._link_thread(updated)
        return updated

    def acquire_lease(
        self, conversation_sid: str, *, owner: str, duration: timedelta, now: datetime | None = None
    ) -> ConversationRecord:
        """Take (or renew) the lease; raises ``LeaseHeldError`` while another owner's lease is live."""
        for _ in range(10):
            moment = now or utcnow()
            current = self.find_conversation(conversation_sid)
            if current is None:
                try:
                    return self.create_conversation(ConversationRecord(
                        conversation_sid, lease_owner=owner, lease_expires_at=moment + duration
                    ))
                except AlreadyExistsError:
                    continue
            if current.lease_active(moment) and current.lease_owner != owner:
                raise LeaseHeldError(
                    f"The conversation {conversation_sid} is being exported by another worker until "
                    f"{current.lease_expires_at:%Y-%m-%dT%H:%M:%SZ}."
                )
            try:
                return self.update_conversation(replace(current, lease_owner=owner, lease_expires_at=moment + duration))
            except ConcurrentUpdateError:
                continue
        raise LeaseHeldError(f"The conversation {conversation_sid} is contended; retry later.")

    def release_lease(self, conversation_sid: str, *, owner: str) -> None:
        """Give up the lease if ``owner`` still holds it; does nothing otherwise."""
        for _ in range(10):
            current = self.find_conversation(conversation_sid)
            if current is None or current.lease_owner != owner:
                return
            try:
                self.update_conversation(replace(current, lease_owner=None, lease_expires_at=None))
                return
            except ConcurrentUpdateError:
                continue

    def delete_conversation(self, conversation_sid: str) -> None:
        """Remove the row (and its thread link); succeeds when it is already gone."""
        existing = self.find_conversation(conversation_sid)
        if existing is not None and existing.thread_id is not None:
            self._delete(_thread_key(existing.thread_id), _THREAD_ROW)
            self._linked.discard((existing.thread_id, conversation_sid))
        self._delete(_key(conversation_sid), _ROW)

    def list_conversations(self, *, status: str | None = None) -> Iterator[ConversationRecord]:
        """Every conversation row, optionally only those with ``status``."""
        if status is None:
            rows = self._query("RowKey eq @rk", {"rk": _ROW})
        else:
            rows = self._query("RowKey eq @rk and Status eq @status", {"rk": _ROW, "status": status})
        return (_from_entity(e) for e in rows)

    def list_conversations_page(self, *, status: str, token: dict[str, str] | None, page_size: int = 100
                                ) -> tuple[list[ConversationRecord], dict[str, str] | None]:
        """One page of the conversations with ``status``, in key order, from Table Storage's continuation
        ``token``; and the next page's token (None at the end). Rows changing meanwhile move no position."""
        rows, following = self._query_page("RowKey eq @rk and Status eq @status", {"rk": _ROW, "status": str(status)},
                                           token=token, results_per_page=page_size)
        return [_from_entity(e) for e in rows], following

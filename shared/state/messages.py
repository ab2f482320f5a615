"""The message map: per conversation, Twilio index and SID -> the ACS message id(s).

Rows live in the conversation's partition with the index zero-padded as RowKey, so a
partition reads back in index order and writes go in transactions of at most 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import NotFoundError
from .keys import escape_key
from .tables import Entity, TableStore, int64, read_datetime, read_int, utcnow

_INDEX_WIDTH = 10
_REVERSE_PREFIX = "m:"  # reverse rows in the same partition: "m:<ACS message id>" -> index
_INDEX_ROWS_BELOW = ":"  # index rows are digits only, so they all sort below ":"


class MessageNotFoundError(NotFoundError):
    code = "MessageNotFound"


@dataclass(frozen=True)
class MessageMapping:
    """One Twilio message and the ACS message(s) it became (more than one when split)."""

    conversation_sid: str
    index: int
    twilio_message_sid: str
    acs_message_ids: tuple[str, ...]
    author: str | None = None
    deleted: bool = False
    content_hash: str | None = None
    copied_at: datetime = field(default_factory=utcnow)


def _row_key(index: int) -> str:
    if index < 0:
        raise ValueError("a Twilio message index is never negative")
    return f"{index:0{_INDEX_WIDTH}d}"


def _to_entity(mapping: MessageMapping) -> Entity:
    return {
        "PartitionKey": escape_key(mapping.conversation_sid, what="conversation SID"),
        "RowKey": _row_key(mapping.index),
        "Index": int64(mapping.index),
        "TwilioMessageSid": mapping.twilio_message_sid,
        "AcsMessageIds": ",".join(mapping.acs_message_ids),
        "Author": mapping.author,
        "Deleted": mapping.deleted,
        "ContentHash": mapping.content_hash,
        "CopiedAt": mapping.copied_at,
    }


def _from_entity(conversation_sid: str, entity: Entity) -> MessageMapping:
    ids = str(entity.get("AcsMessageIds") or "")
    return MessageMapping(
        conversation_sid=conversation_sid,
        index=read_int(entity, "Index"),
        twilio_message_sid=str(entity["TwilioMessageSid"]),
        acs_message_ids=tuple(i for i in ids.split(",") if i),
        author=entity.get("Author"),
        deleted=bool(entity.get("Deleted", False)),
        content_hash=entity.get("ContentHash"),
        copied_at=read_datetime(entity, "CopiedAt") or utcnow(),
    )


def _reverse_entity(mapping: MessageMapping, acs_message_id: str) -> Entity:
    """The reverse row: ACS message id -> Twilio index (written beside the index row)."""
    return {
        "PartitionKey": escape_key(mapping.conversation_sid, what="conversation SID"),
        "RowKey": escape_key(acs_message_id, what="ACS message id", prefix=_REVERSE_PREFIX),
        "Index": int64(mapping.index),
        "TwilioMessageSid": mapping.twilio_message_sid,
    }


class MessageMapStore(TableStore):
    """Reads and writes message map rows."""

    def upsert_messages(self, conversation_sid: str, mappings: Iterable[MessageMapping]) -> int:
        """Write mappings of one conversation in batches of at most 100; returns how many."""
        entities = []
        reverse: list[Entity] = []
        for mapping in mappings:
            if mapping.conversation_sid != conversation_sid:
                raise ValueError("every mapping in one call must belong to the same conversation")
            entities.append(_to_entity(mapping))
            reverse.extend(_reverse_entity(mapping, acs_id) for acs_id in mapping.acs_message_ids)
        count = len(entities)
        self._upsert_batch(entities + reverse)
        return count

    def find_message_by_acs_id(self, conversation_sid: str, acs_message_id: str) -> MessageMapping | None:
        """The mapping whose ACS message (or one of its parts) is ``acs_message_id``, or None."""
        pk = escape_key(conversation_sid, what="conversation SID")
        link = self._get(pk, escape_key(acs_message_id, what="ACS message id", prefix=_REVERSE_PREFIX))
        if link is None:
            return None
        entity = self._get(pk, _row_key(read_int(link, "Index")))
        return _from_entity(conversation_sid, entity) if entity is not None else None

    def get_message(self, conversation_sid: str, index: int) -> MessageMapping:
        """The mapping of message ``index``; raises ``MessageNotFoundError``."""
        entity = self._get(escape_key(conversation_sid, what="conversation SID"), _row_key(index))
        if entity is None:
            raise MessageNotFoundError(f"Message {index} of conversation {conversation_sid} has not been copied.")
        return _from_entity(conversation_sid, entity)

    def list_messages(
        self, conversation_sid: str, *, after_index: int | None = None, results_per_page: int = 1000
    ) -> Iterator[MessageMapping]:
        """The conversation's mappings in index order, optionally only those after ``after_index``."""
        pk = escape_key(conversation_sid, what="conversation SID")
        if after_index is None:
            rows = self._query("PartitionKey eq @pk and RowKey lt @hi", {"pk": pk, "hi": _INDEX_ROWS_BELOW},
                               results_per_page=results_per_page)
        else:
            rows = self._query(
                "PartitionKey eq @pk and RowKey gt @rk and RowKey lt @hi",
                {"pk": pk, "rk": _row_key(after_index), "hi": _INDEX_ROWS_BELOW},
                results_per_page=results_per_page,
            )
        return (_from_entity(conversation_sid, e) for e in rows)

    def delete_messages(self, conversation_sid: str) -> int:
        """Remove every mapping of the conversation (and its reverse rows); returns how many mappings."""
        pk = escape_key(conversation_sid, what="conversation SID")
        mappings = sum(1 for _ in self._query("PartitionKey eq @pk and RowKey lt @hi",
                                              {"pk": pk, "hi": _INDEX_ROWS_BELOW}, select=["RowKey"]))
        self._delete_partition(pk)
        return mappings

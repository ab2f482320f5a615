"""Dead letters: deliveries that failed every attempt, kept with enough to replay them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import NotFoundError
from .keys import escape_key, unescape_key
from .tables import Entity, TableStore, read_datetime, read_int, utcnow

_PARTITION = "deadletter"
BODY_EXCERPT_CHARS = 1024


class DeadLetterNotFoundError(NotFoundError):
    code = "DeadLetterNotFound"


@dataclass(frozen=True)
class DeadLetter:
    """One delivery that gave up: who it was for, why, and the payload to replay."""

    delivery_id: str
    subscription_id: str
    event_id: str
    event_type: str
    attempts: int
    last_status: int | None
    last_error: str | None
    body_excerpt: str
    payload: str  # the delivery message as it was queued, JSON
    failed_at: datetime = field(default_factory=utcnow)


def _to_entity(letter: DeadLetter) -> Entity:
    return {
        "PartitionKey": _PARTITION,
        "RowKey": escape_key(letter.delivery_id, what="delivery id"),
        "SubscriptionId": letter.subscription_id,
        "EventId": letter.event_id,
        "EventType": letter.event_type,
        "Attempts": letter.attempts,
        "LastStatus": letter.last_status,
        "LastError": letter.last_error,
        "BodyExcerpt": letter.body_excerpt[:BODY_EXCERPT_CHARS],
        "Payload": letter.payload,
        "FailedAt": letter.failed_at,
    }


def _from_entity(entity: Entity) -> DeadLetter:
    status = entity.get("LastStatus")
    return DeadLetter(
        delivery_id=unescape_key(str(entity["RowKey"])),
        subscription_id=str(entity["SubscriptionId"]),
        event_id=str(entity["EventId"]),
        event_type=str(entity["EventType"]),
        attempts=read_int(entity, "Attempts"),
        last_status=int(status) if status is not None else None,
        last_error=entity.get("LastError"),
        body_excerpt=str(entity.get("BodyExcerpt") or ""),
        payload=str(entity["Payload"]),
        failed_at=read_datetime(entity, "FailedAt") or utcnow(),
    )


class DeadLetterStore(TableStore):
    """Reads and writes dead letters."""

    def upsert_dead_letter(self, letter: DeadLetter) -> DeadLetter:
        self._upsert(_to_entity(letter))
        return letter

    def get_dead_letter(self, delivery_id: str) -> DeadLetter:
        entity = self._get(_PARTITION, escape_key(delivery_id, what="delivery id"))
        if entity is None:
            raise DeadLetterNotFoundError(f"There is no dead letter for delivery {delivery_id!r}.")
        return _from_entity(entity)

    def list_dead_letters(self, *, subscription_id: str | None = None) -> Iterator[DeadLetter]:
        if subscription_id is None:
            rows = self._partition(_PARTITION)
        else:
            rows = self._query("PartitionKey eq @pk and SubscriptionId eq @sub",
                               {"pk": _PARTITION, "sub": subscription_id})
        return (_from_entity(e) for e in rows)

    def delete_dead_letter(self, delivery_id: str) -> None:
        """Remove it; succeeds when it is already gone."""
        self._delete(_PARTITION, escape_key(delivery_id, what="delivery id"))

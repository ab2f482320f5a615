"""Webhook subscriptions of the event fan-out: where to deliver, in which format, with which secret.

The secret is stored so deliveries can be signed, but ``Subscription``'s ``repr``
hides it and the HTTP layer never returns it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceExistsError

from ..errors import AlreadyExistsError, NotFoundError
from ..settings import Secret
from .tables import Entity, TableStore, etag_of, read_datetime, utcnow

_PARTITION = "subscription"


class SubscriptionNotFoundError(NotFoundError):
    code = "SubscriptionNotFound"


def new_subscription_id() -> str:
    return "sub_" + secrets.token_hex(12)


@dataclass(frozen=True)
class Subscription:
    """A consumer's webhook: ``format`` is ``twilio`` or ``cloudevents``."""

    subscription_id: str
    url: str
    format: str
    secret: Secret
    event_types: tuple[str, ...] = ()  # empty: every event type
    include_migrated: bool = False
    enabled: bool = True
    disabled_reason: str | None = None
    created_at: datetime = field(default_factory=utcnow)
    etag: str | None = None

    def public_view(self) -> dict[str, Any]:
        """What the admin routes return: everything but the secret."""
        return {
            "id": self.subscription_id,
            "url": self.url,
            "format": self.format,
            "eventTypes": list(self.event_types),
            "includeMigrated": self.include_migrated,
            "enabled": self.enabled,
            "disabledReason": self.disabled_reason,
            "createdAt": self.created_at.isoformat(),
        }


def _to_entity(sub: Subscription) -> Entity:
    return {
        "PartitionKey": _PARTITION,
        "RowKey": sub.subscription_id,
        "Url": sub.url,
        "Format": sub.format,
        "Secret": sub.secret.reveal(),
        "EventTypes": json.dumps(list(sub.event_types)),
        "IncludeMigrated": sub.include_migrated,
        "Enabled": sub.enabled,
        "DisabledReason": sub.disabled_reason,
        "CreatedAt": sub.created_at,
    }


def _from_entity(entity: Entity) -> Subscription:
    return Subscription(
        subscription_id=str(entity["RowKey"]),
        url=str(entity["Url"]),
        format=str(entity["Format"]),
        secret=Secret(str(entity["Secret"])),
        event_types=tuple(json.loads(entity.get("EventTypes") or "[]")),
        include_migrated=bool(entity.get("IncludeMigrated", False)),
        enabled=bool(entity.get("Enabled", True)),
        disabled_reason=entity.get("DisabledReason"),
        created_at=read_datetime(entity, "CreatedAt") or utcnow(),
        etag=etag_of(entity),
    )


def _valid_id(subscription_id: str) -> bool:
    return (
        subscription_id.startswith("sub_")
        and len(subscription_id) == 28
        and all(c in "0123456789abcdef" for c in subscription_id[4:])
    )


class SubscriptionStore(TableStore):
    """Reads and writes subscriptions."""

    def create_subscription(self, sub: Subscription) -> Subscription:
        try:
            return _from_entity(self._create(_to_entity(sub)))
        except ResourceExistsError:
            raise AlreadyExistsError(f"The subscription {sub.subscription_id} already exists.") from None

    def get_subscription(self, subscription_id: str) -> Subscription:
        """The subscription; raises ``SubscriptionNotFoundError``."""
        entity = self._get(_PARTITION, subscription_id) if _valid_id(subscription_id) else None
        if entity is None:
            raise SubscriptionNotFoundError(f"There is no subscription {subscription_id!r}.", target="id")
        return _from_entity(entity)

    def list_subscriptions(self, *, enabled_only: bool = False) -> Iterator[Subscription]:
        rows = self._partition(_PARTITION)
        subs = (_from_entity(e) for e in rows)
        return (s for s in subs if s.enabled) if enabled_only else subs

    def disable_subscription(self, subscription_id: str, *, reason: str) -> Subscription:
        """Mark it disabled with ``reason`` (e.g. the subscriber answered 410 Gone)."""
        return self.set_enabled(subscription_id, enabled=False, reason=reason)

    def set_enabled(self, subscription_id: str, *, enabled: bool, reason: str | None = None) -> Subscription:
        """Enable it (clearing any reason) or disable it with ``reason``; ``SubscriptionNotFoundError`` if absent."""
        self.get_subscription(subscription_id)

        def mutate(entity: Entity) -> Entity:
            return _to_entity(replace(_from_entity(entity), enabled=enabled,
                                      disabled_reason=None if enabled else reason))

        return _from_entity(self._update_with_retry(
            _PARTITION, subscription_id, mutate, what=f"Subscription {subscription_id}"
        ))

    def delete_subscription(self, subscription_id: str) -> None:
        """Remove it; succeeds when it is already gone."""
        if _valid_id(subscription_id):
            self._delete(_PARTITION, subscription_id)

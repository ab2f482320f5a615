"""The identity map: app identity <-> ACS user id, readable in both directions.

The forward row (``i:<identity>``) is the authority and is inserted only if absent, so
concurrent first requests for one identity end with exactly one mapping. The reverse
row (``u:<acs user id>``) is written after it and is idempotent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from azure.core.exceptions import ResourceExistsError

from ..errors import AlreadyExistsError, NotFoundError
from .keys import escape_key, unescape_key
from .tables import Entity, TableStore, read_datetime, utcnow

_ROW = "map"


class IdentityNotFoundError(NotFoundError):
    code = "IdentityNotFound"


@dataclass(frozen=True)
class IdentityMapping:
    """One app identity and the ACS user that stands for it."""

    identity: str
    acs_user_id: str
    kind: str = "chat"  # chat | sms | whatsapp | app
    display_name: str | None = None
    created_at: datetime = field(default_factory=utcnow)


class IdentityExistsError(AlreadyExistsError):
    """The identity is mapped already; ``existing`` is the mapping that won."""

    def __init__(self, existing: IdentityMapping) -> None:
        super().__init__(f"The identity {existing.identity!r} is already mapped to an ACS user.")
        self.existing = existing


def _forward_key(identity: str) -> str:
    return escape_key(identity, what="identity", prefix="i:")


def _reverse_key(acs_user_id: str) -> str:
    return escape_key(acs_user_id, what="ACS user id", prefix="u:")


def _to_entity(mapping: IdentityMapping, partition_key: str) -> Entity:
    return {
        "PartitionKey": partition_key,
        "RowKey": _ROW,
        # Escaped like a key so that any text, lone surrogates included, survives the wire.
        "IdentityKey": escape_key(mapping.identity, what="identity"),
        "AcsUserId": mapping.acs_user_id,
        "Kind": mapping.kind,
        "DisplayName": mapping.display_name,
        "CreatedAt": mapping.created_at,
    }


def _from_entity(entity: Entity) -> IdentityMapping:
    return IdentityMapping(
        identity=unescape_key(str(entity["IdentityKey"])),
        acs_user_id=str(entity["AcsUserId"]),
        kind=str(entity.get("Kind") or "chat"),
        display_name=entity.get("DisplayName"),
        created_at=read_datetime(entity, "CreatedAt") or utcnow(),
    )


class IdentityMapStore(TableStore):
    """Reads and writes the identity map shared by the token service and the exporter."""

    def get_identity(self, identity: str) -> IdentityMapping:
        """The mapping for ``identity``; raises ``IdentityNotFoundError`` when there is none."""
        entity = self._get(_forward_key(identity), _ROW)
        if entity is None:
            raise IdentityNotFoundError(f"The identity {identity!r} has no ACS user yet.", target="identity")
        return _from_entity(entity)

    def find_identity(self, identity: str) -> IdentityMapping | None:
        """The mapping for ``identity``, or None."""
        entity = self._get(_forward_key(identity), _ROW)
        return _from_entity(entity) if entity is not None else None

    def get_identity_for_acs_user(self, acs_user_id: str) -> IdentityMapping:
        """The mapping whose ACS user is ``acs_user_id``; raises ``IdentityNotFoundError``."""
        entity = self._get(_reverse_key(acs_user_id), _ROW)
        if entity is None:
            raise IdentityNotFoundError(f"The ACS user {acs_user_id!r} is not mapped to an identity.")
        return _from_entity(entity)

    def create_identity(self, mapping: IdentityMapping) -> IdentityMapping:
        """Insert the mapping if the identity has none; else raise ``IdentityExistsError`` with the winner."""
        forward = _forward_key(mapping.identity)
        reverse = _to_entity(mapping, _reverse_key(mapping.acs_user_id))
        try:
            self._create(_to_entity(mapping, forward))
        except ResourceExistsError:
            raise IdentityExistsError(self.get_identity(mapping.identity)) from None
        try:
            self._upsert(reverse)
        except BaseException:  # half a mapping is none: take the forward row back, the caller cleans up
            with contextlib.suppress(Exception):
                self._delete(forward, _ROW)
            raise
        return mapping

    def delete_identity(self, identity: str) -> IdentityMapping | None:
        """Remove both directions of the mapping; succeeds when it is already gone. Returns what was removed."""
        existing = self.find_identity(identity)
        if existing is not None:
            reverse = self._get(_reverse_key(existing.acs_user_id), _ROW)
            if reverse is not None and _from_entity(reverse).identity == identity:
                self._delete(_reverse_key(existing.acs_user_id), _ROW)
        self._delete(_forward_key(identity), _ROW)
        return existing

    def list_identities(self) -> Iterator[IdentityMapping]:
        """Every mapping, page by page (forward rows only)."""
        rows = self._query("PartitionKey ge @lo and PartitionKey lt @hi", {"lo": "i:", "hi": "i;"})
        return (_from_entity(e) for e in rows)

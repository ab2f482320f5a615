"""The video room map: Twilio room name <-> ACS room id, plus what room status callbacks need.

Rows (one table):

* ``name`` / escaped room name: the authority. Inserted only if absent, so concurrent first
  requests for one name end with one room; replaced only under its ETag (an expired room).
  It also holds the room's admission policy: who made it (``Origin``: backend or user), whether
  the backend set its roster (``Rostered``), and whether it was closed (``Closed``: the ACS
  room is gone, and the name stays closed until the backend creates the room again).
* ``quota`` / escaped identity: rooms a user created by joining in the current window.
* ``room`` / ACS room id: the reverse row (room name) and the room's callback ``Sequence``.
* ``call`` / escaped ``serverCallId``: the room a call happened in (recording events carry no room id).
* ``join`` / escaped ``serverCallId|rawId``: when a participant joined (for ``ParticipantDuration``).
* ``seq-<room id>`` / escaped event id: the sequence number an event got (Event Grid redeliveries
  get the same number).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from ..errors import AlreadyExistsError, ConcurrentUpdateError, NotFoundError
from .keys import escape_key, unescape_key
from .tables import Entity, TableStore, etag_of, int64, read_datetime, read_int, utcnow

_NAME = "name"
_ROOM = "room"
_CALL = "call"
_JOIN = "join"
_QUOTA = "quota"
BACKEND, USER = "backend", "user"  # who made a room

class RoomNotFoundError(NotFoundError):
    code = "RoomNotFound"

@dataclass(frozen=True)
class RoomMapping:
    """One room name and the ACS room that stands for it, with the room's validity window."""

    name: str
    room_id: str
    valid_from: datetime
    valid_until: datetime
    created_at: datetime = field(default_factory=utcnow)
    etag: str | None = None
    origin: str = BACKEND  # BACKEND or USER (made by a user's join)
    rostered: bool = False  # the backend set its roster
    closed: bool = False  # DELETE closed it; only the backend opens it again

    def is_expired(self, now: datetime) -> bool:
        return self.valid_until <= now

    @property
    def roster_only(self) -> bool:
        """A room the backend made or rostered admits only its roster."""
        return self.origin == BACKEND or self.rostered

class RoomExistsError(AlreadyExistsError):
    """The name is mapped already; ``existing`` is the mapping that won."""

    def __init__(self, existing: RoomMapping) -> None:
        super().__init__(f"The room {existing.name!r} already exists.", target="name")
        self.existing = existing

def _name_key(name: str) -> str:
    return escape_key(name, what="room name")

def _to_entity(mapping: RoomMapping) -> Entity:
    return {
        "PartitionKey": _NAME,
        "RowKey": _name_key(mapping.name),
        "NameKey": _name_key(mapping.name),
        "RoomId": mapping.room_id,
        "ValidFrom": mapping.valid_from,
        "ValidUntil": mapping.valid_until,
        "CreatedAt": mapping.created_at,
        "Origin": mapping.origin,
        "Rostered": mapping.rostered,
        "Closed": mapping.closed,
    }

def _from_entity(entity: Entity) -> RoomMapping:
    return RoomMapping(
        name=unescape_key(str(entity["NameKey"])),
        room_id=str(entity["RoomId"]),
        valid_from=read_datetime(entity, "ValidFrom") or utcnow(),
        valid_until=read_datetime(entity, "ValidUntil") or utcnow(),
        created_at=read_datetime(entity, "CreatedAt") or utcnow(),
        etag=etag_of(entity),
        origin=str(entity.get("Origin") or USER),  # rows from before the policy: rooms made on first use
        rostered=bool(entity.get("Rostered", False)),
        closed=bool(entity.get("Closed", False)),
    )

class RoomMapStore(TableStore):
    """Reads and writes the room map and the per-room callback state."""

    def find_room(self, name: str) -> RoomMapping | None:
        entity = self._get(_NAME, _name_key(name))
        return _from_entity(entity) if entity is not None else None

    def get_room(self, name: str) -> RoomMapping:
        """The mapping; raises ``RoomNotFoundError``."""
        found = self.find_room(name)
        if found is None:
            raise RoomNotFoundError(f"There is no room {name!r}.", target="name")
        return found

    def create_room(self, mapping: RoomMapping) -> RoomMapping:
        """Insert the mapping if the name is free; ``RoomExistsError`` carries the winner otherwise."""
        try:
            created = _from_entity(self._create(_to_entity(mapping)))
        except ResourceExistsError:
            existing = self.find_room(mapping.name)
            if existing is None:  # deleted in between: the caller may simply retry
                raise ConcurrentUpdateError(f"The room {mapping.name!r} changed meanwhile; retry.") from None
            raise RoomExistsError(existing) from None
        self._write_reverse(created)
        return created

    def replace_room(self, current: RoomMapping, replacement: RoomMapping) -> RoomMapping:
        """Point the name at another room, only if the row still has ``current``'s ETag."""
        assert current.etag is not None
        updated = _from_entity(self._replace_if_unchanged(
            _to_entity(replacement), current.etag, what=f"Room {current.name!r}"
        ))
        self._write_reverse(updated)
        return updated

    def close_room(self, name: str) -> RoomMapping | None:
        """Mark the name closed (the reverse row stays, so late callbacks still find the name); returns the
        mapping as it was, or None when the name is unknown or closed already."""
        for _ in range(20):
            existing = self.find_room(name)
            if existing is None or existing.closed:
                return None
            try:
                self.replace_room(existing, replace(existing, closed=True))
            except ConcurrentUpdateError:
                continue
            return existing
        raise ConcurrentUpdateError(f"The room {name!r} is being changed by too many requests at once; retry.")

    def mark_rostered(self, mapping: RoomMapping) -> RoomMapping:
        """Record that the backend set the room's roster (it then admits only its roster)."""
        if mapping.rostered:
            return mapping
        return self.replace_room(mapping, replace(mapping, rostered=True))

    def take_creation_slot(self, identity: str, *, limit: int, window: timedelta, now: datetime) -> bool:
        """Count one room created by ``identity``; False when it made ``limit`` rooms in the current window."""
        key = escape_key(identity, what="identity")
        for _ in range(20):
            row = self._get(_QUOTA, key)
            if row is None:
                try:
                    self._create({"PartitionKey": _QUOTA, "RowKey": key, "WindowStart": now, "Count": int64(1)})
                    return True
                except ResourceExistsError:
                    continue
            start = read_datetime(row, "WindowStart") or now
            count = 0 if now - start >= window else read_int(row, "Count")
            if count >= limit:
                return False
            etag = etag_of(row)
            assert etag is not None
            updated = {"PartitionKey": _QUOTA, "RowKey": key, "WindowStart": start if count else now,
                       "Count": int64(count + 1)}
            try:
                self._replace_if_unchanged(updated, etag, what=f"The room quota of {identity!r}")
                return True
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError("Too many rooms are being created at once; retry.")

    def forget_room(self, mapping: RoomMapping) -> None:
        """Remove the name row only if it still holds ``mapping`` (its ETag): a racer's newer room stays."""
        assert mapping.etag is not None
        with contextlib.suppress(ResourceModifiedError, ResourceNotFoundError):
            self.table.delete_entity(_NAME, _name_key(mapping.name), etag=mapping.etag,
                                     match_condition=MatchConditions.IfNotModified)

    def _write_reverse(self, mapping: RoomMapping) -> None:
        # MERGE: the room's Sequence, if callbacks already counted some, stays as it is.
        self._upsert({"PartitionKey": _ROOM, "RowKey": escape_key(mapping.room_id, what="room id"),
                      "NameKey": _name_key(mapping.name)}, mode=UpdateMode.MERGE)

    def find_name_for_room(self, room_id: str) -> str | None:
        """The room name an ACS room id was made for, or None."""
        entity = self._get(_ROOM, escape_key(room_id, what="room id"))
        return unescape_key(str(entity["NameKey"])) if entity is not None and entity.get("NameKey") else None

    def next_sequence(self, room_id: str, event_id: str) -> int:
        """The room's next callback ``SequenceNumber`` (1, 2, ...), the same one again for the same event."""
        room_key = escape_key(room_id, what="room id")
        event_key = escape_key(event_id, what="event id")
        partition = escape_key(room_id, what="room id", prefix="seq-")
        seen = self._get(partition, event_key)
        if seen is not None:
            return read_int(seen, "Number")
        if self._get(_ROOM, room_key) is None:
            with contextlib.suppress(ResourceExistsError):
                self._create({"PartitionKey": _ROOM, "RowKey": room_key, "Sequence": int64(0)})
        number = 0

        def bump(entity: Entity) -> Entity:
            nonlocal number
            number = read_int(entity, "Sequence") + 1
            return {**entity, "Sequence": int64(number)}

        self._update_with_retry(_ROOM, room_key, bump, what=f"Room {room_id} sequence", attempts=50)
        try:
            self._create({"PartitionKey": partition, "RowKey": event_key, "Number": int64(number)})
        except ResourceExistsError:  # another instance numbered this event first: use its number
            winner = self._get(partition, event_key)
            return read_int(winner, "Number") if winner is not None else number
        return number

    def remember_call(self, server_call_id: str, room_id: str) -> None:
        self._upsert({"PartitionKey": _CALL, "RowKey": escape_key(server_call_id, what="server call id"),
                      "RoomId": room_id})

    def find_room_for_call(self, server_call_id: str) -> str | None:
        entity = self._get(_CALL, escape_key(server_call_id, what="server call id"))
        return str(entity["RoomId"]) if entity is not None else None

    def record_join(self, server_call_id: str, raw_id: str, at: datetime) -> None:
        self._upsert({"PartitionKey": _JOIN, "RowKey": escape_key(f"{server_call_id}|{raw_id}", what="join"),
                      "JoinedAt": at})

    def find_join(self, server_call_id: str, raw_id: str) -> datetime | None:
        entity = self._get(_JOIN, escape_key(f"{server_call_id}|{raw_id}", what="join"))
        return read_datetime(entity, "JoinedAt") if entity is not None else None

"""ACS rooms by Twilio room name: one ACS room per name, created on first use, replaced once expired.

The name -> room id row is inserted only if absent, so many first requests for one name end
with one ACS room: each racer creates a room, one insert wins, and the losers delete the
room they made and use the winner's. An expired room is replaced under the row's ETag in the
same way (the old roster and admission policy carry over). A closed room stays closed
(``RoomClosedError``) until the backend creates it again. Who may join: ``admission.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.communication.rooms import (
    CommunicationIdentifier,
    CommunicationRoom,
    CommunicationUserIdentifier,
    ParticipantRole,
    RoomParticipant,
    RoomsClient,
)
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from ..acs_users import AcsUserService
from ..errors import ConcurrentUpdateError, ConflictError, NotFoundError, ServiceUnavailableError
from ..state import IdentityMapStore
from ..state.rooms import BACKEND, RoomExistsError, RoomMapping, RoomMapStore, RoomNotFoundError
from .requests import RosterEntry, Window, check_window

logger = logging.getLogger(__name__)

EXPIRY_MARGIN = timedelta(minutes=1)  # a room this close to its end is replaced rather than joined
ATTEMPTS = 5


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_acs_time(value: object) -> datetime:
    """Rooms 1.2.0 hands timestamps through as strings with up to 7 fractional digits."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits):]}"
    return datetime.fromisoformat(text).astimezone(UTC)


class RoomClosedError(ConflictError):
    """The backend closed the room (DELETE); it stays closed until the backend creates it again."""

    code = "RoomClosed"

    def __init__(self, name: str) -> None:
        super().__init__(f"The room {name!r} was closed; reopen it with POST /api/video/rooms.", target="room")


@contextmanager
def acs_errors(what: str) -> Iterator[None]:
    """Rooms SDK failures as the app's errors (no SDK text, which may quote the request)."""
    try:
        yield
    except ResourceNotFoundError:
        raise  # the callers decide: a room gone from ACS is replaced or ignored
    except ClientAuthenticationError:
        raise ServiceUnavailableError("ACS refused the app's access key; check ACS_CONNECTION_STRING.") from None
    except (HttpResponseError, ServiceRequestError) as exc:
        status = getattr(exc, "status_code", None)
        logger.warning("ACS Rooms call failed while %s (status %s)", what, status)
        raise ServiceUnavailableError(f"ACS Rooms failed while {what} (status {status or 'none'}); try again.") \
            from None


@dataclass(frozen=True)
class Participant:
    identity: str
    communication_user_id: str
    role: str

    def to_json(self) -> dict[str, str]:
        return {"identity": self.identity, "communicationUserId": self.communication_user_id, "role": self.role}


@dataclass(frozen=True)
class VideoRoom:
    """A room as the backend routes show it."""

    name: str
    room_id: str
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    participants: tuple[Participant, ...] | None = None
    closed: bool = False
    roster_only: bool = True

    @classmethod
    def of(cls, mapping: RoomMapping, participants: tuple[Participant, ...] | None = None) -> VideoRoom:
        return cls(mapping.name, mapping.room_id, mapping.valid_from, mapping.valid_until, mapping.created_at,
                   participants, mapping.closed, mapping.roster_only)

    def status(self, now: datetime) -> str:
        if self.closed:
            return "closed"
        if now >= self.valid_until:
            return "expired"
        return "scheduled" if now < self.valid_from else "open"

    def to_json(self, now: datetime) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name, "roomId": self.room_id, "status": self.status(now),
            "validFrom": iso(self.valid_from), "validUntil": iso(self.valid_until),
            "createdAt": iso(self.created_at), "admission": "roster" if self.roster_only else "open",
        }
        if self.participants is not None:
            data["participants"] = [p.to_json() for p in self.participants]
        return data


class VideoRoomService:
    """Rooms by name through the Rooms SDK, users through the shared identity map."""

    def __init__(
        self,
        *,
        client: RoomsClient,
        store: RoomMapStore,
        acs_users: AcsUserService,
        identity_map: IdentityMapStore,
        validity: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._store = store
        self._acs_users = acs_users
        self._identity_map = identity_map
        self._validity = validity
        self._clock = clock

    # ---- rooms ----------------------------------------------------------------------------

    def ensure_room(self, name: str, *, origin: str = BACKEND,
                    before_create: Callable[[], None] | None = None) -> RoomMapping:
        """The name's usable room: the mapped one, or a new one (first use, or the mapped one expired).

        A closed room raises ``RoomClosedError``. ``before_create`` runs (and may refuse) before a room
        is made for a name that has none; a new room records ``origin`` (who made it).
        """
        for _ in range(ATTEMPTS):
            now = self._clock()
            current = self._store.find_room(name)
            if current is not None and current.closed:
                raise RoomClosedError(name)
            if current is not None and current.valid_until > now + EXPIRY_MARGIN:
                return current
            if current is None and before_create is not None:
                before_create()
            window = check_window(None, None, now=now, default_length=self._validity)
            try:
                return self._install(name, current, window, origin=origin)
            except RoomExistsError as lost:
                if lost.existing.valid_until > self._clock() + EXPIRY_MARGIN:
                    return lost.existing
            except (ConcurrentUpdateError, RoomNotFoundError):
                continue
        raise ConcurrentUpdateError(f"The room {name!r} is being replaced by too many requests at once; retry.")

    def create_room(self, name: str, *, valid_from: datetime | None, valid_until: datetime | None) -> VideoRoom:
        """A room made (or a closed one reopened) ahead of time with its own window, admitting only its roster;
        409 while the name holds an unexpired open room."""
        now = self._clock()
        window = check_window(valid_from, valid_until, now=now, default_length=self._validity)
        current = self._store.find_room(name)
        if current is not None and not current.closed and not current.is_expired(now):
            raise RoomExistsError(current)
        return VideoRoom.of(self._install(name, current, window, origin=BACKEND))

    def _install(self, name: str, current: RoomMapping | None, window: Window, *, origin: str) -> RoomMapping:
        """Create an ACS room and map ``name`` to it (insert, or replace ``current``); the loser deletes its room.

        Replacing an expired room carries its roster and policy over; a closed one starts afresh."""
        carried_from = current if current is not None and not current.closed else None
        carried = self._roster_of(carried_from.room_id) if carried_from is not None else []
        with acs_errors(f"creating a room for {name!r}"):
            room: CommunicationRoom = self._client.create_room(
                valid_from=window.valid_from, valid_until=window.valid_until, participants=carried or None,
            )
        mapping = RoomMapping(name=name, room_id=str(room.id), valid_from=parse_acs_time(room.valid_from),
                              valid_until=parse_acs_time(room.valid_until), created_at=parse_acs_time(room.created_at),
                              origin=carried_from.origin if carried_from is not None else origin,
                              rostered=carried_from.rostered if carried_from is not None else False)
        try:
            if current is None:
                return self._store.create_room(mapping)
            return self._store.replace_room(current, mapping)
        except (RoomExistsError, ConcurrentUpdateError):
            self._delete_acs_room(mapping.room_id)
            raise

    def _roster_of(self, room_id: str) -> list[RoomParticipant]:
        try:
            with acs_errors("reading an expired room's participants"):
                return list(self._client.list_participants(room_id))
        except (ResourceNotFoundError, ServiceUnavailableError):
            return []

    def _list_roster(self, room_id: str) -> list[RoomParticipant]:
        try:
            with acs_errors("listing the room's participants"):
                return list(self._client.list_participants(room_id))
        except ResourceNotFoundError:
            return []

    def get_room(self, name: str) -> VideoRoom:
        """The mapped room with its participants (identities mapped back); 404 when the name is unknown."""
        mapping = self._store.get_room(name)
        if mapping.closed:
            return VideoRoom.of(mapping, ())
        roster = tuple(self._participant(p) for p in self._list_roster(mapping.room_id))
        return VideoRoom.of(mapping, roster)

    def add_participant(self, mapping: RoomMapping, acs_user_id: str, role: str) -> None:
        """Put one ACS user on the roster with ``role`` (``ResourceNotFoundError`` when the room is gone)."""
        self._client.add_or_update_participants(room_id=mapping.room_id, participants=[RoomParticipant(
            communication_identifier=CommunicationUserIdentifier(acs_user_id), role=ParticipantRole(role))])

    def roster(self, mapping: RoomMapping) -> dict[str, str]:
        """The room's participants: ACS raw id -> role."""
        return {self._raw_id(p): str(getattr(p.role, "value", p.role)) for p in self._list_roster(mapping.room_id)}

    def delete_room(self, name: str) -> None:
        """Close the name (it stays closed until the backend creates it again) and delete its ACS room;
        succeeds when it is already closed or unknown."""
        mapping = self._store.close_room(name)
        if mapping is not None:
            self._delete_acs_room(mapping.room_id)

    def in_room(self, name: str, change: Callable[[RoomMapping], None], *, origin: str = BACKEND,
                before_create: Callable[[], None] | None = None) -> RoomMapping:
        """Run ``change`` on the name's room; a room deleted from ACS behind the app's back is replaced once."""
        mapping = self.ensure_room(name, origin=origin, before_create=before_create)
        try:
            change(mapping)
        except ResourceNotFoundError:
            logger.warning("ACS room %s of a mapped name is gone; replacing it", mapping.room_id)
            self._store.forget_room(mapping)
            lost = mapping
            mapping = self.ensure_room(name, origin=lost.origin)
            if lost.rostered:
                mapping = self._mark_rostered(name) or mapping
            with acs_errors(f"using the replacement room of {name!r}"):
                change(mapping)
        return mapping

    def _mark_rostered(self, name: str) -> RoomMapping | None:
        for _ in range(ATTEMPTS):
            current = self._store.find_room(name)
            if current is None or current.closed:
                return None
            try:
                return self._store.mark_rostered(current)
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError(f"The room {name!r} is being changed by too many requests at once; retry.")

    def set_participants(self, name: str, roster: list[RosterEntry]) -> VideoRoom:
        """Make the room's roster exactly ``roster`` (users created on first sight); the room on first use.

        The room then admits only its roster (marked before the roster changes, so no user slips in between);
        a closed room is a 409 until the backend creates it again."""
        self.ensure_room(name)  # a closed room refuses before any user is made
        self._mark_rostered(name)
        wanted = {self._acs_users.ensure_user(e.identity).acs_user_id: e.role for e in roster}

        def change(mapping: RoomMapping) -> None:
            with acs_errors(f"updating the participants of {name!r}"):
                current = {self._raw_id(p): p for p in self._client.list_participants(mapping.room_id)}
                if wanted:
                    self._client.add_or_update_participants(room_id=mapping.room_id, participants=[
                        RoomParticipant(communication_identifier=CommunicationUserIdentifier(raw_id),
                                        role=ParticipantRole(role)) for raw_id, role in wanted.items()
                    ])
                gone: list[RoomParticipant | CommunicationIdentifier] = [
                    p.communication_identifier for raw_id, p in current.items() if raw_id not in wanted
                ]
                if gone:
                    self._client.remove_participants(room_id=mapping.room_id, participants=gone)

        self.in_room(name, change)
        return self.get_room(name)

    # ---- helpers --------------------------------------------------------------------------

    @staticmethod
    def _raw_id(participant: RoomParticipant) -> str:
        return str(participant.communication_identifier.raw_id)

    def _participant(self, participant: RoomParticipant) -> Participant:
        raw_id = self._raw_id(participant)
        role = participant.role
        try:
            identity = self._identity_map.get_identity_for_acs_user(raw_id).identity
        except NotFoundError:
            identity = raw_id
        return Participant(identity, raw_id, str(getattr(role, "value", role)))

    def _delete_acs_room(self, room_id: str) -> None:
        try:
            self._client.delete_room(room_id)
        except ResourceNotFoundError:
            pass
        except (HttpResponseError, ServiceRequestError) as exc:
            logger.warning("could not delete ACS room %s (status %s); it holds no mapping", room_id,
                           getattr(exc, "status_code", None))

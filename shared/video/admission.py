"""Who may join a room: the admission policy behind ``POST /api/video/token``.

* The trusted backend names the identity and role; the room is made on first use (a backend room).
* A room the backend created, or whose roster it set, admits only its roster: a user on it gets a
  ``voip`` token with the role the roster gives; anyone else gets 403 ``NotOnRoster``.
* A closed room stays closed (403 ``RoomClosed`` for users, 409 for the backend) until the backend
  creates it again with ``POST /api/video/rooms``.
* A room a user made by joining is open: signed-in users join it with their claim's or the default role.
  Users may make rooms by joining only when ``users_create_rooms`` is on (off by default), at most
  ``rooms_per_window`` per identity per ``window`` (429 ``TooManyRequests`` past it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..acs_users import AcsUserService
from ..auth import USER_KINDS, Caller
from ..errors import BadRequestError, ForbiddenError, TooManyRequestsError
from ..state import IdentityMapStore
from ..state.rooms import BACKEND, USER, RoomMapping, RoomMapStore, RoomNotFoundError
from ..token_service import kinds_for, target_identity
from .requests import check_role
from .rooms import VideoRoom, VideoRoomService, acs_errors, iso

VOIP = "voip"


class NotOnRosterError(ForbiddenError):
    code = "NotOnRoster"


class RoomClosedForUsersError(ForbiddenError):
    code = "RoomClosed"


class _RosterOnly(Exception):
    """Raised inside a roster change when the room turned out to admit only its roster."""

    def __init__(self, mapping: RoomMapping) -> None:
        self.mapping = mapping


@dataclass(frozen=True)
class RoomAdmission:
    """A user admitted to a room: its role and a ``voip`` token to join with."""

    identity: str
    room: VideoRoom
    role: str
    communication_user_id: str
    token: str
    expires_on: datetime
    endpoint: str

    def to_json(self) -> dict[str, str]:
        return {"token": self.token, "expiresOn": iso(self.expires_on),
                "communicationUserId": self.communication_user_id, "roomId": self.room.room_id,
                "endpoint": self.endpoint, "room": self.room.name, "role": self.role, "identity": self.identity}

    def to_twilio_json(self) -> dict[str, str]:
        """What Twilio Video starter apps read from their token server."""
        return {"identity": self.identity, "token": self.token, "room": self.room.name}


@dataclass(frozen=True)
class AdmissionRules:
    """The settings the policy follows (``VIDEO_*``)."""

    default_role: str
    role_claim: str | None
    token_expires_in: timedelta
    users_create_rooms: bool = False
    rooms_per_window: int = 5
    window: timedelta = timedelta(hours=1)


class RoomAdmissionService:
    """Admits callers to rooms by name (see the module docstring)."""

    def __init__(self, *, rooms: VideoRoomService, store: RoomMapStore, acs_users: AcsUserService,
                 identity_map: IdentityMapStore, endpoint: str, rules: AdmissionRules,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._rooms = rooms
        self._store = store
        self._acs_users = acs_users
        self._identity_map = identity_map
        self._endpoint = endpoint
        self._rules = rules
        self._clock = clock

    def role_for(self, caller: Caller, requested: object) -> str:
        """The backend may name a role; a user gets the one its claim names (when configured) or the default."""
        if caller.is_backend:
            return self._rules.default_role if requested is None else check_role(requested)
        if requested is not None:
            raise ForbiddenError("Users cannot choose their role; leave out role.", target="role")
        claim_name = self._rules.role_claim
        claimed = caller.claim(claim_name) if claim_name is not None else None
        if claimed is None or claim_name is None:
            return self._rules.default_role
        if isinstance(claimed, list) and claimed:
            claimed = claimed[0]
        try:
            return check_role(claimed, what=f"{claim_name} claim")
        except BadRequestError:
            raise ForbiddenError(f"The {claim_name!r} claim names no room role.", target="role") from None

    def admit_caller(self, caller: Caller, *, room: str, identity: object, role: object) -> RoomAdmission:
        """The token service's rules (who the token is for, which scopes the caller may have), then the policy."""
        target = target_identity(caller, identity)
        if VOIP not in caller.allowed_scopes:
            raise ForbiddenError(
                f"Scope 'voip' is not allowed for a {caller.kind.value.replace('_', ' ')}; "
                f"allowed: {', '.join(caller.allowed_scopes)} (see TOKEN_USER_SCOPES).", target="scopes",
            )
        chosen = self.role_for(caller, role)
        if caller.is_backend:
            return self.admit(target, room, role=chosen)
        current = self._store.find_room(room)
        if current is not None and current.closed:
            raise RoomClosedForUsersError(f"The room {room!r} was closed.", target="room")
        if current is None and not self._rules.users_create_rooms:
            raise RoomNotFoundError(f"There is no room {room!r}; rooms are made by the backend.", target="room")
        if current is not None and current.roster_only:
            return self._admit_from_roster(target, room)
        try:
            return self.admit(target, room, role=chosen, caller=caller)
        except _RosterOnly:
            return self._admit_from_roster(target, room)

    def admit(self, identity: str, name: str, *, role: str, caller: Caller | None = None) -> RoomAdmission:
        """Put ``identity`` on the room's roster with ``role`` and issue it a ``voip`` token.

        ``caller`` a user: the room must be open (one it made by joining), and a new one counts against
        its quota; otherwise (the backend) any room, made on first use as a backend room."""
        by_user = caller is not None and not caller.is_backend
        kinds = kinds_for(caller) if caller is not None else None
        user = self._acs_users.ensure_user(identity, kinds=kinds)

        def change(mapping: RoomMapping) -> None:
            if by_user and mapping.roster_only:
                raise _RosterOnly(mapping)
            with acs_errors(f"adding {identity!r} to {name!r}"):
                self._rooms.add_participant(mapping, user.acs_user_id, role)

        mapping = self._rooms.in_room(name, change, origin=USER if by_user else BACKEND,
                                      before_create=(lambda: self._take_slot(identity)) if by_user else None)
        issued = self._acs_users.issue_token(identity, scopes=(VOIP,), expires_in=self._rules.token_expires_in,
                                              kinds=kinds)
        return RoomAdmission(identity, VideoRoom.of(mapping), role, issued.acs_user_id, issued.token,
                             issued.expires_on, self._endpoint)

    def _admit_from_roster(self, identity: str, name: str) -> RoomAdmission:
        refused = NotOnRosterError(f"The room {name!r} admits only its roster; ask its organiser to add you.",
                                   target="room")
        user = self._identity_map.find_identity(identity)
        if user is None or user.kind not in USER_KINDS:
            raise refused
        mapping = self._rooms.ensure_room(name)
        role = self._rooms.roster(mapping).get(user.acs_user_id)
        if role is None:
            raise refused
        issued = self._acs_users.issue_token(identity, scopes=(VOIP,), expires_in=self._rules.token_expires_in,
                                              kinds=USER_KINDS)
        return RoomAdmission(identity, VideoRoom.of(mapping), role, issued.acs_user_id, issued.token,
                             issued.expires_on, self._endpoint)

    def _take_slot(self, identity: str) -> None:
        rules = self._rules
        if not self._store.take_creation_slot(identity, limit=rules.rooms_per_window, window=rules.window,
                                              now=self._clock()):
            minutes = int(rules.window.total_seconds() // 60)
            raise TooManyRequestsError(
                f"You created {rules.rooms_per_window} rooms in the last {minutes} minutes; join an existing room "
                "or try again later.", target="room")


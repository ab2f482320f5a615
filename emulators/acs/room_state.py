"""In-memory Rooms state: rooms with their validity window and an ordered roster (raw id -> role)."""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .formats import identity_time

ROLES = ("Presenter", "Attendee", "Consumer", "Collaborator")


@dataclass
class Room:
    """One room; ``participants`` keeps insertion order (an updated raw id keeps its place)."""

    id: str
    created_at: datetime
    valid_from: datetime
    valid_until: datetime
    pstn_dial_out_enabled: bool = False
    participants: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """``RoomModel``: every key always present, times with 7 fractional digits and ``+00:00``."""
        return {
            "id": self.id,
            "createdAt": identity_time(self.created_at),
            "validFrom": identity_time(self.valid_from),
            "validUntil": identity_time(self.valid_until),
            "pstnDialOutEnabled": self.pstn_dial_out_enabled,
        }

    def admin_view(self) -> dict[str, Any]:
        return {**self.to_json(), "participants": [{"rawId": r, "role": role} for r, role in self.participants.items()]}


@dataclass
class RoomStore:
    """Every room by id, the ids of deleted rooms, and create replays by ``Repeatability-Request-Id``."""

    rooms: dict[str, Room] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    replays: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def reset(self) -> None:
        self.rooms.clear()
        self.deleted.clear()
        self.replays.clear()
        self.calls = 0


class RoomIds:
    """Seeded ids for rooms and calls, drawn apart from the chat ids so these never shift them."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"acs-emulator-rooms-{seed}")

    def room(self) -> str:
        """A 17-digit decimal room id, like the service's (``99425796013118603``)."""
        return str(self._rng.randrange(10**16, 10**17))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def server_call_id(self) -> str:
        """Unpadded base64url of a conversation URL, as real ``serverCallId`` values are."""
        conv = base64.urlsafe_b64encode(self._rng.getrandbits(128).to_bytes(16, "big")).rstrip(b"=").decode()
        url = f"https://conv-emulator.conv.skype.net:443/conv/{conv}?i=0&e={self._rng.getrandbits(60)}"
        return base64.urlsafe_b64encode(url.encode()).rstrip(b"=").decode("ascii")

    def document_id(self) -> str:
        return f"0-eus-d12-{self._rng.getrandbits(128):032x}"


def dump_rooms(store: RoomStore) -> dict[str, Any]:
    """The rooms part of a snapshot (times as ISO strings)."""
    return {
        "rooms": [{"id": r.id, "createdAt": r.created_at.isoformat(), "validFrom": r.valid_from.isoformat(),
                   "validUntil": r.valid_until.isoformat(), "pstnDialOutEnabled": r.pstn_dial_out_enabled,
                   "participants": dict(r.participants)} for r in store.rooms.values()],
        "deleted": sorted(store.deleted),
        "replays": dict(store.replays),
    }


def restore_rooms(store: RoomStore, data: dict[str, Any]) -> None:
    """Replace ``store``'s rooms with a ``dump_rooms``; raises ``KeyError``/``ValueError`` on bad data."""
    rooms = {r["id"]: Room(str(r["id"]), datetime.fromisoformat(r["createdAt"]), datetime.fromisoformat(r["validFrom"]),
                           datetime.fromisoformat(r["validUntil"]), bool(r["pstnDialOutEnabled"]),
                           {str(k): str(v) for k, v in r["participants"].items()}) for r in data["rooms"]}
    store.reset()
    store.rooms.update(rooms)
    store.deleted.update(str(i) for i in data["deleted"])
    store.replays.update({str(k): str(v) for k, v in data["replays"].items()})

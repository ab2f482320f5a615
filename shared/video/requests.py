"""Input rules of the video routes: room names, roles, validity windows and rosters (400 naming the problem)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..auth import check_identity
from ..errors import BadRequestError
from ..inputs import only_fields, parse_instant
from ..settings import ROOM_ROLES

MAX_ROOM_NAME_CHARS = 128  # Twilio's UniqueName limit
MAX_WINDOW = timedelta(days=180)  # ACS Rooms' longest validity window
MAX_ROSTER = 350  # interactive participants of an ACS room call


def check_room_name(value: object) -> str:
    """A usable room name (the identity rules, at most 128 characters); else 400 naming the problem."""
    name = check_identity(value, what="room")
    if len(name) > MAX_ROOM_NAME_CHARS:
        raise BadRequestError(f"The room is {len(name)} characters long; the limit is {MAX_ROOM_NAME_CHARS}.",
                              target="room")
    return name


def check_role(value: object, *, what: str = "role") -> str:
    """One of Presenter, Attendee, Consumer, Collaborator (any letter case); else 400."""
    if isinstance(value, str):
        for role in ROOM_ROLES:
            if value.strip().lower() == role.lower():
                return role
    raise BadRequestError(f"The {what} must be one of {', '.join(ROOM_ROLES)}.", target=what)


def parse_time(value: object, *, what: str) -> datetime | None:
    """An ISO 8601 date-time with a zone (``Z`` or an offset); ``None`` when absent; else 400."""
    return parse_instant(value, what=what)


@dataclass(frozen=True)
class Window:
    """A room's validity window."""

    valid_from: datetime
    valid_until: datetime


def check_window(valid_from: datetime | None, valid_until: datetime | None, *, now: datetime,
                 default_length: timedelta) -> Window:
    """The window ACS will accept (research rooms-and-calling.md §1.6), defaults filled in; else 400."""
    start = valid_from or now
    end = valid_until or start + default_length
    if start - now > MAX_WINDOW:
        raise BadRequestError("validFrom may be at most 180 days ahead.", target="validFrom")
    if end <= now:
        raise BadRequestError("validUntil is in the past.", target="validUntil")
    if end <= start:
        raise BadRequestError("validUntil must come after validFrom.", target="validUntil")
    if end - start > MAX_WINDOW:
        raise BadRequestError("The validity window is longer than 180 days.", target="validUntil")
    return Window(start, end)


@dataclass(frozen=True)
class RosterEntry:
    identity: str
    role: str


def parse_roster(body: Mapping[str, Any], *, default_role: str) -> list[RosterEntry]:
    """``{"participants": [{"identity", "role"?}, ...]}``: every identity once, every role known; else 400."""
    only_fields(body, ("participants",), what="the participants request")
    raw = body.get("participants")
    if not isinstance(raw, list):
        raise BadRequestError("participants must be a list of {identity, role}.", target="participants")
    if len(raw) > MAX_ROSTER:
        raise BadRequestError(f"A room holds at most {MAX_ROSTER} participants.", target="participants")
    entries: list[RosterEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"participants[{index}]"
        if not isinstance(item, dict):
            raise BadRequestError(f"{where} must be an object with identity and role.", target=where)
        only_fields(item, ("identity", "role"), what=where)
        identity = check_identity(item.get("identity"), what=f"{where}.identity")
        if identity in seen:
            raise BadRequestError(f"{where}.identity is listed twice.", target=f"{where}.identity")
        seen.add(identity)
        role = default_role if item.get("role") is None else check_role(item.get("role"), what=f"{where}.role")
        entries.append(RosterEntry(identity, role))
    return entries

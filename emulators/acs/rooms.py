"""Rooms 2025-03-13 (research rooms-and-calling.md §1): create, get, update, delete, list, participants.

HMAC-signed like Identity. Exactly one success code per operation (201, 200, 204); ids are
16-18 digit decimal strings (400 "Invalid room ID length." otherwise, 404 when unknown or
deleted); validity defaults to now .. now + 180 days, and the three 180-day rules answer 400
with one ``BadArgument`` detail. ``null`` means "default" on create and "unchanged" on PATCH.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta
from typing import Any

from .call import Call, Reply
from .emulator import Emulator
from .errors import ApiError, error_body
from .formats import parse_time
from .room_state import ROLES, Room

VERSIONS = ("2023-06-14", "2024-04-15", "2025-03-13")
# azure-communication-rooms 1.2.0 sends the enum's str() on page 2+ (research §0.5); accepted as 2025-03-13.
VERSION_ALIASES = ("ApiVersion.V2025_03_13",)
SUPPORTED_VERSIONS = "2023-06-14, 2023-10-30-preview, 2024-04-15, 2025-03-13"
MAX_WINDOW = timedelta(days=180)
ROOMS_PAGE_SIZE = 5  # the real first page held 5 rooms (recording)
PARTICIPANTS_PAGE_SIZE = 100
MALFORMED = "The request could not be understood by the server due to malformed syntax."
_ROOM_ID = re.compile(r"\d{16,18}\Z")
_RAW_ID = re.compile(r"8:acs:[0-9A-Za-z_\-]{1,200}\Z")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}\Z")
JSON_TYPES = ("application/json",)
PATCH_TYPES = ("application/merge-patch+json", "application/json")


def _with_code(status: int, code: str, message: str) -> ApiError:
    """An error carrying ``x-ms-error-code``, as the real id and identifier errors do."""
    return ApiError(status, error_body(code, message), {"x-ms-error-code": code})


def bad_argument(message: str, target: str) -> ApiError:
    """The validation 400: a generic message with one ``BadArgument`` detail (no ``x-ms-error-code``)."""
    return ApiError(400, {"error": {"code": "BadRequest", "message": MALFORMED,
                                    "details": [{"code": "BadArgument", "message": message, "target": target}]}})


def check_version(call: Call) -> None:
    version = call.query("api-version") or ""
    if version not in VERSIONS + VERSION_ALIASES:
        raise ApiError(400, error_body(
            "UnsupportedApiVersion",
            f"The HTTP resource does not support the api-version; use one of {', '.join(VERSIONS)}.",
        ))


def _room(emu: Emulator, call: Call) -> Room:
    room_id = call.params["room"]
    if not _ROOM_ID.match(room_id):
        raise _with_code(400, "BadRequest", "Invalid room ID length.")
    room = emu.rooms.rooms.get(room_id)
    if room is None:
        raise _with_code(404, "NotFound", "The server cannot find the requested resource.")
    return room


def _body(call: Call, content_types: tuple[str, ...]) -> dict[str, Any]:
    if not call.body.strip():
        return {}
    content_type = (call.request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in content_types:
        raise ApiError(415, error_body("UnsupportedMediaType", f"Content-Type must be {content_types[0]}."))
    try:
        value = json.loads(call.body)
    except ValueError:
        raise ApiError(400, error_body("BadRequest", MALFORMED)) from None
    if not isinstance(value, dict):
        raise ApiError(400, error_body("BadRequest", MALFORMED))
    return value


def _time(body: dict[str, Any], key: str, target: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_argument(f"The value of {target} is not a valid date-time.", target)
    try:
        return parse_time(value)
    except ValueError:
        raise bad_argument(f"The value of {target} is not a valid date-time.", target) from None


def _flag(body: dict[str, Any]) -> bool | None:
    value = body.get("pstnDialOutEnabled")
    if value is not None and not isinstance(value, bool):
        raise bad_argument("The value of PstnDialOutEnabled must be true or false.", "PstnDialOutEnabled")
    return value


def check_window(now: datetime, valid_from: datetime, valid_until: datetime) -> None:
    """The 180-day rules of research §1.6, in the service's words."""
    if valid_from - now > MAX_WINDOW:
        raise bad_argument("Value is incorrect or more than 180 days in the future.", "ValidFrom")
    if valid_until < now:
        raise bad_argument("The time range end is in the past.", "ValidUntil")
    if valid_until <= valid_from or valid_until - valid_from > MAX_WINDOW:
        raise bad_argument("The time range is incorrect, or larger than 180 days.", "ValidUntil")


def _participants(body: dict[str, Any]) -> dict[str, str | None]:
    """The ``participants`` merge-patch map: raw id -> role, or None to remove."""
    raw = body.get("participants")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise bad_argument("Participants must be a map of raw ids to participant properties.", "$.participants")
    changes: dict[str, str | None] = {}
    for raw_id, value in raw.items():
        if not _RAW_ID.match(raw_id):
            shown = raw_id if len(raw_id) <= 100 and raw_id.isprintable() else "(malformed)"
            raise _with_code(400, "BadRequest", f"Communication identifier {shown} is not supported.")
        if value is None:
            changes[raw_id] = None
            continue
        role = value.get("role") if isinstance(value, dict) else None
        if role not in ROLES:
            raise bad_argument("Invalid participant role. The valid roles are: " + ", ".join(ROLES) + ".",
                               f"$.participants.{raw_id}.role")
        changes[raw_id] = str(role)
    return changes


def create(emu: Emulator, call: Call) -> Reply:
    """POST /rooms -> 201 ``RoomModel``; a repeated ``Repeatability-Request-Id`` returns the first room."""
    check_version(call)
    request_id = call.request.headers.get("Repeatability-Request-Id")
    if request_id and request_id in emu.rooms.replays:
        replayed = emu.rooms.rooms.get(emu.rooms.replays[request_id])
        if replayed is not None:
            return _created(call, replayed)
    body = _body(call, JSON_TYPES)
    now = emu.now()
    valid_from = _time(body, "validFrom", "ValidFrom") or now
    valid_until = _time(body, "validUntil", "ValidUntil") or valid_from + MAX_WINDOW
    flag = _flag(body)
    changes = _participants(body)
    check_window(now, valid_from, valid_until)
    room = Room(emu.room_ids.room(), now, valid_from, valid_until, bool(flag),
                {raw_id: role for raw_id, role in changes.items() if role is not None})
    emu.rooms.rooms[room.id] = room
    if request_id:
        emu.rooms.replays[request_id] = room.id
    return _created(call, room)


def _created(call: Call, room: Room) -> Reply:
    return Reply(201, room.to_json(), {"Location": f"{call.base_url}/rooms/{room.id}",
                                       "Repeatability-Result": "accepted"})


def get(emu: Emulator, call: Call) -> Reply:
    check_version(call)
    return Reply(200, _room(emu, call).to_json())


def update(emu: Emulator, call: Call) -> Reply:
    """PATCH /rooms/{id}: ``null`` leaves a field unchanged; the resulting window is checked."""
    check_version(call)
    room = _room(emu, call)
    body = _body(call, PATCH_TYPES)
    valid_from = _time(body, "validFrom", "ValidFrom") or room.valid_from
    valid_until = _time(body, "validUntil", "ValidUntil") or room.valid_until
    flag = _flag(body)
    check_window(emu.now(), valid_from, valid_until)
    room.valid_from, room.valid_until = valid_from, valid_until
    if flag is not None:
        room.pstn_dial_out_enabled = flag
    return Reply(200, room.to_json())


def delete(emu: Emulator, call: Call) -> Reply:
    check_version(call)
    room = _room(emu, call)
    del emu.rooms.rooms[room.id]
    emu.rooms.deleted.add(room.id)
    return Reply(204)


def _page_token(call: Call) -> int:
    token = call.query("nextLink")
    if token is None:
        return 0
    try:
        if not _TOKEN.match(token):
            raise ValueError
        return int(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(400, error_body("BadRequest", "The continuation token is not valid.")) from None


def _next_link(call: Call, path: str, offset: int) -> str:
    token = base64.urlsafe_b64encode(str(offset).encode("ascii")).rstrip(b"=").decode("ascii")
    return f"{call.base_url}{path}?nextLink={token}&api-version={call.query('api-version')}"


def _paged(call: Call, path: str, items: list[dict[str, Any]], size: int) -> Reply:
    start = _page_token(call)
    body: dict[str, Any] = {"value": items[start:start + size]}
    if start + size < len(items):
        body["nextLink"] = _next_link(call, path, start + size)
    return Reply(200, body)


def list_rooms(emu: Emulator, call: Call) -> Reply:
    """GET /rooms: newest first, pages of 5 with an absolute ``nextLink``."""
    check_version(call)
    rooms = sorted(emu.rooms.rooms.values(), key=lambda r: (r.created_at, r.id), reverse=True)
    return _paged(call, "/rooms", [r.to_json() for r in rooms], ROOMS_PAGE_SIZE)


def list_participants(emu: Emulator, call: Call) -> Reply:
    check_version(call)
    room = _room(emu, call)
    items = [{"rawId": raw_id, "role": role} for raw_id, role in room.participants.items()]
    return _paged(call, f"/rooms/{room.id}/participants", items, PARTICIPANTS_PAGE_SIZE)


def update_participants(emu: Emulator, call: Call) -> Reply:
    """PATCH /rooms/{id}/participants: upsert ``{role}`` values, remove ``null`` ones (idempotent); 200 ``{}``."""
    check_version(call)
    room = _room(emu, call)
    changes = _participants(_body(call, PATCH_TYPES))
    for raw_id, role in changes.items():
        if role is None:
            room.participants.pop(raw_id, None)
        else:
            room.participants[raw_id] = role
    return Reply(200, {})

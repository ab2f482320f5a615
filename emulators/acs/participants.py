"""Thread participants: list (``skip``), add (200 a call, 250 a thread, ``invalidParticipants``), remove."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .call import Call, Reply
from .chat_common import append_message, decode_state, load_thread, next_link, thread_path
from .emulator import Emulator
from .errors import chat_bad_request, forbidden
from .formats import parse_time, to_ms
from .state import Participant, identifier, raw_id_of

MAX_PER_CALL = 200
MAX_PER_THREAD = 250
DEFAULT_PAGE = 100
MAX_PAGE = 200


def invalid_entry(user_id: str) -> dict[str, Any]:
    """The ``ChatError`` the service returns for a user it cannot add (target = raw id)."""
    return {"target": user_id, "code": "403", "message": "Permissions check failed"}


def parse_participant(raw: Any) -> tuple[str | None, str | None, datetime | None]:
    """``(raw id, displayName, shareHistoryTime)`` of a request ``ChatParticipant``."""
    if not isinstance(raw, dict):
        raise chat_bad_request("Each participant must be an object.")
    user_id = raw_id_of(raw.get("communicationIdentifier"))
    display = raw.get("displayName")
    share_raw = raw.get("shareHistoryTime")
    try:
        share = parse_time(share_raw) if isinstance(share_raw, str) and share_raw else None
    except ValueError:
        raise chat_bad_request("shareHistoryTime is not a valid date-time.") from None
    return user_id, display if isinstance(display, str) else None, share


def list_participants(emu: Emulator, call: Call) -> Reply:
    """GET /chat/threads/{id}/participants?maxPageSize&skip, in join order."""
    thread = load_thread(emu, call)
    emu.limiter.check("list_participants", user=call.user, thread=thread.id)
    state = decode_state(call) or {}
    page = call.int_query("maxPageSize", DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)
    skip = int(state.get("skip", call.int_query("skip", 0)))
    people = list(thread.participants.values())
    result: dict[str, Any] = {"value": [p.to_json() for p in people[skip : skip + page]]}
    if skip + page < len(people):
        result["nextLink"] = next_link(call, thread_path(thread.id, "/participants"), {"skip": skip + page}, page)
    return Reply(200, result)


def add(emu: Emulator, call: Call) -> Reply:
    """POST .../participants/:add → 201 ``{}`` or ``{"invalidParticipants": [...]}``."""
    thread = load_thread(emu, call)
    assert call.caller is not None
    if not call.caller.can_manage_participants():
        raise forbidden()
    body = call.json_object()
    requested = body.get("participants")
    if not isinstance(requested, list) or not requested:
        raise chat_bad_request("Participants are required.")
    if len(requested) > MAX_PER_CALL:
        raise chat_bad_request(f"Too many participants: at most {MAX_PER_CALL} can be added in one call.")
    emu.limiter.check("participants_write", thread=thread.id)
    now = emu.now()
    invalid: list[dict[str, Any]] = []
    added: list[Participant] = []
    planned: dict[str, Participant] = {}
    for raw in requested:
        user_id, display_name, share = parse_participant(raw)
        if user_id is None:
            raise chat_bad_request("Identifier format is invalid.")
        if user_id not in emu.store.users:
            invalid.append(invalid_entry(user_id))
            continue
        existing = thread.participants.get(user_id)
        if existing is not None:
            existing.display_name = display_name if display_name is not None else existing.display_name
            if share is not None:
                existing.share_history_time = share
            continue
        planned[user_id] = Participant(user_id, display_name, share or now, now)
    if len(thread.participants) + len(planned) > MAX_PER_THREAD:
        raise chat_bad_request(f"A thread can have at most {MAX_PER_THREAD} participants.")
    for user_id, participant in planned.items():
        thread.participants[user_id] = participant
        added.append(participant)
    if added:
        thread.version = max(to_ms(now), thread.version + 1)
        content = {
            "participants": [p.to_json() for p in added],
            "initiatorCommunicationIdentifier": identifier(call.user),
        }
        append_message(thread, "participantAdded", None, content, now=now)
        for participant in added:
            emu.events.participant(True, thread, call.user, participant, now, list(thread.participants))
    result: dict[str, Any] = {"invalidParticipants": invalid} if invalid else {}
    return Reply(201, result)


def remove(emu: Emulator, call: Call) -> Reply:
    """POST .../participants/:remove (bare identifier) → 204 and a ``participantRemoved`` message."""
    thread = load_thread(emu, call)
    assert call.caller is not None
    user_id = raw_id_of(call.json())
    if user_id is None:
        raise chat_bad_request("Identifier format is invalid.")
    if user_id != call.user and not call.caller.can_manage_participants():
        raise forbidden()
    emu.limiter.check("participants_write", thread=thread.id)
    removed = thread.participants.pop(user_id, None)
    if removed is None:
        return Reply(204)
    now = emu.now()
    thread.version = max(to_ms(now), thread.version + 1)
    content = {"participants": [removed.to_json()], "initiatorCommunicationIdentifier": identifier(call.user)}
    append_message(thread, "participantRemoved", None, content, now=now)
    emu.events.participant(False, thread, call.user, removed, now, [*thread.participants, user_id])
    return Reply(204)

"""Chat threads: create (idempotent), list, get, update topic, delete."""

from __future__ import annotations

from typing import Any

from .call import Call, Reply
from .chat_common import (
    append_message,
    decode_state,
    load_thread,
    location,
    next_link,
    participant_of,
    time_query,
)
from .emulator import Emulator
from .errors import chat_bad_request, forbidden
from .formats import parse_time, to_ms
from .participants import MAX_PER_CALL, MAX_PER_THREAD, invalid_entry, parse_participant
from .state import SHARE_ALL, Participant, Thread

DEFAULT_PAGE = 100
MAX_PAGE = 200


def create(emu: Emulator, call: Call) -> Reply:
    """POST /chat/threads → 201 ``CreateChatThreadResult`` with ``Location``.

    The creator joins with ``shareHistoryTime`` 1970; system messages ``participantAdded``
    (seq 1) and ``topicUpdated`` (seq 2) follow. The same ``repeatability-request-id`` from
    the same caller replays the first answer.
    """
    assert call.caller is not None
    if not call.caller.can_manage_threads():
        raise forbidden()
    request_id = call.request.headers.get("repeatability-request-id")
    if request_id and (call.user, request_id) in emu.store.create_replays:
        thread_id, replayed = emu.store.create_replays[(call.user, request_id)]
        return _created(call, emu.store.threads[thread_id], replayed)
    body = call.json_object()
    topic = body.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        raise chat_bad_request("Topic is required.")
    requested = body.get("participants") or []
    if not isinstance(requested, list):
        raise chat_bad_request("Participants must be a list.")
    if len(requested) > MAX_PER_CALL:
        raise chat_bad_request(f"Too many participants: at most {MAX_PER_CALL} can be added in one call.")
    emu.limiter.check("create_thread", user=call.user)
    now = emu.now()
    thread = Thread(id=emu.ids.thread(), topic=topic, created_at=now, created_by=call.user)
    thread.participants[call.user] = Participant(call.user, None, SHARE_ALL, now)
    invalid: list[dict[str, Any]] = []
    for raw in requested:
        user_id, display_name, share = parse_participant(raw)
        if user_id is None:
            raise chat_bad_request("Identifier format is invalid.")
        if user_id not in emu.store.users:
            invalid.append(invalid_entry(user_id))
            continue
        if user_id == call.user:
            creator = thread.participants[user_id]
            creator.display_name = display_name
            continue
        thread.participants[user_id] = Participant(user_id, display_name, share or now, now)
    if len(thread.participants) > MAX_PER_THREAD:
        raise chat_bad_request(f"A thread can have at most {MAX_PER_THREAD} participants.")
    thread.version = to_ms(now)
    emu.store.threads[thread.id] = thread
    initiator = {"initiatorCommunicationIdentifier": thread.properties()["createdByCommunicationIdentifier"]}
    participants = [p.to_json() for p in thread.participants.values()]
    append_message(thread, "participantAdded", None, {"participants": participants, **initiator}, now=now)
    append_message(thread, "topicUpdated", None, {"topic": topic, **initiator}, now=now)
    if request_id:
        emu.store.create_replays[(call.user, request_id)] = (thread.id, invalid)
    emu.events.thread_created(thread, call.user)
    return _created(call, thread, invalid)


def _created(call: Call, thread: Thread, invalid: list[dict[str, Any]]) -> Reply:
    result: dict[str, Any] = {"chatThread": thread.properties()}
    if invalid:
        result["invalidParticipants"] = invalid
    return Reply(201, result, {"Location": location(call, thread.id)})


def list_threads(emu: Emulator, call: Call) -> Reply:
    """GET /chat/threads: the caller's threads, most recently active first."""
    emu.limiter.check("get_threads", user=call.user)
    state = decode_state(call) or {}
    page = call.int_query("maxPageSize", DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)
    start = parse_time(state["start"]) if state.get("start") else time_query(call, "startTime")
    threads = [
        t
        for t in emu.store.threads.values()
        if t.deleted_at is None
        and call.user in t.participants
        and (start is None or (t.last_message_at or t.created_at) >= start)
    ]
    threads.sort(key=lambda t: (t.last_message_at or t.created_at, t.id), reverse=True)
    offset = int(state.get("offset", 0))
    chunk = threads[offset : offset + page]
    result: dict[str, Any] = {"value": [t.item() for t in chunk]}
    if offset + page < len(threads):
        next_state = {"offset": offset + page, "start": start.isoformat() if start else None}
        result["nextLink"] = next_link(call, "/chat/threads", next_state, page)
    return Reply(200, result)


def get(emu: Emulator, call: Call) -> Reply:
    """GET /chat/threads/{id} → ``ChatThreadProperties``."""
    emu.limiter.check("get_threads", user=call.user)
    return Reply(200, load_thread(emu, call).properties())


def update(emu: Emulator, call: Call) -> Reply:
    """PATCH /chat/threads/{id} (merge-patch ``{"topic"}``) → 204 and a ``topicUpdated`` message."""
    thread = load_thread(emu, call)
    assert call.caller is not None
    if not call.caller.can_manage_threads():
        raise forbidden()
    body = call.json_object(required=False)
    emu.limiter.check("update_thread", thread=thread.id)
    topic = body.get("topic")
    if topic is None:
        return Reply(204)
    if not isinstance(topic, str) or not topic.strip():
        raise chat_bad_request("Topic must be a non-empty string.")
    now = emu.now()
    thread.topic = topic
    thread.version = max(to_ms(now), thread.version + 1)
    initiator = participant_of(thread, call).to_json()["communicationIdentifier"]
    append_message(
        thread, "topicUpdated", None, {"topic": topic, "initiatorCommunicationIdentifier": initiator}, now=now
    )
    emu.events.thread_updated(thread, call.user, now)
    return Reply(204)


def delete(emu: Emulator, call: Call) -> Reply:
    """DELETE /chat/threads/{id} → 204; the thread is gone for everyone."""
    assert call.caller is not None
    if not call.caller.can_manage_threads():
        raise forbidden()
    thread = load_thread(emu, call)
    emu.limiter.check("delete_thread", user=call.user)
    now = emu.now()
    thread.deleted_at = now
    thread.version = max(to_ms(now), thread.version + 1)
    emu.events.thread_deleted(thread, call.user, now, list(thread.participants))
    return Reply(204)

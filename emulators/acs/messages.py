"""Chat messages: send, get, list (newest first), update (merge-patch), delete. Sender-only edits."""

from __future__ import annotations

from typing import Any

from .call import Call, Reply
from .chat_common import (
    MAX_MESSAGE_BYTES,
    append_message,
    decode_state,
    load_thread,
    location,
    next_link,
    participant_of,
    thread_path,
    time_query,
    visible,
)
from .emulator import Emulator
from .errors import chat_bad_request, chat_not_found, forbidden
from .formats import parse_time, to_ms
from .state import Message, Thread

DEFAULT_PAGE = 100
MAX_PAGE = 200
TYPES = ("text", "html")


def _metadata(raw: Any) -> dict[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise chat_bad_request("Metadata must be a map of strings.")
    return {str(k): v for k, v in raw.items()}


def _check_size(content: str, metadata: dict[str, str] | None, display_name: str | None = None) -> None:
    size = len(content.encode("utf-8")) + len((display_name or "").encode("utf-8"))
    size += sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in (metadata or {}).items())
    if size > MAX_MESSAGE_BYTES:
        raise chat_bad_request("Message size exceeded.")


def _message(thread: Thread, call: Call) -> Message:
    message = thread.by_id.get(call.params["message"])
    if message is None or not visible(participant_of(thread, call), message):
        raise chat_not_found()
    return message


def send(emu: Emulator, call: Call) -> Reply:
    """POST .../messages → 201 ``{"id"}`` with ``Location``; the sender is the token's user."""
    thread = load_thread(emu, call)
    body = call.json_object()
    content = body.get("content")
    if not isinstance(content, str):
        raise chat_bad_request("Content is required.")
    kind = str(body.get("type") or "text").lower()
    if kind not in TYPES:
        raise chat_bad_request(f"Message type '{body.get('type')}' is not supported.")
    display = body.get("senderDisplayName")
    display = display if isinstance(display, str) else None
    metadata = _metadata(body.get("metadata"))
    _check_size(content, metadata, display)
    emu.limiter.check("message_write", thread=thread.id)
    message = append_message(
        thread, kind, call.user, {"message": content}, now=emu.now(), display_name=display, metadata=metadata
    )
    emu.events.message("Received", thread, message, list(thread.participants))
    return Reply(201, {"id": message.id}, {"Location": location(call, thread.id, f"/messages/{message.id}")})


def get(emu: Emulator, call: Call) -> Reply:
    """GET .../messages/{mid} → ``ChatMessage`` (404 before the caller's ``shareHistoryTime``)."""
    thread = load_thread(emu, call)
    emu.limiter.check("get_message", user=call.user, thread=thread.id)
    return Reply(200, _message(thread, call).to_json())


def list_messages(emu: Emulator, call: Call) -> Reply:
    """GET .../messages?maxPageSize&startTime: newest first, only what the caller may see."""
    thread = load_thread(emu, call)
    emu.limiter.check("list_messages", user=call.user, thread=thread.id)
    state = decode_state(call) or {}
    page = call.int_query("maxPageSize", DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)
    start = parse_time(state["start"]) if state.get("start") else time_query(call, "startTime")
    before = int(state.get("before", thread.next_sequence))
    me = participant_of(thread, call)
    chosen: list[Message] = []
    more = False
    for message in reversed(thread.messages):
        if message.sequence_id >= before or not visible(me, message):
            continue
        if start is not None and message.updated_at() < start:
            continue
        if len(chosen) == page:
            more = True
            break
        chosen.append(message)
    result: dict[str, Any] = {"value": [m.to_json() for m in chosen]}
    if more:
        next_state = {"before": chosen[-1].sequence_id, "start": start.isoformat() if start else None}
        result["nextLink"] = next_link(call, thread_path(thread.id, "/messages"), next_state, page)
    return Reply(200, result)


def _own_message(emu: Emulator, call: Call) -> tuple[Thread, Message]:
    thread = load_thread(emu, call)
    message = _message(thread, call)
    if message.is_system or message.sender_id != call.user:
        raise forbidden()
    return thread, message


def update(emu: Emulator, call: Call) -> Reply:
    """PATCH .../messages/{mid} (merge-patch content/metadata) → 204; bumps version, sets editedOn."""
    thread, message = _own_message(emu, call)
    if message.deleted_at is not None:
        raise chat_not_found()
    body = call.json_object(required=False)
    content = body.get("content", message.content.get("message"))
    if not isinstance(content, str):
        raise chat_bad_request("Content must be a string.")
    metadata = dict(message.metadata or {})
    if "metadata" in body:
        patch = body["metadata"]
        if patch is None:
            metadata = {}
        elif isinstance(patch, dict) and all(v is None or isinstance(v, str) for v in patch.values()):
            for key, value in patch.items():
                if value is None:
                    metadata.pop(key, None)
                else:
                    metadata[key] = value
        else:
            raise chat_bad_request("Metadata must be a map of strings.")
    _check_size(content, metadata, message.sender_display_name)
    emu.limiter.check("message_write", thread=thread.id)
    now = emu.now()
    message.content = {**message.content, "message": content}
    message.metadata = metadata or None
    message.edited_at = now
    message.version = max(to_ms(now), message.version + 1)
    emu.events.message("Edited", thread, message, list(thread.participants))
    return Reply(204)


def delete(emu: Emulator, call: Call) -> Reply:
    """DELETE .../messages/{mid} → 204; sets deletedOn (a repeat is a no-op)."""
    thread, message = _own_message(emu, call)
    emu.limiter.check("message_write", thread=thread.id)
    if message.deleted_at is None:
        now = emu.now()
        message.deleted_at = now
        message.version = max(to_ms(now), message.version + 1)
        emu.events.message("Deleted", thread, message, list(thread.participants))
    return Reply(204)

"""Shared chat rules: bearer-token callers, thread access, message appending, paging links."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .call import Call, Caller
from .emulator import Emulator
from .errors import chat_bad_request, chat_not_found, forbidden, unauthorized
from .formats import parse_time, to_ms, utc_from_ms
from .state import Message, Participant, Thread
from .tokens import CHAT_SCOPES, TokenError

MAX_MESSAGE_BYTES = 28 * 1024


def authenticate(emu: Emulator, request: web.Request) -> Caller:
    """The caller of a chat request. Expired, forged, revoked, deleted-user or non-chat tokens get 401."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise unauthorized()
    try:
        claims = emu.minter.verify(header[len("Bearer ") :].strip(), time.time())
    except TokenError:
        raise unauthorized() from None
    user = emu.store.users.get(claims.user_id)
    if user is None:
        raise unauthorized()
    issued = emu.store.token_issue_times.get(claims.signature, float(claims.issued_at))
    if issued <= user.revoked_before:
        raise unauthorized()
    if not any(scope in CHAT_SCOPES for scope in claims.scopes):
        raise unauthorized()
    return Caller(claims.user_id, claims.scopes)


def load_thread(emu: Emulator, call: Call, *, member: bool = True) -> Thread:
    """The path's thread: 404 when unknown or deleted, 403 when the caller is not a participant."""
    thread = emu.store.threads.get(call.params["thread"])
    if thread is None or thread.deleted_at is not None:
        raise chat_not_found()
    if member and call.user not in thread.participants:
        raise forbidden()
    return thread


def participant_of(thread: Thread, call: Call) -> Participant:
    return thread.participants[call.user]


def visible(participant: Participant, message: Message) -> bool:
    """A participant sees messages from its ``shareHistoryTime`` on."""
    return message.created_at >= participant.share_history_time


def append_message(
    thread: Thread,
    kind: str,
    sender: str | None,
    content: dict[str, Any],
    *,
    now: datetime,
    display_name: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Message:
    """Add a message: id = epoch ms (unique in the thread), version = id, next sequence id."""
    ms = max(to_ms(now), thread.last_message_ms + 1)
    thread.last_message_ms = ms
    message = Message(
        id=str(ms),
        type=kind,
        sequence_id=thread.next_sequence,
        version=ms,
        created_at=utc_from_ms(ms),
        sender_id=sender,
        sender_display_name=display_name,
        content=content,
        metadata=metadata,
    )
    thread.next_sequence += 1
    thread.messages.append(message)
    thread.by_id[message.id] = message
    thread.last_message_at = message.created_at
    return message


def time_query(call: Call, name: str) -> datetime | None:
    raw = call.query(name)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise chat_bad_request(f"{name} is not a valid date-time.") from None


def encode_state(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_state(call: Call) -> dict[str, Any] | None:
    raw = call.query("syncState")
    if not raw:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        raise chat_bad_request("syncState is not valid.") from None
    if not isinstance(value, dict):
        raise chat_bad_request("syncState is not valid.")
    return value


def next_link(call: Call, path: str, state: dict[str, Any], page_size: int) -> str:
    """An absolute link built from the Host actually served, with an opaque ``syncState``."""
    version = call.query("api-version") or "2024-03-07"
    return (
        f"{call.base_url}{quote(path, safe='/:@')}?syncState={encode_state(state)}"
        f"&maxPageSize={page_size}&api-version={quote(version)}"
    )


def thread_path(thread_id: str, suffix: str = "") -> str:
    return f"/chat/threads/{thread_id}{suffix}"


def location(call: Call, thread_id: str, suffix: str = "") -> str:
    """``Location`` as the service writes it: ``:`` encoded, ``@`` kept."""
    return f"{call.base_url}/chat/threads/{quote(thread_id, safe='@')}{suffix}"

"""Read receipts and typing notifications."""

from __future__ import annotations

from typing import Any

from .call import Call, Reply
from .chat_common import decode_state, load_thread, next_link, participant_of, thread_path, visible
from .emulator import Emulator
from .errors import chat_bad_request, chat_not_found
from .state import ReadReceipt

DEFAULT_PAGE = 100
MAX_PAGE = 200


def send(emu: Emulator, call: Call) -> Reply:
    """POST .../readReceipts ``{"chatMessageId"}`` → 200, empty body; keeps each user's latest."""
    thread = load_thread(emu, call)
    body = call.json_object()
    message_id = body.get("chatMessageId")
    if not isinstance(message_id, str):
        raise chat_bad_request("chatMessageId is required.")
    message = thread.by_id.get(message_id)
    if message is None or not visible(participant_of(thread, call), message):
        raise chat_not_found()
    emu.limiter.check("send_read_receipt", user=call.user, thread=thread.id)
    current = thread.receipts.get(call.user)
    if current is None or thread.by_id[current.message_id].sequence_id <= message.sequence_id:
        thread.receipts[call.user] = ReadReceipt(call.user, message_id, emu.now())
    return Reply(200)


def list_receipts(emu: Emulator, call: Call) -> Reply:
    """GET .../readReceipts?maxPageSize&skip: the latest receipt of each current participant."""
    thread = load_thread(emu, call)
    emu.limiter.check("list_read_receipts", user=call.user, thread=thread.id)
    state = decode_state(call) or {}
    page = call.int_query("maxPageSize", DEFAULT_PAGE, minimum=1, maximum=MAX_PAGE)
    skip = int(state.get("skip", call.int_query("skip", 0)))
    receipts = [r for user, r in thread.receipts.items() if user in thread.participants]
    result: dict[str, Any] = {"value": [r.to_json() for r in receipts[skip : skip + page]]}
    if skip + page < len(receipts):
        result["nextLink"] = next_link(call, thread_path(thread.id, "/readReceipts"), {"skip": skip + page}, page)
    return Reply(200, result)


def typing(emu: Emulator, call: Call) -> Reply:
    """POST .../typing ``{"senderDisplayName"?}`` → 200, empty body."""
    thread = load_thread(emu, call)
    call.json_object(required=False)
    emu.limiter.check("typing", user=call.user, thread=thread.id)
    return Reply(200)

"""Jobs that reach Twilio only through the package's own helpers."""

import worker.twilio_side.clients as clients
from worker.twilio_side import make_client

from . import twilio_side
from .twilio_side.clients import SHARED


def export(conversation_sid: str) -> int:
    client = make_client()
    messages = client.conversations.v1.conversations(conversation_sid).messages.list()  # expect: REST-CONV-READ
    return len(messages)


def close(conversation_sid: str) -> None:
    SHARED.conversations.v1.conversations(conversation_sid).update(state="closed")  # expect: REST-CONV-THREAD-WRITE
    twilio_side.make_client().video.v1.rooms.create(unique_name="x")  # expect: REST-VIDEO-ROOMS
    clients.SHARED.conversations.v1.conversations(conversation_sid).participants.list()  # expect: REST-CONV-READ

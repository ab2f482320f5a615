"""Where a conversation's archive lives: blob names and the route that serves them (import-light: no SDKs)."""

from __future__ import annotations

PREFIX = "archive"
FORMATS = {"jsonl": "transcript.jsonl", "html": "transcript.html"}
FILES = {name: fmt for fmt, name in FORMATS.items()}
ROUTE = "archives/{conversation}/{file}"
CONVERSATION_METADATA = "twilioconversationsid"  # as on media blobs: the conversation a blob belongs to


def archive_blob_name(conversation_sid: str, fmt: str) -> str:
    """``archive/<conversation SID>/transcript.<fmt>``; ``fmt`` is ``jsonl`` or ``html``."""
    return f"{PREFIX}/{conversation_sid}/{FORMATS[fmt]}"


def archive_path(conversation_sid: str, fmt: str = "html") -> str:
    """``/api/archives/<conversation SID>/transcript.html`` (or ``transcript.jsonl``)."""
    return "/api/" + ROUTE.format(conversation=conversation_sid, file=FORMATS[fmt])

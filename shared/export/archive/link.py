"""The one message that stands first in a thread with an archive: what it says, and the metadata clients read.

Metadata keys (all strings, as ACS metadata is):

- ``migratedFrom`` = ``twilio``, ``twilioConversationSid``: as on every migrated message
- ``twilioArchive`` = ``true``: render this message as the archive link
- ``twilioArchiveMessages``: how many messages the archive holds
- ``twilioArchiveFirstIndex`` / ``twilioArchiveLastIndex``: the Twilio indexes it spans
- ``twilioArchiveFrom`` / ``twilioArchiveTo``: the first and last archived message's time (ISO 8601)
- ``twilioArchiveUrl``: the HTML transcript; ``twilioArchiveJsonUrl``: the JSON-lines transcript
"""

from __future__ import annotations

from typing import Any

from ...archive_paths import archive_path
from .progress import ArchiveProgress


class ArchiveLinks:
    """Archive URLs on the app's public base URL (a path alone while none is configured)."""

    def __init__(self, public_base_url: str | None) -> None:
        self._base = (public_base_url or "").rstrip("/")

    def url(self, conversation_sid: str, fmt: str = "html") -> str:
        return self._base + archive_path(conversation_sid, fmt)


def link_message(conversation_sid: str, progress: ArchiveProgress, links: ArchiveLinks) -> tuple[str, dict[str, str]]:
    """The link message's content and metadata."""
    html_url, json_url = links.url(conversation_sid), links.url(conversation_sid, "jsonl")
    span = (f" from {progress.first_at[:10]} to {progress.last_at[:10]}"
            if progress.first_at and progress.last_at else "")
    noun = "message is" if progress.count == 1 else "messages are"
    content = (f"{progress.count} earlier {noun} archived{span}. "
               f"Read them here: {html_url} (machine-readable: {json_url})")
    metadata = {
        "migratedFrom": "twilio",
        "twilioConversationSid": conversation_sid,
        "twilioArchive": "true",
        "twilioArchiveMessages": str(progress.count),
        "twilioArchiveFirstIndex": str(max(progress.first_index, 0)),
        "twilioArchiveLastIndex": str(progress.through),
        "twilioArchiveFrom": progress.first_at,
        "twilioArchiveTo": progress.last_at,
        "twilioArchiveUrl": html_url,
        "twilioArchiveJsonUrl": json_url,
    }
    return content, metadata


def is_link(message: Any, conversation_sid: str) -> bool:
    """Whether an ACS chat message (SDK object) is this conversation's archive link, not deleted."""
    metadata = getattr(message, "metadata", None) or {}
    return (metadata.get("twilioArchive") == "true" and metadata.get("twilioConversationSid") == conversation_sid
            and getattr(message, "deleted_on", None) is None)

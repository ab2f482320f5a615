"""What one Twilio message becomes in ACS: content, metadata, parts, and the hash that spots edits.

ACS cannot back-date a message, so the original author, time and SIDs travel in
``metadata``. A message (content + display name + metadata) may not exceed 28 KB, so long
bodies are split into ordered parts, each marked ``twilioPart``/``twilioPartCount``.
Media copies are referenced in ``fileSharingMetadata`` (the ACS UI Library's format) and
listed in plain text at the end of the content for clients that ignore metadata.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass

from .source import SourceConversation, SourceMessage, iso

MAX_MESSAGE_BYTES = 28 * 1024
SAFETY_BYTES = 512  # JSON escaping and our own part markers
MAX_ATTRIBUTES_BYTES = 4096
EMPTY_BODY = "(empty message)"
IMAGE_TYPES = ("image/",)


@dataclass(frozen=True)
class CopiedMedia:
    """A media item once it is in Blob Storage."""

    sid: str
    name: str
    content_type: str
    url: str
    size: int


@dataclass(frozen=True)
class OutgoingPart:
    """One ACS send: content and metadata, with its part number (1-based)."""

    content: str
    metadata: dict[str, str]
    part: int
    parts: int


def content_hash(message: SourceMessage) -> str:
    """Changes whenever the body, attributes or media of the Twilio message change."""
    digest = hashlib.sha256()
    for piece in (message.body, message.attributes, ",".join(m.sid for m in message.media)):
        digest.update(piece.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _truncate(text: str, limit: int) -> str:
    data = _utf8(text)
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def file_sharing_metadata(media: list[CopiedMedia]) -> str:
    """``fileSharingMetadata`` as the ACS UI Library reads it: ``[{id, name, extension, url, attachmentType}]``."""
    items = []
    for item in media:
        extension = posixpath.splitext(item.name)[1].lstrip(".").lower()
        items.append({
            "id": item.sid,
            "name": item.name,
            "extension": extension,
            "url": item.url,
            "attachmentType": "image" if item.content_type.startswith(IMAGE_TYPES) else "file",
        })
    return json.dumps(items, separators=(",", ":"))


def base_metadata(conv: SourceConversation, message: SourceMessage, author: str) -> dict[str, str]:
    metadata = {
        "migratedFrom": "twilio",
        "twilioConversationSid": conv.sid,
        "twilioMessageSid": message.sid,
        "twilioIndex": str(message.index),
        "originalAuthor": author,
        "originalDateCreated": iso(message.date_created),
    }
    if conv.source == "chat":
        metadata["twilioSource"] = "chat"
    attributes = message.attributes or "{}"
    if attributes.strip() not in ("", "{}"):
        truncated = _truncate(attributes, MAX_ATTRIBUTES_BYTES)
        metadata["twilioAttributes"] = truncated
        if truncated != attributes:
            metadata["twilioAttributesTruncated"] = "true"
    return metadata


def _size(metadata: dict[str, str], display_name: str | None) -> int:
    return sum(len(_utf8(k)) + len(_utf8(v)) for k, v in metadata.items()) + len(_utf8(display_name or ""))


def _split(text: str, budget: int) -> list[str]:
    """``text`` in pieces of at most ``budget`` UTF-8 bytes, never cutting a character."""
    data = _utf8(text)
    if len(data) <= budget:
        return [text]
    pieces = []
    start = 0
    while start < len(data):
        end = min(start + budget, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # inside a multi-byte character
            end -= 1
        pieces.append(data[start:end].decode("utf-8", "surrogatepass"))
        start = end
    return pieces


def media_lines(media: list[CopiedMedia]) -> str:
    return "\n".join(f"[Attachment: {m.name} ({m.content_type}, {m.size} bytes) {m.url}]" for m in media)


def build_parts(
    conv: SourceConversation,
    message: SourceMessage,
    *,
    author: str,
    display_name: str | None,
    media: list[CopiedMedia],
) -> list[OutgoingPart]:
    """The ACS sends for one Twilio message, in order (one unless the body is over 28 KB)."""
    metadata = base_metadata(conv, message, author)
    if media:
        metadata["fileSharingMetadata"] = file_sharing_metadata(media)
    body = message.body
    if not body and not media:
        metadata["twilioEmptyBody"] = "true"
        body = EMPTY_BODY
    text = body + (("\n" if body else "") + media_lines(media) if media else "")
    marker_room = len(_utf8("twilioPart")) + len(_utf8("twilioPartCount")) + 12
    budget = MAX_MESSAGE_BYTES - SAFETY_BYTES - _size(metadata, display_name) - marker_room
    if budget < 1024:  # attributes and media took the room: drop the long metadata first
        metadata.pop("twilioAttributes", None)
        metadata["twilioAttributesTruncated"] = "true"
        budget = MAX_MESSAGE_BYTES - SAFETY_BYTES - _size(metadata, display_name) - marker_room
    pieces = _split(text, budget)
    if len(pieces) == 1:
        return [OutgoingPart(pieces[0], metadata, 1, 1)]
    return [
        OutgoingPart(piece, {**metadata, "twilioPart": str(i), "twilioPartCount": str(len(pieces))}, i, len(pieces))
        for i, piece in enumerate(pieces, start=1)
    ]


def expected_text(message: SourceMessage, media: list[CopiedMedia]) -> str:
    """The whole content the ACS parts of ``message`` join back to (used by verify)."""
    body = message.body
    if not body and not media:
        body = EMPTY_BODY
    return body + (("\n" if body else "") + media_lines(media) if media else "")

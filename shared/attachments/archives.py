"""Archived history (docs/archive.md) behind the same gate as migrated attachments.

A conversation's transcript blobs (``archive/<SID>/transcript.html`` and ``.jsonl``) are served
by ``ParticipantBlobAccess`` to current participants of the conversation's ACS thread, as a
short-lived read-only link or the bytes; everyone else gets the same 404, whether or not the
conversation, its thread or its archive exists. The blob's ``twilioconversationsid`` metadata
must name the conversation, so no other blob can be reached through this route.
"""

from __future__ import annotations

from collections.abc import Collection

from ..archive_paths import CONVERSATION_METADATA, FILES, FORMATS, archive_blob_name
from ..errors import BadRequestError
from ..state import ConversationStore
from .access import BlobContent, BlobLink, BlobNotFoundError, ParticipantBlobAccess, UnsignedLink
from .links import check_conversation_sid

NOT_FOUND = "No such archive, or you are not a participant of its conversation."


def check_archive_file(value: object) -> str:
    """``transcript.html`` or ``transcript.jsonl``; 400 naming the choices otherwise."""
    if not isinstance(value, str) or value not in FILES:
        raise BadRequestError(f"The archive file must be one of {', '.join(sorted(FILES))}.", target="file")
    return value


class ArchiveService:
    """Opens a conversation's archive transcript for an identity."""

    def __init__(self, *, conversations: ConversationStore, access: ParticipantBlobAccess, container: str) -> None:
        self._conversations = conversations
        self._access = access
        self._container = container

    def open_archive(self, identity: str, conversation_sid: str, file: str, *, stream: bool = False,
                     kinds: Collection[str] | None = None) -> BlobLink | UnsignedLink | BlobContent:
        """A link or the bytes for a current participant; the same ``NotFoundError`` for anyone else."""
        conversation_sid = check_conversation_sid(conversation_sid)
        fmt = FILES[check_archive_file(file)]
        record = self._conversations.find_conversation(conversation_sid)
        if record is None or record.thread_id is None:
            raise BlobNotFoundError(NOT_FOUND)
        return self._access.open_blob(
            identity, thread_id=record.thread_id, container=self._container,
            blob_name=archive_blob_name(conversation_sid, fmt), filename=f"{conversation_sid}-{FORMATS[fmt]}",
            expected_metadata={CONVERSATION_METADATA: conversation_sid}, stream=stream, not_found=NOT_FOUND,
            inline=fmt == "html", kinds=kinds,
        )

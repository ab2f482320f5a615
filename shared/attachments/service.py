"""Migrated Twilio media: which thread holds a media item, then ``ParticipantBlobAccess``.

The export stores each media item as the blob named by its media SID, with metadata naming
the conversation it came from (``twilioconversationsid``) and its file name (percent-encoded,
as blob metadata is ASCII). The route's conversation SID must match that metadata, so a
participant of one conversation cannot read another's media by pairing ids.
"""

from __future__ import annotations

from collections.abc import Collection

from ..state import ConversationStore
from .access import BlobContent, BlobLink, BlobNotFoundError, ParticipantBlobAccess, UnsignedLink, filename_metadata
from .links import check_conversation_sid, check_media_sid

CONVERSATION_METADATA = "twilioconversationsid"
NOT_FOUND = "No such attachment, or you are not a participant of its conversation."


class AttachmentService:
    """Opens a migrated attachment for an identity, by conversation SID and media SID."""

    def __init__(self, *, conversations: ConversationStore, access: ParticipantBlobAccess, container: str) -> None:
        self._conversations = conversations
        self._access = access
        self._container = container

    def open_attachment(self, identity: str, conversation_sid: str, media_sid: str, *, stream: bool = False,
                        kinds: Collection[str] | None = None) -> BlobLink | UnsignedLink | BlobContent:
        """A link or the bytes for a current participant; the same ``NotFoundError`` for anyone else."""
        conversation_sid = check_conversation_sid(conversation_sid)
        media_sid = check_media_sid(media_sid)
        record = self._conversations.find_conversation(conversation_sid)
        if record is None or record.thread_id is None:
            raise BlobNotFoundError(NOT_FOUND)
        return self._access.open_blob(
            identity, thread_id=record.thread_id, container=self._container, blob_name=media_sid,
            expected_metadata={CONVERSATION_METADATA: conversation_sid},
            stream=stream, not_found=NOT_FOUND, kinds=kinds,
        )


def media_metadata(conversation_sid: str, filename: str) -> dict[str, str]:
    """The blob metadata the export writes with each media copy."""
    return {CONVERSATION_METADATA: conversation_sid, **filename_metadata(filename)}

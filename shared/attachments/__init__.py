"""Migrated attachments (and any other blob a thread's members may read) behind the app's own route.

``ParticipantBlobAccess`` is the reusable part: "is this identity a current participant of
this ACS thread? then give it a short-lived read-only link to this one blob, or its bytes".
``AttachmentService`` adds what is specific to Twilio media: which thread holds a media item;
``ArchiveService`` the same for a conversation's archived history (docs/archive.md).
"""

from __future__ import annotations

from .access import BlobContent, BlobLink, ParticipantBlobAccess, UnsignedLink
from .archives import ArchiveService
from .links import AttachmentLinks, attachment_path, check_conversation_sid, check_media_sid
from .membership import ThreadMembership
from .service import AttachmentService
from .signing import BlobSigner

__all__ = [
    "ArchiveService",
    "AttachmentLinks",
    "AttachmentService",
    "BlobContent",
    "BlobLink",
    "BlobSigner",
    "ParticipantBlobAccess",
    "ThreadMembership",
    "UnsignedLink",
    "attachment_path",
    "check_conversation_sid",
    "check_media_sid",
]

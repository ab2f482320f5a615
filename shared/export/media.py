"""Twilio media into Blob Storage: streamed chunk by chunk, one blob per media SID, content type kept."""

from __future__ import annotations

import mimetypes

from ..attachments.links import AttachmentLinks
from ..attachments.service import media_metadata
from ..state.media import MediaStore
from .content import CopiedMedia
from .retry import Retrier
from .source import SourceConversation, SourceMedia
from .twilio_client import MediaExpiredError, MediaReader

_LINK_ATTEMPTS = 3


def media_file_name(media: SourceMedia) -> str:
    """Twilio's file name, else the SID with the extension of its type (the UI Library picks icons by it)."""
    return media.filename or media.sid + (mimetypes.guess_extension(media.content_type) or "")


class MediaCopier:
    """Copies a media item once; a later run finds the blob and reuses it."""

    def __init__(self, *, reader: MediaReader, store: MediaStore, retrier: Retrier, links: AttachmentLinks) -> None:
        self._reader = reader
        self._store = store
        self._retrier = retrier
        self._links = links

    def copy(self, conv: SourceConversation, media: SourceMedia) -> CopiedMedia:
        """The media in Blob Storage (copied once), linked through the app's attachment route."""
        blob_name = media.sid
        name = media_file_name(media)
        link = self._links.attachment_url(conv.sid, media.sid)  # refuses before copying when unconfigured
        wanted = media_metadata(conv.sid, name)
        found = self._retrier.call(lambda: self._store.get_media_metadata(blob_name),
                                   what=f"checking media {media.sid}")
        if found is not None:
            if any(found.get(k) != v for k, v in wanted.items()):  # copied by an older version, without them
                self._retrier.call(lambda: self._store.set_media_metadata(blob_name, {**found, **wanted}),
                                   what=f"labelling media {media.sid}")
            return CopiedMedia(media.sid, name, media.content_type, link, media.size)
        for _ in range(_LINK_ATTEMPTS):
            info = self._retrier.call(lambda: self._reader.describe(conv.service_sid, media.sid),
                                      what=f"describing media {media.sid} of {conv.sid}", service="twilio")
            direct = str((info.get("links") or {}).get("content_direct_temporary") or "")
            content_type = str(info.get("content_type") or media.content_type)
            try:
                self._retrier.call(
                    lambda d=direct, t=content_type: self._store.upload_media(  # type: ignore[misc]
                        blob_name, self._reader.chunks(d), content_type=t, metadata=wanted),
                    what=f"copying media {media.sid} of {conv.sid}", service="twilio",
                )
            except MediaExpiredError:
                continue
            return CopiedMedia(media.sid, name, content_type, link, int(info.get("size") or media.size))
        raise MediaExpiredError(f"the download link of media {media.sid} of {conv.sid} kept expiring")

"""Twilio media into Blob Storage: streamed chunk by chunk, one blob per media SID, content type kept."""

from __future__ import annotations

import mimetypes

from ..state.media import MediaStore
from .content import CopiedMedia
from .retry import Retrier
from .source import SourceConversation, SourceMedia
from .twilio_client import MediaExpiredError, MediaReader

_LINK_ATTEMPTS = 3


class MediaCopier:
    """Copies a media item once; a later run finds the blob and reuses it."""

    def __init__(self, *, reader: MediaReader, store: MediaStore, retrier: Retrier) -> None:
        self._reader = reader
        self._store = store
        self._retrier = retrier

    def copy(self, conv: SourceConversation, media: SourceMedia) -> CopiedMedia:
        blob_name = media.sid
        name = media.filename or blob_name + (mimetypes.guess_extension(media.content_type) or "")
        blob = self._store.container.get_blob_client(blob_name)
        if self._retrier.call(lambda: self._store.media_exists(blob_name), what=f"checking media {media.sid}"):
            return CopiedMedia(media.sid, name, media.content_type, str(blob.url), media.size)
        for _ in range(_LINK_ATTEMPTS):
            info = self._retrier.call(lambda: self._reader.describe(conv.service_sid, media.sid),
                                      what=f"describing media {media.sid} of {conv.sid}", service="twilio")
            direct = str((info.get("links") or {}).get("content_direct_temporary") or "")
            content_type = str(info.get("content_type") or media.content_type)
            try:
                url = self._retrier.call(
                    lambda d=direct, t=content_type: self._store.upload_media(  # type: ignore[misc]
                        blob_name, self._reader.chunks(d), content_type=t),
                    what=f"copying media {media.sid} of {conv.sid}", service="twilio",
                )
            except MediaExpiredError:
                continue
            return CopiedMedia(media.sid, name, content_type, url, int(info.get("size") or media.size))
        raise MediaExpiredError(f"the download link of media {media.sid} of {conv.sid} kept expiring")

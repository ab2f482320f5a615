"""The reusable gate: a current participant of an ACS thread gets one blob, everyone else the same 404.

``ParticipantBlobAccess.open_blob`` checks the blob (it exists, and carries the metadata the
caller expects, so an id from another thread cannot be swapped in), then asks ACS whether
the identity is a participant of the thread now, then answers with a short-lived read-only
link (``BlobLink``), or the bytes (``BlobContent``) when the app cannot sign. Every refusal
is the same ``NotFoundError``: whether the blob exists is not revealed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient

from ..errors import NotFoundError, PayloadTooLargeError
from .membership import ThreadMembership
from .signing import BlobSigner

MAX_STREAM_BYTES = 64 * 1024 * 1024  # the Functions host buffers a response: bigger blobs need a signed link
# Shown inline in a browser only when the type cannot run script in the app's origin; everything else downloads.
INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "audio/", "video/",
                "application/pdf", "text/plain")


FILENAME_METADATA = "filename"  # the name a download gets, percent-encoded (blob metadata is ASCII)


def filename_metadata(filename: str) -> dict[str, str]:
    """Blob metadata that gives downloads of the blob ``filename``."""
    return {FILENAME_METADATA: quote(filename, safe="")}


def filename_of(metadata: Mapping[str, str] | None, default: str) -> str:
    value = (metadata or {}).get(FILENAME_METADATA)
    return unquote(value) if value else default


class BlobNotFoundError(NotFoundError):
    code = "NotFound"


@dataclass(frozen=True)
class BlobLink:
    """A read-only SAS URL to the blob, valid until ``expires_on``."""

    url: str
    expires_on: datetime


@dataclass(frozen=True)
class UnsignedLink:
    """The app cannot sign links: the bytes come through the app itself."""

    content_type: str
    size: int


@dataclass(frozen=True)
class BlobContent:
    """The blob's bytes, with what a browser needs to show or save them."""

    data: bytes
    content_type: str
    content_disposition: str


def content_disposition(filename: str, content_type: str, *, inline: bool = False) -> str:
    """``inline`` for types that cannot script (or when the caller vouches for the content, ``inline=True``),
    else ``attachment``; the name in ASCII and in UTF-8 (RFC 6266)."""
    kind = "inline" if inline or content_type.lower().startswith(INLINE_TYPES) else "attachment"
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename) or "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


class ParticipantBlobAccess:
    """Serves blobs of one storage account to current participants of the thread they belong to."""

    def __init__(
        self,
        *,
        blobs: BlobServiceClient,
        membership: ThreadMembership,
        signer: BlobSigner,
        link_lifetime: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._blobs = blobs
        self._membership = membership
        self._signer = signer
        self._lifetime = link_lifetime
        self._clock = clock

    def open_blob(
        self,
        identity: str,
        *,
        thread_id: str,
        container: str,
        blob_name: str,
        filename: str | None = None,
        expected_metadata: Mapping[str, str] | None = None,
        stream: bool = False,
        not_found: str = "No such attachment, or you are not a participant of its conversation.",
        kinds: Collection[str] | None = None,
        inline: bool = False,
    ) -> BlobLink | UnsignedLink | BlobContent:
        """A link (or, with ``stream``, the bytes) for a participant of ``thread_id``; ``NotFoundError`` else.

        ``filename`` defaults to the blob's ``filename`` metadata (``filename_metadata``), else its name.
        ``inline``: shown in the browser whatever its type (the archive's own script-free page).

        ``stream=False`` never reads the bytes: an unsignable deployment answers ``UnsignedLink``
        and the caller decides whether to ask again with ``stream=True``.
        """
        blob = self._blobs.get_blob_client(container, blob_name)
        try:
            properties = blob.get_blob_properties()
        except ResourceNotFoundError:
            properties = None
        belongs = properties is not None and all(
            (properties.metadata or {}).get(k) == v for k, v in (expected_metadata or {}).items()
        )
        if not self._membership.is_participant(identity, thread_id, kinds=kinds) or not belongs:
            raise BlobNotFoundError(not_found)
        assert properties is not None
        content_type = properties.content_settings.content_type or "application/octet-stream"
        disposition = content_disposition(filename or filename_of(properties.metadata, blob_name), content_type,
                                          inline=inline)
        if not stream:
            expires_on = self._clock() + self._lifetime
            url = self._signer.sign(container, blob_name, expires_on=expires_on, content_type=content_type,
                                    content_disposition=disposition)
            if url is not None:
                return BlobLink(url, expires_on)
            return UnsignedLink(content_type, int(properties.size))
        if int(properties.size) > MAX_STREAM_BYTES:
            raise PayloadTooLargeError(
                f"This attachment is over {MAX_STREAM_BYTES // (1024 * 1024)} MB and this deployment cannot sign "
                "links to it; grant the app's identity Storage Blob Delegator on the storage account."
            )
        data = bytes(blob.download_blob().readall())
        return BlobContent(data, content_type, disposition)

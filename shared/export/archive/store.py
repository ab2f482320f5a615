"""The archive's blobs: staged blocks made visible by one commit each, streamed back line by line."""

from __future__ import annotations

from collections.abc import Iterator

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from ...archive_paths import archive_blob_name
from ...state.media import MediaStore


def block_id(generation: int, number: int) -> str:
    """Block ids of one blob must all have one length; the generation keeps a rewrite's blocks apart."""
    return f"g{generation:06d}b{number:07d}"


class ArchiveStore:
    """Archive blobs live in the media container (one place for the attachment route to serve)."""

    def __init__(self, media: MediaStore) -> None:
        self._media = media

    @property
    def container(self) -> ContainerClient:
        return self._media.container

    def stage(self, conversation_sid: str, fmt: str, block: str, data: bytes) -> None:
        """Stage one block; invisible until ``commit``. Staging the same id again replaces it."""
        blob = self.container.get_blob_client(archive_blob_name(conversation_sid, fmt))
        blob.stage_block(block, data, length=len(data))

    def commit(self, conversation_sid: str, fmt: str, blocks: list[str], *, content_type: str,
               metadata: dict[str, str]) -> None:
        """Make the blob exactly ``blocks`` (staged or already committed), atomically."""
        blob = self.container.get_blob_client(archive_blob_name(conversation_sid, fmt))
        blob.commit_block_list(blocks, content_settings=ContentSettings(content_type=content_type),  # type: ignore[arg-type]
                               metadata=metadata)

    def metadata(self, conversation_sid: str, fmt: str) -> dict[str, str] | None:
        """The committed blob's metadata, None while nothing is committed."""
        blob = self.container.get_blob_client(archive_blob_name(conversation_sid, fmt))
        try:
            return dict(blob.get_blob_properties().metadata or {})
        except ResourceNotFoundError:
            return None

    def read(self, conversation_sid: str, fmt: str) -> bytes:
        blob = self.container.get_blob_client(archive_blob_name(conversation_sid, fmt))
        return bytes(blob.download_blob().readall())

    def lines(self, conversation_sid: str) -> Iterator[bytes]:
        """The committed JSON-lines transcript, streamed chunk by chunk and split into lines."""
        blob = self.container.get_blob_client(archive_blob_name(conversation_sid, "jsonl"))
        try:
            stream = blob.download_blob()
        except ResourceNotFoundError:
            return
        rest = b""
        for chunk in stream.chunks():
            rest += chunk
            *complete, rest = rest.split(b"\n")
            yield from complete
        if rest:
            yield rest

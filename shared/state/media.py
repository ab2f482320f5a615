"""The blob container holding copies of Twilio media, created on first use."""

from __future__ import annotations

from collections.abc import Iterable

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from .first_use import CreatedOnFirstUse


class MediaStore:
    """Streams media into the container, one blob per Twilio media SID."""

    def __init__(self, service: BlobServiceClient, container_name: str) -> None:
        self._service = service
        self._client = CreatedOnFirstUse(
            lambda: service.get_container_client(container_name), ContainerClient.create_container
        )

    @property
    def container(self) -> ContainerClient:
        """The container's client; the container is created, idempotently, the first time."""
        return self._client.get()

    def upload_media(
        self, blob_name: str, chunks: Iterable[bytes], *, content_type: str, length: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> str:
        """Stream ``chunks`` into ``blob_name`` (overwriting), keeping the content type; returns the blob URL."""
        blob = self.container.get_blob_client(blob_name)
        blob.upload_blob(
            chunks, length=length, overwrite=True, content_settings=ContentSettings(content_type=content_type),
            metadata=metadata,
        )
        return str(blob.url)

    def media_exists(self, blob_name: str) -> bool:
        return bool(self.container.get_blob_client(blob_name).exists())

    def get_media_metadata(self, blob_name: str) -> dict[str, str] | None:
        """The blob's metadata, or None when there is no such blob."""
        try:
            return dict(self.container.get_blob_client(blob_name).get_blob_properties().metadata or {})
        except ResourceNotFoundError:
            return None

    def set_media_metadata(self, blob_name: str, metadata: dict[str, str]) -> None:
        self.container.get_blob_client(blob_name).set_blob_metadata(metadata)

    def read_media(self, blob_name: str) -> bytes:
        return bytes(self.container.get_blob_client(blob_name).download_blob().readall())

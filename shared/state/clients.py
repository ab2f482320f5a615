"""Storage SDK clients built once from ``StorageSettings``: a connection string or a managed identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from ..http_session import SdkSession
from ..settings import StorageSettings

# Short network timeouts: a state call that hangs should fail and be retried, not stall a worker.
_TIMEOUTS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30}


def _transport() -> dict[str, Any]:
    """One transport for a service client: an ``SdkSession`` (shared/http_session.py) with the timeouts above."""
    return {"transport": RequestsTransport(session=SdkSession(), session_owner=True, **_TIMEOUTS)}


@dataclass(frozen=True)
class StorageClients:
    """The three storage service clients the stores, queues and media container use."""

    tables: TableServiceClient
    queues: QueueServiceClient
    blobs: BlobServiceClient

    @classmethod
    def from_settings(cls, storage: StorageSettings) -> StorageClients:
        if storage.connection_string is not None:
            conn = storage.connection_string.reveal()
            return cls(
                tables=TableServiceClient.from_connection_string(conn, **_transport()),
                queues=QueueServiceClient.from_connection_string(conn, **_transport()),
                blobs=BlobServiceClient.from_connection_string(conn, **_transport()),
            )
        from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

        credential: Any = (
            ManagedIdentityCredential(client_id=storage.managed_identity_client_id)
            if storage.managed_identity_client_id
            else DefaultAzureCredential()
        )
        assert storage.table_service_uri
        assert storage.queue_service_uri
        assert storage.blob_service_uri
        return cls(
            tables=TableServiceClient(storage.table_service_uri, credential=credential, **_transport()),
            queues=QueueServiceClient(storage.queue_service_uri, credential=credential, **_transport()),
            blobs=BlobServiceClient(storage.blob_service_uri, credential=credential, **_transport()),
        )

"""Storage SDK clients built once from ``StorageSettings``: a connection string or a managed identity."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient
from requests import Session
from requests.adapters import HTTPAdapter

from ..settings import StorageSettings

# Short network timeouts: a state call that hangs should fail and be retried, not stall a worker.
_TIMEOUTS: dict[str, Any] = {"connection_timeout": 10, "read_timeout": 30}
# Connections kept open per service. The SDK's default pool holds 10: with more threads than that (queue slices,
# HTTP requests, the exporter's writers), every extra request opened a new connection (and TLS handshake) and
# threw it away after one use.
POOL_SIZE = 64


def _options() -> dict[str, Any]:
    """Each client's keyword options: the timeouts and its own pooled transport."""
    session = Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return {"transport": RequestsTransport(session=session, session_owner=True, **_TIMEOUTS)}


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
                tables=TableServiceClient.from_connection_string(conn, **_options()),
                queues=QueueServiceClient.from_connection_string(conn, **_options()),
                blobs=BlobServiceClient.from_connection_string(conn, **_options()),
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
            tables=TableServiceClient(storage.table_service_uri, credential=credential, **_options()),
            queues=QueueServiceClient(storage.queue_service_uri, credential=credential, **_options()),
            blobs=BlobServiceClient(storage.blob_service_uri, credential=credential, **_options()),
        )

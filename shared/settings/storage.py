"""Where the state tables, work queues and media blobs live: a connection string or an identity."""

from __future__ import annotations

from dataclasses import dataclass

from .core import Reader, Secret, secret_setting, setting
from .parsers import EXPECT_URL, match, parse_connection_string, text, url

EXPECT_STORAGE = "a storage connection string, UseDevelopmentStorage=true, or AzureWebJobsStorage__accountName"


@dataclass(frozen=True)
class StorageSettings:
    """Where the state tables, work queues and media blobs live.

    Either a connection string (``AzureWebJobsStorage``), or identity-based access
    (``AzureWebJobsStorage__accountName`` or per-service URIs, with a managed identity).
    """

    connection_string: Secret | None = None
    table_service_uri: str | None = None
    queue_service_uri: str | None = None
    blob_service_uri: str | None = None
    managed_identity_client_id: str | None = None

    @property
    def uses_identity(self) -> bool:
        return self.connection_string is None


def _storage_connection_string(value: str) -> str | None:
    if value.replace(" ", "").lower() == "usedevelopmentstorage=true":
        return value
    try:
        pairs = parse_connection_string(value)
    except ValueError:
        return None
    has_account = "accountname" in pairs and ("accountkey" in pairs or "sharedaccesssignature" in pairs)
    has_endpoint = any(k in pairs for k in ("tableendpoint", "queueendpoint", "blobendpoint"))
    return value if has_account or has_endpoint else None


@dataclass(frozen=True)
class StorageEnvironment:
    """The storage settings as declared; ``load_storage`` decides which way the app signs in."""

    connection_string: Secret | None = secret_setting(
        "AzureWebJobsStorage", EXPECT_STORAGE, parse=_storage_connection_string)
    account_name: str | None = setting(
        "AzureWebJobsStorage__accountName", match(r"[a-z0-9]{3,24}\Z"), "3-24 lowercase letters and digits",
        default=None)
    table_service_uri: str | None = setting("AzureWebJobsStorage__tableServiceUri", url, EXPECT_URL, default=None)
    queue_service_uri: str | None = setting("AzureWebJobsStorage__queueServiceUri", url, EXPECT_URL, default=None)
    blob_service_uri: str | None = setting("AzureWebJobsStorage__blobServiceUri", url, EXPECT_URL, default=None)
    client_id: str | None = setting(
        "AzureWebJobsStorage__clientId", text, "a managed identity's client id", default=None)


def load_storage(reader: Reader) -> StorageSettings:
    """A connection string when one is set; else identity-based URIs from the account name or set one by one."""
    env = reader.load(StorageEnvironment)
    if reader.raw("AzureWebJobsStorage") is not None:
        return StorageSettings(connection_string=env.connection_string)
    account = reader.raw("AzureWebJobsStorage__accountName")
    uris = (env.table_service_uri, env.queue_service_uri, env.blob_service_uri)
    if account is None and not all(uris):
        reader.missing("AzureWebJobsStorage", EXPECT_STORAGE)
        return StorageSettings()
    return StorageSettings(
        table_service_uri=env.table_service_uri or f"https://{account}.table.core.windows.net",
        queue_service_uri=env.queue_service_uri or f"https://{account}.queue.core.windows.net",
        blob_service_uri=env.blob_service_uri or f"https://{account}.blob.core.windows.net",
        managed_identity_client_id=env.client_id,
    )

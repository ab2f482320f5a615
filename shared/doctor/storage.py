"""The storage check: every table, queue and the media container exist and take reads, writes and deletes.

Missing ones are created, as the app does on first use. Writes are probes the app never reads: an
entity with PartitionKey ``~doctor`` (deleted at once), a queue message sent invisible for an hour
and deleted at once (the queue triggers never see it), an empty blob ``~doctor/probe`` (deleted).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.storage.queue import QueueMessage

from ..state.clients import StorageClients
from .report import CheckResult

PROBE_PARTITION = "~doctor"
PROBE_BLOB = "~doctor/probe"
PROBE_MESSAGE = base64.b64encode(json.dumps({"kind": "doctor-probe"}).encode()).decode()
_ROLES = {
    "table": "Storage Table Data Contributor",
    "queue": "Storage Queue Data Contributor",
    "container": "Storage Blob Data Owner (or Contributor)",
}
_SETTING = "AzureWebJobsStorage (or the identity-based AzureWebJobsStorage__* settings)"


@dataclass(frozen=True)
class StorageNames:
    tables: Sequence[str]
    queues: Sequence[str]
    container: str


class _Failed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StorageCheck:
    """Creates what is missing, then writes and deletes a probe in each table, queue and the container."""

    name = "storage"

    def __init__(self, *, clients: StorageClients, names: StorageNames) -> None:
        self._clients = clients
        self._names = names

    def run(self) -> CheckResult:
        try:
            for table in self._names.tables:
                self._table(table)
            for queue in self._names.queues:
                self._queue(queue)
            self._container(self._names.container)
        except _Failed as failed:
            return CheckResult(self.name, "fail", failed.message)
        names = self._names
        return CheckResult(self.name, "pass", f"{len(names.tables)} tables, {len(names.queues)} queues and container "
                                              f"'{names.container}' exist and take reads, writes and deletes")

    def _table(self, name: str) -> None:
        client = self._clients.tables.get_table_client(name)
        entity = {"PartitionKey": PROBE_PARTITION, "RowKey": "probe"}
        self._step("table", name, "create", lambda: self._clients.tables.create_table(name))
        self._step("table", name, "write to", lambda: client.upsert_entity(entity))
        self._step("table", name, "read", lambda: client.get_entity(PROBE_PARTITION, "probe"))
        self._step("table", name, "delete from", lambda: client.delete_entity(PROBE_PARTITION, "probe"))

    def _queue(self, name: str) -> None:
        client = self._clients.queues.get_queue_client(name)
        self._step("queue", name, "create", client.create_queue)
        sent: list[QueueMessage] = []
        self._step("queue", name, "send to", lambda: sent.append(client.send_message(
            PROBE_MESSAGE, visibility_timeout=3600, time_to_live=3601)))
        self._step("queue", name, "delete from", lambda: client.delete_message(sent[0]))

    def _container(self, name: str) -> None:
        client = self._clients.blobs.get_container_client(name)
        self._step("container", name, "create", client.create_container)
        self._step("container", name, "write to", lambda: client.upload_blob(PROBE_BLOB, b"", overwrite=True))
        self._step("container", name, "delete from", lambda: client.delete_blob(PROBE_BLOB))

    def _step(self, kind: str, name: str, action: str, call: Callable[[], object]) -> object:
        try:
            return call()
        except ResourceExistsError:
            if action == "create":
                return None
            raise _Failed(f"{kind} '{name}': {action} was refused as a conflict") from None
        except ClientAuthenticationError as exc:
            status = getattr(exc, "status_code", None)
            if status == 403:
                raise _Failed(self._forbidden(kind, name, action, exc)) from None
            raise _Failed(f"storage refused the credentials while trying to {action} {kind} '{name}'"
                          f"{f' ({status})' if status else ''}: check {_SETTING}; with a managed identity, "
                          "check AzureWebJobsStorage__clientId") from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise _Failed(f"{kind} storage did not answer ({type(exc).__name__}) while trying to {action} "
                          f"{kind} '{name}': check {_SETTING} and the account's network rules") from None
        except HttpResponseError as exc:
            if exc.status_code == 403:
                raise _Failed(self._forbidden(kind, name, action, exc)) from None
            code = getattr(exc, "error_code", None) or exc.reason
            raise _Failed(f"could not {action} {kind} '{name}': {exc.status_code} {code}") from None

    @staticmethod
    def _forbidden(kind: str, name: str, action: str, exc: HttpResponseError) -> str:
        code = getattr(exc, "error_code", None) or "AuthorizationPermissionMismatch"
        return (f"the app's identity may not {action} {kind} '{name}' (403 {code}): grant it "
                f"{_ROLES[kind]} on the storage account (infra/modules/rbac.bicep does in Azure)")

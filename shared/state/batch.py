"""Upsert transactions written without azure-core's generic multipart machinery.

``TableClient.submit_transaction`` builds one ``HttpRequest`` per entity, runs a policy chain
for each in a fresh thread pool, renders them with the ``email`` package and parses every
part of the answer the same way: at 100 entities a batch that was the largest CPU cost of an
export (bench/export.py --profile). Here the same OData ``$batch`` body (the SDK's own entity
serialisation, key escaping and headers) is rendered as text and sent through the table
client's own pipeline, so authentication (shared key or Entra ID), retries and transport are
the SDK's. Only a fully successful answer (202, every part 2xx) is taken; anything else (a
failed part, an unexpected answer, an entity this path does not render) goes through
``submit_transaction``, which gives the SDK's own result or error. An upsert transaction
is atomic and idempotent, so sending it again after a failed one changes nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from azure.core.rest import HttpRequest
from azure.data.tables import TableClient, UpdateMode
from azure.data.tables._serialize import _add_entity_properties, _prepare_key

_STATUS = re.compile(rb"^HTTP/1\.1 (\d{3})", re.MULTILINE)


def upsert_transaction(table: TableClient, entities: Sequence[Mapping[str, Any]]) -> None:
    """Replace-or-insert ``entities`` (one partition, at most 100) as one atomic transaction."""
    if not entities:
        return
    if not _send_fast(table, entities):
        table.submit_transaction([("upsert", entity, {"mode": UpdateMode.REPLACE}) for entity in entities])


def _send_fast(table: TableClient, entities: Sequence[Mapping[str, Any]]) -> bool:
    """True when the service confirmed every upsert; False to let ``submit_transaction`` do (or refuse) it."""
    client: Any = getattr(table, "_client", None)
    if client is None or getattr(table, "_cosmos_endpoint", False):
        return False
    try:
        body, boundary = render_batch(table.url, table.table_name, entities)
    except (TypeError, ValueError, KeyError, AttributeError):
        return False
    request = HttpRequest(
        "POST",
        f"{table.url}/$batch",
        headers={
            "x-ms-version": client._config.version,
            "DataServiceVersion": "3.0",
            "MaxDataServiceVersion": "3.0;NetFx",
            "Content-Type": f"multipart/mixed; boundary={boundary}",
            "Accept": "application/json",
        },
        content=body,
    )
    response = client.send_request(request, stream=True)
    try:
        if response.status_code != 202:
            return False
        statuses = _STATUS.findall(response.read())
    finally:
        response.close()  # back to the pool whatever the answer
    return len(statuses) == len(entities) and all(s.startswith(b"2") for s in statuses)


def render_batch(base_url: str, table_name: str, entities: Sequence[Mapping[str, Any]]) -> tuple[bytes, str]:
    """The ``$batch`` body of one changeset of replace-or-insert operations, and its boundary."""
    batch = f"batch_{uuid.uuid4()}"
    changeset = f"changeset_{uuid.uuid4()}"
    partitions = {entity["PartitionKey"] for entity in entities}
    if len(partitions) != 1:
        raise ValueError("a transaction holds entities of one partition")
    parts = [f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n".encode()]
    for number, entity in enumerate(entities):
        payload = json.dumps(_add_entity_properties(entity)).encode()
        pk, rk = (quote(_prepare_key(entity[key]), safe="") for key in ("PartitionKey", "RowKey"))
        url = f"{base_url}/{quote(table_name, safe='')}(PartitionKey='{pk}',RowKey='{rk}')"
        parts.append(
            f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: {number}\r\n\r\nPUT {url} HTTP/1.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\nDataServiceVersion: 3.0\r\nAccept: application/json\r\n\r\n".encode()
            + payload + b"\r\n"
        )
    parts.append(f"--{changeset}--\r\n\r\n--{batch}--\r\n".encode())
    return b"".join(parts), batch

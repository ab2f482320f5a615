"""The base every Table Storage store builds on: lazy table creation, queries, batches, ETags."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import EdmType, EntityProperty, TableClient, TableServiceClient, UpdateMode

from ..errors import ConcurrentUpdateError, NotFoundError
from .batch import upsert_transaction
from .first_use import CreatedOnFirstUse

Entity = dict[str, Any]
MAX_BATCH = 100  # Table Storage's limit per transaction; Azurite answers malformed above it


def utcnow() -> datetime:
    return datetime.now(UTC)


def int64(value: int) -> EntityProperty:
    """An Int64 property: plain ints of 2**31 and more fail client-side as Int32."""
    return EntityProperty(value, EdmType.INT64)


def read_int(entity: Mapping[str, Any], name: str, default: int = 0) -> int:
    """An integer property whether it came back as int or as an Int64 ``EntityProperty``."""
    value = entity.get(name, default)
    if isinstance(value, EntityProperty):
        value = value.value
    return int(value) if value is not None else default


def read_datetime(entity: Mapping[str, Any], name: str) -> datetime | None:
    value = entity.get(name)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value))


def etag_of(entity: Any) -> str | None:
    metadata = getattr(entity, "metadata", None) or {}
    etag = metadata.get("etag")
    return str(etag) if etag else None


class TableStore:
    """Owns one table: creates it on first use (once per process) and wraps common calls."""

    def __init__(self, service: TableServiceClient, table_name: str) -> None:
        self._service = service
        self._table_name = table_name
        self._client = CreatedOnFirstUse(lambda: service.get_table_client(table_name), TableClient.create_table)

    @property
    def table_name(self) -> str:
        return self._table_name

    @property
    def table(self) -> TableClient:
        """The table's client; the table is created, idempotently, the first time."""
        return self._client.get()

    def _get(self, partition_key: str, row_key: str) -> Entity | None:
        try:
            entity: Entity = self.table.get_entity(partition_key, row_key)
            return entity
        except ResourceNotFoundError:
            return None

    def _create(self, entity: Entity) -> Entity:
        """Insert; raises ``ResourceExistsError`` when the row exists. Returns it with its ETag."""
        metadata = self.table.create_entity(entity)
        return _with_etag(entity, metadata)

    def _upsert(self, entity: Entity, *, mode: UpdateMode = UpdateMode.REPLACE) -> Entity:
        metadata = self.table.upsert_entity(entity, mode=mode)
        return _with_etag(entity, metadata)

    def _replace_if_unchanged(self, entity: Entity, etag: str, *, what: str) -> Entity:
        """Replace only if the row still has ``etag``; ``ConcurrentUpdateError`` otherwise."""
        try:
            metadata = self.table.update_entity(
                entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError) as exc:
            raise ConcurrentUpdateError(f"{what} was changed by another writer; re-read it and retry.") from exc
        return _with_etag(entity, metadata)

    def _delete(self, partition_key: str, row_key: str) -> None:
        """Delete; succeeds when the row is already gone."""
        self.table.delete_entity(partition_key, row_key)

    def _query(
        self,
        query_filter: str,
        parameters: dict[str, Any],
        *,
        select: list[str] | None = None,
        results_per_page: int | None = None,
    ) -> Iterator[Entity]:
        """Entities matching a parameterised filter (``@name`` placeholders), page by page."""
        return iter(self.table.query_entities(
            query_filter, parameters=parameters, select=select, results_per_page=results_per_page
        ))

    def _query_page(
        self,
        query_filter: str,
        parameters: dict[str, Any],
        *,
        token: dict[str, str] | None,
        results_per_page: int,
        select: list[str] | None = None,
    ) -> tuple[list[Entity], dict[str, str] | None]:
        """One page of a query from ``token`` (None: the first), and the token of the next page (None: the end).

        The token is Table Storage's own (the next partition and row key), so it stays valid while rows change.
        """
        pager: Any = self.table.query_entities(
            query_filter, parameters=parameters, select=select, results_per_page=results_per_page
        ).by_page(continuation_token=token)  # type: ignore[arg-type]  # the SDK's tokens are dicts
        page = next(pager, None)
        rows: list[Entity] = list(page) if page is not None else []
        following: dict[str, str] | None = pager.continuation_token or None
        return rows, following

    def _partition(self, partition_key: str, *, results_per_page: int | None = None) -> Iterator[Entity]:
        return self._query("PartitionKey eq @pk", {"pk": partition_key}, results_per_page=results_per_page)

    def _submit_in_chunks(self, operations: Iterable[tuple[Any, ...]]) -> int:
        """Submit single-partition operations in transactions of at most 100; returns how many."""
        count = 0
        chunk: list[tuple[Any, ...]] = []
        for operation in operations:
            chunk.append(operation)
            if len(chunk) == MAX_BATCH:
                self.table.submit_transaction(chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            self.table.submit_transaction(chunk)
            count += len(chunk)
        return count

    def _upsert_batch(self, entities: Iterable[Entity]) -> int:
        """Upsert entities of one partition in transactions of at most 100 (``batch.upsert_transaction``)."""
        count = 0
        chunk: list[Entity] = []
        for entity in entities:
            chunk.append(entity)
            if len(chunk) == MAX_BATCH:
                upsert_transaction(self.table, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            upsert_transaction(self.table, chunk)
            count += len(chunk)
        return count

    def _delete_partition(self, partition_key: str) -> int:
        """Delete every row of a partition in batches of at most 100; returns how many."""
        rows = self._query("PartitionKey eq @pk", {"pk": partition_key}, select=["PartitionKey", "RowKey"])
        return self._submit_in_chunks(
            ("delete", {"PartitionKey": e["PartitionKey"], "RowKey": e["RowKey"]}) for e in rows
        )

    def _update_with_retry(
        self,
        partition_key: str,
        row_key: str,
        mutate: Callable[[Entity], Entity],
        *,
        what: str,
        attempts: int = 20,
    ) -> Entity:
        """Read, mutate, replace-if-unchanged; re-read and retry when another writer won."""
        for _ in range(attempts):
            current = self._get(partition_key, row_key)
            if current is None:
                raise NotFoundError(f"{what} does not exist.")
            etag = etag_of(current)
            assert etag is not None
            updated = mutate(dict(current))
            try:
                return self._replace_if_unchanged(updated, etag, what=what)
            except ConcurrentUpdateError:
                continue
        raise ConcurrentUpdateError(f"{what} is being updated by too many writers at once; retry later.")


class _Row(dict[str, Any]):
    """An entity dict that also carries ``metadata`` (its ETag) like the SDK's ``TableEntity``."""

    metadata: dict[str, Any]


def _with_etag(entity: Mapping[str, Any], metadata: Mapping[str, Any]) -> Entity:
    row = _Row(entity)
    row.metadata = dict(metadata)
    return row

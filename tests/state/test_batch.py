"""Upsert transactions rendered by ``shared.state.batch``: the same rows as the SDK's, on real Azurite."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from azure.core.exceptions import HttpResponseError
from azure.data.tables import EdmType, EntityProperty, TableServiceClient, UpdateMode

from emulators.azurite import AzuriteEndpoints
from shared.state.batch import _send_fast, upsert_transaction


def _table(azurite: AzuriteEndpoints) -> object:
    service = TableServiceClient.from_connection_string(azurite.connection_string)
    return service.create_table(f"batch{uuid.uuid4().hex[:12]}")


def _entities(partition: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for n in range(100):
        rows.append({
            "PartitionKey": partition,
            "RowKey": f"row '{n:03d}' % é",  # quotes, percent and non-ASCII in the key
            "Text": f"body {n} \u2603 \"quoted\"",
            "Small": n,
            "Big": EntityProperty(2**40 + n, EdmType.INT64),
            "Flag": n % 2 == 0,
            "Ratio": n / 3,
            "When": datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
            "Nothing": None,
        })
    return rows


def _plain(entity: dict[str, object]) -> dict[str, object]:
    return {k: (v.value if isinstance(v, EntityProperty) else v) for k, v in entity.items() if k != "PartitionKey"}


def test_fast_path_writes_what_the_sdk_writes(azurite: AzuriteEndpoints) -> None:
    table = _table(azurite)
    assert _send_fast(table, _entities("fast")) is True  # type: ignore[arg-type]
    table.submit_transaction(  # type: ignore[attr-defined]
        [("upsert", e, {"mode": UpdateMode.REPLACE}) for e in _entities("sdk")]
    )
    fast = sorted((_plain(e) for e in table.query_entities("PartitionKey eq 'fast'")),  # type: ignore[attr-defined]
                  key=lambda e: str(e["RowKey"]))
    sdk = sorted((_plain(e) for e in table.query_entities("PartitionKey eq 'sdk'")),  # type: ignore[attr-defined]
                 key=lambda e: str(e["RowKey"]))
    assert len(fast) == 100
    assert fast == sdk
    assert fast[7]["Big"] == 2**40 + 7
    assert fast[7]["Text"] == 'body 7 \u2603 "quoted"'


def test_upsert_replaces_the_whole_row(azurite: AzuriteEndpoints) -> None:
    table = _table(azurite)
    upsert_transaction(table, [{"PartitionKey": "p", "RowKey": "r", "A": "1", "B": "2"}])  # type: ignore[arg-type]
    upsert_transaction(table, [{"PartitionKey": "p", "RowKey": "r", "A": "3"}])  # type: ignore[arg-type]
    row = table.get_entity("p", "r")  # type: ignore[attr-defined]
    assert row["A"] == "3"
    assert "B" not in row


def test_a_refused_entity_falls_back_to_the_sdk_and_its_error(azurite: AzuriteEndpoints) -> None:
    """A string over 64 KiB is refused by the service: nothing written, the SDK's transaction error raised."""
    table = _table(azurite)
    rows = [{"PartitionKey": "p", "RowKey": "ok", "A": "x"}, {"PartitionKey": "p", "RowKey": "big", "A": "x" * 70_000}]
    assert _send_fast(table, rows) is False  # type: ignore[arg-type]
    with pytest.raises(HttpResponseError):
        upsert_transaction(table, rows)  # type: ignore[arg-type]
    assert list(table.query_entities("PartitionKey eq 'p'")) == []  # type: ignore[attr-defined]


def test_two_partitions_are_refused_before_sending(azurite: AzuriteEndpoints) -> None:
    table = _table(azurite)
    rows = [{"PartitionKey": "a", "RowKey": "1"}, {"PartitionKey": "b", "RowKey": "1"}]
    assert _send_fast(table, rows) is False  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Partition Keys"):
        upsert_transaction(table, rows)  # type: ignore[arg-type]

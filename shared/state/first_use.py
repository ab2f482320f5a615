"""A storage resource (table, queue, container) created idempotently the first time it is used."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from azure.core.exceptions import ResourceExistsError

T = TypeVar("T")


class CreatedOnFirstUse(Generic[T]):
    """Holds a client; on the first ``get`` it runs ``create`` once per process (409 means it exists)."""

    def __init__(self, make: Callable[[], T], create: Callable[[T], object]) -> None:
        self._make = make
        self._create = create
        self._client: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    client = self._make()
                    with contextlib.suppress(ResourceExistsError):
                        self._create(client)
                    self._client = client
        return self._client

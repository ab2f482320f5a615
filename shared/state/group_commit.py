"""Many threads adding to one row at once, written as one update (a group commit).

A run's counters are one Table Storage row that every slice of the run adds to when it ends. Forty-eight slices
ending together each read, add and replace-if-unchanged: all but one lose, re-read and collide again, and under
load some give up. Here the first thread to add to a key writes for everyone: while it writes, later additions to
the same key gather into the next batch, which it writes next. Each caller still returns only once its own
addition is stored (or raises what that write raised), so a work item that returns has been counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

R = TypeVar("R")


@dataclass
class _Batch(Generic[R]):
    deltas: Counter[str] = field(default_factory=Counter)
    waiters: list[Future[R]] = field(default_factory=list)


class GroupCommit(Generic[R]):
    """Adds per key, written by ``write(key, summed_deltas)``: one write at a time per key, batching the rest."""

    def __init__(self, write: Callable[[str, Mapping[str, int]], R]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._batches: dict[str, _Batch[R]] = {}
        self._writing: set[str] = set()

    def add(self, key: str, deltas: Mapping[str, int]) -> R:
        """Add ``deltas`` to ``key``; returns what the write that stored them returned."""
        waiter: Future[R] = Future()
        with self._lock:
            batch = self._batches.setdefault(key, _Batch())
            batch.deltas.update(deltas)
            batch.waiters.append(waiter)
            lead = key not in self._writing
            if lead:
                self._writing.add(key)
        if lead:
            self._write_batches(key)
        return waiter.result()

    def _write_batches(self, key: str) -> None:
        """Write the key's batches until none is waiting, then let the next caller lead."""
        while True:
            with self._lock:
                batch = self._batches.pop(key, None)
                if batch is None:
                    self._writing.discard(key)
                    return
            try:
                result = self._write(key, dict(batch.deltas))
            except Exception as exc:  # noqa: BLE001 - handed to every caller in the batch, who raises it
                for waiter in batch.waiters:
                    waiter.set_exception(exc)
            else:
                for waiter in batch.waiters:
                    waiter.set_result(result)

"""What the sample functions saw, kept in memory for in-process tests to read."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_records: list[tuple[str, dict[str, Any]]] = []
release_blocked = threading.Event()


def record(kind: str, **data: Any) -> None:
    with _lock:
        _records.append((kind, data))


def recorded(kind: str) -> list[dict[str, Any]]:
    with _lock:
        return [data for k, data in _records if k == kind]


_barriers: dict[str, threading.Barrier] = {}


def rendezvous(key: str, parties: int, timeout: float) -> None:
    """Wait until ``parties`` callers with ``key`` are all here; BrokenBarrierError after ``timeout`` s."""
    with _lock:
        barrier = _barriers.setdefault(key, threading.Barrier(parties))
    barrier.wait(timeout=timeout)

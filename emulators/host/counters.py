"""Invocation counters served by ``/admin/host/status``."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class FunctionCounters:
    invocations: int = 0
    successes: int = 0
    failures: int = 0
    poisoned: int = 0
    released: int = 0
    last_error: str | None = None


class Counters:
    """Thread-safe per-function counters."""

    def __init__(self, names: list[str]) -> None:
        self._lock = threading.Lock()
        self._by_function = {name: FunctionCounters() for name in names}

    def started(self, name: str) -> None:
        with self._lock:
            self._by_function[name].invocations += 1

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._by_function[name].successes += 1

    def failed(self, name: str, error: str) -> None:
        with self._lock:
            counters = self._by_function[name]
            counters.failures += 1
            counters.last_error = error

    def poisoned(self, name: str) -> None:
        with self._lock:
            self._by_function[name].poisoned += 1

    def released(self, name: str) -> None:
        """A failed queue message was made visible again for another attempt."""
        with self._lock:
            self._by_function[name].released += 1

    def snapshot(self) -> dict[str, Any]:
        """Per-function counters and their totals, as plain JSON-able dicts."""
        with self._lock:
            functions = {name: asdict(c) for name, c in self._by_function.items()}
        totals = {
            key: sum(int(f[key]) for f in functions.values())
            for key in ("invocations", "successes", "failures", "poisoned", "released")
        }
        return {"functions": functions, "totals": totals}

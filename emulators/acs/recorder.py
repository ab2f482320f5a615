"""Counters by route and status, and a bounded log of API exchanges for spec checks."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recorder:
    """Every API exchange (request line, operation, status, response headers and body)."""

    limit: int = 50_000
    enabled: bool = True
    exchanges: deque[dict[str, Any]] = field(default_factory=deque)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    next_seq: int = 1

    def count(self, route: str, status: int | str) -> None:
        by_status = self.counters.setdefault(route, {})
        key = str(status)
        by_status[key] = by_status.get(key, 0) + 1

    def record(self, exchange: dict[str, Any]) -> None:
        if not self.enabled:
            return
        exchange["seq"] = self.next_seq
        self.next_seq += 1
        self.exchanges.append(exchange)
        while len(self.exchanges) > self.limit:
            self.exchanges.popleft()

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [e for e in self.exchanges if e["seq"] > seq]

    def reset(self) -> None:
        self.exchanges.clear()
        self.counters.clear()

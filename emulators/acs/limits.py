"""Service rate limits (research §3) as sliding windows, all scaled by the time-scale factor."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests

Window = tuple[int, float]  # (requests allowed, seconds)


@dataclass(frozen=True)
class Limit:
    """One documented limit: a name, what it is counted per, and its windows."""

    name: str
    per: str  # "resource", "user", "thread", "user+thread"
    windows: tuple[Window, ...]


# Documented values (service-limits.md). Each operation may be under several of them.
LIMITS: dict[str, tuple[Limit, ...]] = {
    "create_thread": (Limit("create_thread", "user", ((10, 10),)),),
    "delete_thread": (Limit("delete_thread", "user", ((10, 10),)),),
    "update_thread": (Limit("update_thread", "thread", ((5, 10),)),),
    "participants_write": (Limit("participants_write", "thread", ((10, 10), (30, 60))),),
    "get_threads": (Limit("get_threads", "user", ((50, 10),)),),
    "get_message": (
        Limit("get_message_user", "user+thread", ((50, 10),)),
        Limit("get_message_thread", "thread", ((250, 10),)),
    ),
    "list_messages": (
        Limit("list_messages_user", "user+thread", ((50, 10), (200, 60))),
        Limit("list_messages_thread", "thread", ((250, 10), (400, 60))),
    ),
    "list_read_receipts": (
        Limit("list_read_receipts_user", "user+thread", ((5, 10),)),
        Limit("list_read_receipts_thread", "thread", ((100, 10),)),
    ),
    "list_participants": (
        Limit("list_participants_user", "user+thread", ((10, 10),)),
        Limit("list_participants_thread", "thread", ((250, 10),)),
    ),
    "message_write": (Limit("message_write", "thread", ((10, 10), (30, 60))),),
    "send_read_receipt": (Limit("send_read_receipt", "user+thread", ((10, 10), (30, 60))),),
    "typing": (
        Limit("typing_user", "user+thread", ((5, 10), (15, 60))),
        Limit("typing_thread", "thread", ((10, 10), (30, 60))),
    ),
    "identity_create": (Limit("identity_create", "resource", ((1000, 30),)),),
    "identity_delete": (Limit("identity_delete", "resource", ((500, 30),)),),
    "identity_issue": (Limit("identity_issue", "resource", ((1000, 30),)),),
    "identity_revoke": (Limit("identity_revoke", "resource", ((500, 30),)),),
    "identity_exchange": (Limit("identity_exchange", "resource", ((500, 30),)),),
}


class RateLimiter:
    """Counts admitted requests per (limit, key) and refuses with 429 + ``Retry-After`` when full."""

    def __init__(self, time_scale: float, enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.time_scale = time_scale
        self.enabled = enabled
        self._clock = clock
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self.refused: dict[str, int] = {}

    def reset(self) -> None:
        self._hits.clear()
        self.refused.clear()

    def check(self, operation: str, user: str = "", thread: str = "") -> None:
        """Admit one request for ``operation`` or raise a 429 ``ApiError``."""
        if not self.enabled:
            return
        limits = LIMITS.get(operation, ())
        now = self._clock()
        keys: list[tuple[tuple[str, str], Limit]] = []
        full: list[str] = []
        wait = 0.0
        for limit in limits:
            key = (limit.name, {"resource": "", "user": user, "thread": thread}.get(limit.per, f"{user}|{thread}"))
            hits = self._hits.setdefault(key, deque())
            longest = max(seconds for _, seconds in limit.windows) * self.time_scale
            while hits and hits[0] <= now - longest:
                hits.popleft()
            for allowed, seconds in limit.windows:
                window = seconds * self.time_scale
                inside = [t for t in hits if t > now - window] if len(hits) >= allowed else []
                if len(inside) >= allowed:
                    wait = max(wait, inside[-allowed] + window - now)
                    full.append(limit.name)
            keys.append((key, limit))
        if wait > 0:
            for name in dict.fromkeys(full):
                self.refused[name] = self.refused.get(name, 0) + 1
            raise too_many_requests(wait)
        for key, _ in keys:
            self._hits[key].append(now)

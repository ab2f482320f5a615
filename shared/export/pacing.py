"""Pacers: sliding-window rate limits kept on the client side, so ACS's limits are met, not hit.

A ``Pacer`` holds one or more ``(count, seconds)`` windows. ``acquire()`` blocks until one
more call fits every window and returns; ``done()`` stamps the call with the moment its
response arrived (the server counted it no later than that, so the next window opens
no earlier than the server's). A 429 ``Retry-After`` pushes the pacer back with ``hold()``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..settings import Windows

_MARGIN = 0.02  # of a window: sent this much later than the bare limit allows


class Cancelled(Exception):
    """The wait was given up because the export is stopping."""


class Pacer:
    """Sliding windows for one key (a thread, a user, the resource). Thread-safe."""

    def __init__(
        self,
        windows: Windows,
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._windows = tuple((count, seconds * time_scale) for count, seconds in windows)
        self._longest = max((s for _, s in self._windows), default=0.0)
        self._capacity = max((c for c, _ in self._windows), default=0)
        self._stamps: deque[float] = deque()
        self._held_until = 0.0
        self._in_flight = 0
        self._clock = clock
        self._stop = stop
        self._lock = threading.Lock()
        self.waited = 0.0

    def _delay(self, now: float) -> float:
        while self._stamps and self._stamps[0] <= now - self._longest:
            self._stamps.popleft()
        wait = max(0.0, self._held_until - now)
        for count, seconds in self._windows:
            if len(self._stamps) + self._in_flight < count:
                continue
            inside = [t for t in self._stamps if t > now - seconds]
            excess = len(inside) + self._in_flight - count  # >= 0 means full
            if excess < 0:
                continue
            if excess >= len(inside):  # the window is full of calls still in flight
                wait = max(wait, seconds * _MARGIN)
            else:
                wait = max(wait, inside[excess] + seconds * (1 + _MARGIN) - now)
        return wait

    def acquire(self) -> None:
        """Block until one more call fits; raises ``Cancelled`` when the stop event is set."""
        while True:
            with self._lock:
                delay = self._delay(self._clock())
                if delay <= 0:
                    self._in_flight += 1
                    return
            self.waited += delay
            if self._stop is not None:
                if self._stop.wait(min(delay, 1.0)):
                    raise Cancelled
            else:
                time.sleep(min(delay, 1.0))

    def done(self, *, counted: bool = True) -> None:
        """The call's response arrived; ``counted=False`` when the server did not count it."""
        with self._lock:
            self._in_flight = max(0, self._in_flight - 1)
            if counted:
                self._stamps.append(self._clock())

    def hold(self, seconds: float) -> None:
        """The server said wait ``seconds`` (``Retry-After``): no call until then."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """``acquire`` then ``done`` around a block of code."""
        self.acquire()
        try:
            yield
        finally:
            self.done()

    @property
    def capacity(self) -> int:
        return self._capacity


class PacerRegistry:
    """One pacer per key with the same windows (e.g. one per creating user)."""

    def __init__(self, windows: Windows, *, time_scale: float = 1.0, stop: threading.Event | None = None) -> None:
        self._windows = windows
        self._time_scale = time_scale
        self._stop = stop
        self._pacers: dict[str, Pacer] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Pacer:
        with self._lock:
            pacer = self._pacers.get(key)
            if pacer is None:
                pacer = Pacer(self._windows, time_scale=self._time_scale, stop=self._stop)
                self._pacers[key] = pacer
            return pacer


def minimum_duration(sends: int, windows: Windows, *, time_scale: float = 1.0) -> float:
    """The least time ``sends`` calls take from the first to the last under ``windows`` (seconds).

    Call k (0-based) can go no earlier than, for every window (c, s), call k - c plus s.
    """
    if sends <= 0:
        return 0.0
    scaled = [(c, s * time_scale) for c, s in windows]
    times: list[float] = []
    for k in range(sends):
        t = 0.0
        for count, seconds in scaled:
            if k >= count:
                t = max(t, times[k - count] + seconds)
        times.append(t)
    return times[-1]

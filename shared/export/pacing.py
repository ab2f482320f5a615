"""Pacers: sliding-window rate limits kept on the client side, so ACS's limits are met, not hit.

A ``Pacer`` holds one or more ``(count, seconds)`` windows. ``acquire()`` blocks until one
more call fits every window, then counts it from that moment (the request leaves right
after, so the server counts it a little later: a margin of 1 % of each window absorbs
the difference). A 429 gives its place back (``done(counted=False)``) and its
``Retry-After`` pushes the pacer back (``hold()``).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from ..settings import Windows

_MARGIN = 0.01  # of a window: a call goes this much later than the bare limit allows


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
        self._stamps: deque[float] = deque()
        self._held_until = 0.0
        self._clock = clock
        self._stop = stop
        self._lock = threading.Lock()

    def _delay(self, now: float) -> float:
        while self._stamps and self._stamps[0] <= now - self._longest:
            self._stamps.popleft()
        wait = max(0.0, self._held_until - now)
        for count, seconds in self._windows:
            if len(self._stamps) < count:
                continue
            inside = [t for t in self._stamps if t > now - seconds]
            if len(inside) >= count:
                wait = max(wait, inside[len(inside) - count] + seconds * (1 + _MARGIN) - now)
        return wait

    def delay(self) -> float:
        """Seconds until one more call would fit (0 when it fits now)."""
        with self._lock:
            return self._delay(self._clock())

    def acquire(self) -> float:
        """Block until one more call fits and count it from now; returns its stamp for ``done``.

        Raises ``Cancelled`` when the stop event is set while waiting.
        """
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    self._stamps.append(now)
                    return now
            if self._stop is not None:
                if self._stop.wait(min(delay, 1.0)):
                    raise Cancelled
            else:
                time.sleep(min(delay, 1.0))

    def done(self, stamp: float, *, counted: bool = True, sent_at: float | None = None) -> None:
        """The call stamped ``stamp`` ended; ``counted=False`` (a 429) gives its place back.

        A counted call is re-stamped at the estimated moment the server counted it: halfway
        between when it was sent (``sent_at``, default the grant) and when its answer came.
        """
        with self._lock, suppress(ValueError):  # already out of every window
            index = self._stamps.index(stamp)
            if not counted:
                del self._stamps[index]
                return
            start = stamp if sent_at is None else sent_at
            arrived = start + (self._clock() - start) / 2
            self._stamps[index] = arrived
            if index + 1 < len(self._stamps) and self._stamps[index + 1] < arrived:
                self._stamps = deque(sorted(self._stamps))

    def hold(self, seconds: float) -> None:
        """The server said wait ``seconds`` (``Retry-After``): no call until then."""
        with self._lock:
            self._held_until = max(self._held_until, self._clock() + seconds)

    @contextmanager
    def slot(self, gate: PriorityGate | None = None, priority: int = 0) -> Iterator[None]:
        """``acquire`` then ``done`` around a block of code (a 429 inside gives the place back).

        With a ``gate``, the call also waits for one of the process's send slots, which go to
        the highest ``priority`` first (the conversation with the most left to send).
        """
        stamp = self.acquire()
        counted = True
        sent_at = None
        try:
            if gate is None:
                yield
            else:
                with gate.slot(priority):
                    sent_at = self._clock()
                    yield
        except Exception as exc:
            counted = getattr(exc, "status_code", None) != 429
            raise
        finally:
            self.done(stamp, counted=counted, sent_at=sent_at)


class PriorityGate:
    """At most ``slots`` calls at once across the process; waiting calls go highest priority first.

    When the machine is the bottleneck, the conversations with the most left to send (the
    ones that decide the run's length) keep their pace and the small ones, which have slack,
    wait.
    """

    def __init__(self, slots: int) -> None:
        self._slots = slots
        self._active = 0
        # each waiter's baton: a lock it holds and blocks on; the call passing its slot on releases it
        # (one wake-up, where an Event costs a condition, its lock and a notify_all per hand-over)
        self._waiting: list[tuple[int, int, threading.Lock]] = []
        self._seq = 0
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """Calls waiting for a slot now."""
        with self._lock:
            return len(self._waiting)

    @contextmanager
    def slot(self, priority: int) -> Iterator[None]:
        baton: threading.Lock | None = None
        with self._lock:
            if self._active < self._slots and not self._waiting:
                self._active += 1
            else:
                self._seq += 1
                baton = threading.Lock()
                baton.acquire()
                heapq.heappush(self._waiting, (-priority, self._seq, baton))
        if baton is not None:
            baton.acquire()  # until a call ending passes its slot to this one
        try:
            yield
        finally:
            with self._lock:
                if self._waiting:
                    _, _, following = heapq.heappop(self._waiting)
                    following.release()  # the slot passes on directly
                else:
                    self._active -= 1


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

"""Run a producer ahead of its consumer in a background thread, with a bounded buffer.

Twilio reads (and media copies) for a conversation overlap ACS's paced sends; the buffer
bounds memory whatever the history length.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """Iterates ``source`` in a daemon thread, at most ``depth`` items ahead; ``close()`` stops it."""

    def __init__(self, source: Iterator[T], *, depth: int, name: str) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._closed = threading.Event()
        self._source = source
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object) -> bool:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it  # noqa: BLE001
            self._put(_Failure(exc))
            return
        self._put(_END)

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._closed.set()
        close = getattr(self._source, "close", None)
        self._thread.join(timeout=5)
        if close is not None and not self._thread.is_alive():
            close()

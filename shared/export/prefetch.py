"""Run a producer ahead of its consumer in a background thread, with a bounded buffer.

Twilio reads (and media copies) for a conversation overlap ACS's paced sends; the buffer
bounds memory whatever the history length. Items cross between the threads in chunks
(up to ``chunk`` at a time; at once whenever the consumer has nothing left to take), so
while the consumer is the slower one the threads wake each other once per chunk, not once
per item.
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

    def __init__(self, source: Iterator[T], *, depth: int, name: str, chunk: int = 32) -> None:
        self._chunk = max(1, min(chunk, depth))
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth // self._chunk))
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
        batch: list[object] = []
        try:
            for item in self._source:
                batch.append(item)
                if len(batch) >= self._chunk or self._queue.empty():
                    if not self._put(batch):
                        return
                    batch = []
        except BaseException as exc:  # handed to the consumer, which re-raises it  # noqa: BLE001
            self._put([*batch, _Failure(exc)])
            return
        self._put([*batch, _END])

    def __iter__(self) -> Iterator[T]:
        while True:
            batch = self._queue.get()
            assert isinstance(batch, list)
            for item in batch:
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item

    def close(self) -> None:
        self._closed.set()
        close = getattr(self._source, "close", None)
        self._thread.join(timeout=5)
        if close is not None and not self._thread.is_alive():
            close()

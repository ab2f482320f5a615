"""The event log and the webhook pusher: batches POSTed with ``aeg-event-type: Notification``.

Failed batches are retried on Event Grid's schedule (10 s, 30 s, 1 min, 5 min, ...) scaled
by the time-scale factor; 400/401/403/413 answers are not retried (as Event Grid does),
and after ``max_attempts`` a batch is marked ``dead-lettered``. Batches go out in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections import deque
from datetime import UTC, datetime
from typing import Any

import aiohttp

from .events import to_cloud_event
from .formats import event_time

RETRY_SCHEDULE_S = (10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200)
NO_RETRY = (400, 401, 403, 413)


class EventDelivery:
    """Keeps every emitted event (with delivery state) and pushes batches to the sink."""

    def __init__(
        self,
        sink: str | None,
        schema: str = "eventgrid",
        time_scale: float = 1.0,
        batch_size: int = 10,
        max_attempts: int = 30,
        ssl_context: ssl.SSLContext | None = None,
        log_limit: int = 100_000,
    ) -> None:
        self.sink = sink
        self.schema = schema
        self.time_scale = time_scale
        self.batch_size = max(1, batch_size)
        self.max_attempts = max(1, max_attempts)
        self._ssl = ssl_context
        self.log: deque[dict[str, Any]] = deque()
        self._log_limit = log_limit
        self._next_seq = 1
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    # ---- log ------------------------------------------------------------------------------

    def emit(self, event: dict[str, Any]) -> None:
        """Log an EventGridSchema event and queue it (in the configured schema) for the sink."""
        body = to_cloud_event(event) if self.schema == "cloudevents" else event
        entry: dict[str, Any] = {
            "seq": self._next_seq,
            "schema": self.schema,
            "event": body,
            "status": "pending" if self.sink else "no-sink",
            "attempts": 0,
            "deliveredAt": None,
            "lastError": None,
        }
        self._next_seq += 1
        self.log.append(entry)
        while len(self.log) > self._log_limit:
            self.log.popleft()
        if self.sink and self._queue is not None:
            self._queue.put_nowait(entry)

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [e for e in self.log if e["seq"] > seq]

    def pending(self) -> int:
        return sum(1 for e in self.log if e["status"] in ("pending", "retrying"))

    def clear(self) -> None:
        self.log.clear()

    # ---- pushing --------------------------------------------------------------------------

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        timeout = aiohttp.ClientTimeout(total=30)
        self._session = aiohttp.ClientSession(timeout=timeout)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    def configure(self, sink: str | None, schema: str | None = None) -> None:
        """Point at a new sink (``None`` to stop pushing); queued events follow the new sink."""
        self.sink = sink
        if schema is not None:
            self.schema = schema

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(0.005)
            while len(batch) < self.batch_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._deliver(batch)

    async def _deliver(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(1, self.max_attempts + 1):
            if not self.sink:
                for entry in batch:
                    entry["status"] = "no-sink"
                return
            error = await self._post(batch, attempt)
            if error is None:
                stamp = event_time(datetime.now(UTC))
                for entry in batch:
                    entry.update(status="delivered", deliveredAt=stamp, lastError=None)
                return
            final = error.startswith("HTTP ") and int(error.split()[1]) in NO_RETRY
            for entry in batch:
                entry.update(status="failed" if final else "retrying", lastError=error)
            if final:
                return
            delay = RETRY_SCHEDULE_S[min(attempt - 1, len(RETRY_SCHEDULE_S) - 1)] * self.time_scale
            await asyncio.sleep(delay)
        for entry in batch:
            entry["status"] = "dead-lettered"

    async def _post(self, batch: list[dict[str, Any]], attempt: int) -> str | None:
        assert self._session is not None
        assert self.sink is not None
        cloud = self.schema == "cloudevents"
        headers = {
            "Content-Type": "application/cloudevents-batch+json; charset=utf-8" if cloud else "application/json",
            "aeg-event-type": "Notification",
            "aeg-subscription-name": "ACS-EMULATOR",
            "aeg-delivery-count": str(attempt - 1),
            "aeg-data-version": "1.0",
            "aeg-metadata-version": "1",
        }
        payload = json.dumps([entry["event"] for entry in batch])
        for entry in batch:
            entry["attempts"] += 1
        verify: ssl.SSLContext | bool = self._ssl if self._ssl is not None else True
        try:
            async with self._session.post(self.sink, data=payload, headers=headers, ssl=verify) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"

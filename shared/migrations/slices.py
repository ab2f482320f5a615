"""Migration work items on the app's own threads, so long slices never hold the worker's shared thread pool.

The Python worker runs every synchronous function on one pool (``PYTHON_THREADPOOL_THREAD_COUNT``, by default
``min(32, cpus + 4)``: 5 or 6 threads on a Flex instance). An export slice holds its thread for up to
``EXPORT_SLICE_SECONDS`` while it paces sends to ACS's limits, so a few queue items filled that pool and every
other function waited behind them: token requests for minutes, and the queue items past the pool's size too.
The migration trigger is ``async`` instead and hands its item to this pool, sized by ``EXPORT_CONCURRENCY``
(conversations exported at once), which is at least the queue items one instance takes at once (host.json's
``batchSize + newBatchThreshold``).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


class SliceRunner:
    """Runs blocking work items on ``threads`` threads of its own, awaited from the worker's event loop."""

    def __init__(self, *, threads: int) -> None:
        self.threads = threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="migration")

    async def run(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the pool with the caller's context (its telemetry span, its logging context)."""
        context = contextvars.copy_context()
        await asyncio.get_running_loop().run_in_executor(self._pool, context.run, work)

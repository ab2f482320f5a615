"""Run a LocalHost on its own event loop in a background thread, for synchronous tests and scripts."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import azure.functions as func

from .server import LocalHost


@contextmanager
def local_host_in_thread(
    app: func.FunctionApp | str, *, start_timeout: float = 60.0, **options: Any
) -> Iterator[LocalHost]:
    """``with local_host_in_thread(app, queues=False) as host: requests.get(host.url + "/api/...")``.

    ``options`` are LocalHost's keyword arguments. The host is stopped, and the thread
    joined, when the block ends, also when it raises.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="local-host", daemon=True)
    thread.start()
    try:
        host = LocalHost(app, **options)
        asyncio.run_coroutine_threadsafe(host.start(), loop).result(start_timeout)
        try:
            yield host
        finally:
            asyncio.run_coroutine_threadsafe(host.stop(), loop).result(start_timeout)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=start_timeout)
        loop.close()

"""Pump one Azure Storage queue into a queue-triggered function with the queue extension's semantics.

Per message: invoke; delete on success; on failure make it visible again after
``visibilityTimeout``, or, once ``dequeue_count`` reached ``maxDequeueCount``, copy it to
``<queue>-poison`` and delete it. Polling backs off exponentially up to
``maxPollingInterval`` while the queue is empty; a new batch is fetched when the
messages in flight drop to ``newBatchThreshold``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import math
import random
import re
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError
from azure.functions.queue import QueueMessage as FunctionQueueMessage
from azure.storage.queue import QueueMessage as StorageQueueMessage
from azure.storage.queue.aio import QueueClient

from .counters import Counters
from .expressions import resolve
from .hostjson import QueueOptions
from .invoker import Invoker
from .loader import FunctionSpec

log = logging.getLogger("emulators.host")
PROCESSING_VISIBILITY_SECONDS = 600  # the extension hides a message for 10 minutes while it runs
MIN_POLLING_INTERVAL = 0.1
_QUEUE_NAME = re.compile(r"^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")


class QueueConfigError(ValueError):
    """A queue name or connection setting the host would refuse at start."""


def queue_name_for(spec: FunctionSpec, settings: Mapping[str, str]) -> str:
    """The trigger's queue name with ``%SETTING%`` resolved and validated like the host does."""
    name = resolve(str(spec.trigger.get("queueName", "")), settings)
    if not _QUEUE_NAME.match(name):
        raise QueueConfigError(
            f"{spec.name}: invalid queue name {name!r} (3-63 lowercase letters, digits and single hyphens)"
        )
    return name


def connection_string_for(spec: FunctionSpec, settings: Mapping[str, str]) -> str:
    """The storage connection string named by the binding's ``connection`` (default ``AzureWebJobsStorage``)."""
    setting = str(spec.trigger.get("connection") or "AzureWebJobsStorage")
    for candidate in (setting, f"AzureWebJobs{setting}"):
        value = settings.get(candidate)
        if value:
            return value
    raise QueueConfigError(f"{spec.name}: app setting {setting!r} (the queue connection string) is not set")


def decode_body(content: str, encoding: str) -> str | bytes:
    """The message text as the host hands it over: base64-decoded unless ``messageEncoding`` is none."""
    if encoding == "none":
        return content
    raw = base64.b64decode(content, validate=True)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def to_function_message(message: StorageQueueMessage, body: str | bytes) -> FunctionQueueMessage:
    """The ``func.QueueMessage`` the worker builds from the host's trigger metadata."""
    return FunctionQueueMessage(  # type: ignore[no-untyped-call]
        id=message.id,
        body=body,
        dequeue_count=message.dequeue_count,
        expiration_time=message.expires_on,
        insertion_time=message.inserted_on,
        time_next_visible=message.next_visible_on,
        pop_receipt=message.pop_receipt,
    )


class QueuePump:
    """Polls one queue and runs its function for each message until ``stop``."""

    def __init__(
        self,
        spec: FunctionSpec,
        settings: Mapping[str, str],
        options: QueueOptions,
        invoker: Invoker,
        counters: Counters,
        *,
        processing_visibility: float = PROCESSING_VISIBILITY_SECONDS,
    ) -> None:
        self.spec = spec
        self.processing_visibility = processing_visibility
        self.queue_name = queue_name_for(spec, settings)
        self.poison_queue_name = f"{self.queue_name}-poison"
        self._connection_string = connection_string_for(spec, settings)
        self.options = options
        self._invoker = invoker
        self._counters = counters
        self._queue: QueueClient | None = None
        self._poison: QueueClient | None = None
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Create the queue and its poison queue if missing, then start polling."""
        self._queue = QueueClient.from_connection_string(self._connection_string, self.queue_name)
        self._poison = QueueClient.from_connection_string(self._connection_string, self.poison_queue_name)
        for client in (self._queue, self._poison):
            with contextlib.suppress(ResourceExistsError):
                await client.create_queue()
        self._poller = asyncio.create_task(self._poll(), name=f"queue-pump-{self.queue_name}")

    async def stop(self, *, drain_timeout: float = 10.0) -> None:
        """Stop polling, let running invocations finish (``drain_timeout`` at most), close the clients."""
        self._stopping.set()
        if self._poller is not None:
            await self._poller
            self._poller = None
        if self._in_flight:
            _, pending = await asyncio.wait(self._in_flight, timeout=drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for client in (self._queue, self._poison):
            if client is not None:
                await client.close()

    async def _poll(self) -> None:
        assert self._queue is not None
        delay = MIN_POLLING_INTERVAL
        while not self._stopping.is_set():
            if len(self._in_flight) > self.options.new_batch_threshold:
                await self._wait_for_stop_or(asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED))
                continue
            try:
                messages = [
                    m
                    async for m in self._queue.receive_messages(
                        messages_per_page=self.options.batch_size,
                        max_messages=self.options.batch_size,
                        visibility_timeout=max(1, round(self.processing_visibility)),
                    )
                ]
            except AzureError as exc:
                log.warning("queue %s: receive failed: %s", self.queue_name, exc)
                messages = []
            for message in messages:
                task = asyncio.create_task(self._process(message))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
            if messages:
                delay = MIN_POLLING_INTERVAL
                continue
            await self._wait_for_stop_or(asyncio.sleep(delay))
            # Randomised exponential back-off, capped at maxPollingInterval, as the extension does.
            delay = min(delay * 2 * random.uniform(0.8, 1.2), self.options.max_polling_interval)

    async def _wait_for_stop_or(self, awaitable: Any) -> None:
        waiter = asyncio.ensure_future(awaitable)
        stopper = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, stopper):
            if not task.done():
                task.cancel()
        await asyncio.gather(waiter, stopper, return_exceptions=True)

    async def _process(self, message: StorageQueueMessage) -> None:
        if message.dequeue_count is not None and message.dequeue_count > self.options.max_dequeue_count:
            await self._poison_message(message)  # already over the limit (e.g. a crash mid-run)
            return
        succeeded = False
        try:
            body = decode_body(str(message.content), self.options.message_encoding)
        except (binascii.Error, ValueError) as exc:
            self._counters.started(self.spec.name)
            error = f"message {message.id} is not valid base64: {exc}"
            self._counters.failed(self.spec.name, error)
            log.warning("queue %s: %s (attempt %s)", self.queue_name, error, message.dequeue_count)
        else:
            try:
                await self._invoker.invoke(self.spec, to_function_message(message, body))
                succeeded = True
            except Exception:  # noqa: BLE001 - counted and logged by the invoker; the message is retried
                succeeded = False
        try:
            await self._settle(message, succeeded)
        except AzureError as exc:
            log.warning("queue %s: could not settle message %s: %s", self.queue_name, message.id, exc)

    async def _settle(self, message: StorageQueueMessage, succeeded: bool) -> None:
        assert self._queue is not None
        if succeeded:
            await self._queue.delete_message(message.id, message.pop_receipt)
        elif (message.dequeue_count or 0) >= self.options.max_dequeue_count:
            await self._poison_message(message)
        else:
            await self._queue.update_message(
                message.id, message.pop_receipt, visibility_timeout=math.ceil(self.options.visibility_timeout)
            )
            self._counters.released(self.spec.name)

    async def _poison_message(self, message: StorageQueueMessage) -> None:
        """Copy the message, as stored, to ``<queue>-poison`` and delete the original."""
        assert self._queue is not None
        assert self._poison is not None
        await self._poison.send_message(message.content)
        await self._queue.delete_message(message.id, message.pop_receipt)
        self._counters.poisoned(self.spec.name)
        log.warning("queue %s: message %s moved to %s", self.queue_name, message.id, self.poison_queue_name)

"""Call a user function as the worker does: sync handlers in a thread pool, async ones on the loop."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import azure.functions as func
from azure.functions import _abc

from .counters import Counters
from .loader import FunctionSpec

log = logging.getLogger("emulators.host")
T = TypeVar("T")


class UnsupportedBindingError(RuntimeError):
    """The function has an input binding other than its trigger; the local host binds none."""


class OutValue(func.Out[T], Generic[T]):
    """The ``func.Out`` the worker passes for an output binding parameter."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class _TraceContext(_abc.TraceContext):
    def __init__(self) -> None:
        pass

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(_abc.RetryContext):
    def __init__(self) -> None:
        pass

    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> Any:
        return None


class InvocationContext(func.Context):
    """The ``context`` argument: invocation id, function name and directory."""

    def __init__(self, function_name: str) -> None:
        self._invocation_id = str(uuid.uuid4())
        self._function_name = function_name
        self._local = threading.local

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def thread_local_storage(self) -> type[threading.local]:
        return self._local

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return os.getcwd()

    @property
    def trace_context(self) -> _abc.TraceContext:
        return _TraceContext()

    @property
    def retry_context(self) -> _abc.RetryContext:
        return _RetryContext()


@dataclass
class InvocationResult:
    """What a function returned and what it set on its output bindings."""

    return_value: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)


def _as_annotated(value: Any, annotation: Any) -> Any:
    """A queue message body as ``str``/``bytes`` when the parameter is annotated so, as the worker's
    generic converter passes it; anything else unchanged."""
    if isinstance(value, func.QueueMessage) and annotation in (str, bytes):
        body = value.get_body()
        return body.decode("utf-8") if annotation is str else body
    return value


def sync_pool_size(settings: Mapping[str, str]) -> int | None:
    """The sync-function thread pool size the Python worker uses: ``PYTHON_THREADPOOL_THREAD_COUNT`` when it
    is an integer >= 1, else None (ThreadPoolExecutor's default, min(32, cpu + 4), on Python 3.9+).

    As azure_functions_worker/dispatcher.py ``_get_sync_tp_max_workers`` (Azure/azure-functions-python-worker).
    """
    value = settings.get("PYTHON_THREADPOOL_THREAD_COUNT", "").strip()
    return int(value) if value.isdigit() and int(value) >= 1 else None


class Invoker:
    """Runs functions and counts invocations, successes and failures."""

    def __init__(self, counters: Counters, *, max_workers: int | None = None) -> None:
        self.counters = counters
        # None gives the worker's default for Python 3.9+, min(32, cpu + 4).
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="function")

    def _arguments(self, spec: FunctionSpec, trigger_value: Any) -> tuple[dict[str, Any], dict[str, OutValue[Any]]]:
        kwargs: dict[str, Any] = {}
        outs: dict[str, OutValue[Any]] = {}
        trigger = spec.trigger
        for binding in spec.bindings:
            name = str(binding["name"])
            if binding is trigger:
                kwargs[name] = _as_annotated(trigger_value, spec.annotations.get(name))
            elif name == "$return":
                continue
            elif str(binding.get("direction", "")).upper() == "OUT":
                outs[name] = kwargs[name] = OutValue()
            else:
                raise UnsupportedBindingError(
                    f"{spec.name}: input binding {name!r} ({binding.get('type')}) is not supported by the local host"
                )
        if spec.wants_context:
            kwargs["context"] = InvocationContext(spec.name)
        return kwargs, outs

    async def invoke(self, spec: FunctionSpec, trigger_value: Any) -> InvocationResult:
        """Run the function once; count it; re-raise its exception after logging it."""
        self.counters.started(spec.name)
        try:
            kwargs, outs = self._arguments(spec, trigger_value)
            if spec.is_async:
                value = await spec.user_function(**kwargs)
            else:
                call = functools.partial(contextvars.copy_context().run, spec.user_function, **kwargs)
                value = await asyncio.get_running_loop().run_in_executor(self._pool, call)
        except Exception as exc:
            self.counters.failed(spec.name, f"{type(exc).__name__}: {exc}")
            log.warning("function %s failed:\n%s", spec.name, traceback.format_exc())
            raise
        self.counters.succeeded(spec.name)
        return InvocationResult(value, {name: out.get() for name, out in outs.items()})

    def shutdown(self) -> None:
        """Stop the thread pool without waiting for handlers still running."""
        self._pool.shutdown(wait=False, cancel_futures=True)

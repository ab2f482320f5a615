"""Start a local service as a child process, wait for its JSON ready line, stop it by PID."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class ServiceStartError(RuntimeError):
    """A service exited or stayed silent before printing its ready line."""


@dataclass
class RunningService:
    """A child process and the JSON object it printed when it became ready."""

    name: str
    process: subprocess.Popen[bytes]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL if it has not exited in ``timeout`` seconds."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)


def start_service(
    name: str,
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> RunningService:
    """Start ``argv`` in its own process group and wait for one JSON line on its stdout.

    The line is parsed into ``RunningService.info``. Anything the process writes to
    stderr goes to ours. Raises ``ServiceStartError`` (after stopping the process) when
    it exits or prints nothing parseable within ``timeout`` seconds.
    """
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    service = RunningService(name=name, process=process)
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    try:
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServiceStartError(f"{name} printed no ready line within {timeout:.0f} s")
            ready, _, _ = select.select([process.stdout], [], [], min(remaining, 0.2))
            if ready:
                chunk = os.read(process.stdout.fileno(), 65536)
                if not chunk:
                    raise ServiceStartError(f"{name} exited with code {process.wait()} before it was ready")
                buffer += chunk
            elif process.poll() is not None:
                raise ServiceStartError(f"{name} exited with code {process.returncode} before it was ready")
        line = buffer.split(b"\n", 1)[0]
        _drain(process.stdout, name)
        try:
            service.info = json.loads(line)
        except ValueError as exc:
            raise ServiceStartError(f"{name} printed a ready line that is not JSON: {line[:200]!r}") from exc
    except BaseException:
        service.stop()
        raise
    return service


def _drain(stream: object, name: str) -> None:
    """Keep reading a service's stdout after its ready line, so a chatty service never blocks on a full pipe."""
    fileno = stream.fileno()  # type: ignore[attr-defined]

    def pump() -> None:
        with suppress(OSError):
            while os.read(fileno, 65536):
                pass

    threading.Thread(target=pump, name=f"{name}-stdout", daemon=True).start()


@contextmanager
def running(name: str, argv: Sequence[str], **kwargs: Any) -> Iterator[RunningService]:
    """Context manager around ``start_service`` that always stops the service."""
    service = start_service(name, argv, **kwargs)
    try:
        yield service
    finally:
        service.stop()


def python_module_argv(module: str, *args: str) -> list[str]:
    """``[sys.executable, "-u", "-m", module, *args]``: the argv of a stand-in server."""
    return [sys.executable, "-u", "-m", module, *args]


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; ``TimeoutError`` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)

"""The app under the host stand-in as a separate process that can be SIGKILLed and started again (chaos runs).

The host stand-in hides a received queue message for 10 minutes (as the queue extension does), so a message
in flight when the host dies only comes back 10 minutes later. To keep a run short, the process is started
with that hide time lowered to ``HIDE_SECONDS`` (``--processing-visibility``); nothing else about it changes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

from harness.process import RunningService, python_module_argv, start_service

REPO_ROOT = Path(__file__).resolve().parents[1]
HIDE_SECONDS = 8  # the host's processing hide time (10 minutes in the extension), lowered for the run
FUNCTION_KEY = "chaos-function-key-" + secrets.token_hex(6)
ADMIN_KEY = "chaos-admin-key-" + secrets.token_hex(6)
MAX_RECEIPT_PARTICIPANTS = 20  # the engine sends read receipts on threads of at most 20 participants
HOST_JSON = {"version": "2.0", "extensions": {"http": {"routePrefix": "api"}, "queues": {
    "batchSize": 8, "newBatchThreshold": 4, "maxPollingInterval": "00:00:00.250",
    "visibilityTimeout": "00:00:00.500", "maxDequeueCount": 5, "messageEncoding": "base64",
}}}



class FunctionsHost:
    """The app under the host stand-in, as a separate process that can be SIGKILLed and started again."""

    def __init__(self, settings: dict[str, str], workdir: Path, *, port: int = 0) -> None:
        self.settings = settings
        self.port = port  # 0: a free port each start; else the same port every time (an Event Grid sink)
        self.host_json = workdir / "host.json"
        self.host_json.write_text(json.dumps(HOST_JSON))
        self.service: RunningService | None = None

    def start(self) -> None:
        argv = [*python_module_argv("emulators.host"), "--processing-visibility", str(HIDE_SECONDS),
                "--app", "function_app:app",
                "--host-json", str(self.host_json), "--function-key", FUNCTION_KEY, "--admin-key", ADMIN_KEY,
                "--port", str(self.port)]
        env = {**os.environ, **self.settings}
        self.service = start_service("functions host", argv, env=env, cwd=str(REPO_ROOT), timeout=60)

    @property
    def url(self) -> str:
        assert self.service is not None
        return str(self.service.info["url"])

    def kill(self) -> None:
        """SIGKILL: no shutdown, no draining; in-flight queue messages stay hidden, leases stay held."""
        service = self.service
        if service is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)
        service.process.wait(timeout=30)
        self.service = None

    def status(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/admin/host/status", headers={"x-functions-key": ADMIN_KEY}, timeout=10)
        data: dict[str, Any] = response.json()
        return data

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None


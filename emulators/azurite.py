"""Run the real Azurite (installed from package-lock.json) on free loopback ports.

``python -m emulators.azurite`` starts blob, queue and table services in memory and
prints one JSON line with the ports and a connection string, then serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
AZURITE_MAIN = REPO_ROOT / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"
ACCOUNT_NAME = "devstoreaccount1"
# Azurite's well-known development key: public, documented, and only valid against the emulator.
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@dataclass(frozen=True)
class AzuriteEndpoints:
    """Where a running Azurite listens."""

    host: str
    blob_port: int
    queue_port: int
    table_port: int

    @property
    def connection_string(self) -> str:
        base = f"http://{self.host}"
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT_NAME};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={base}:{self.blob_port}/{ACCOUNT_NAME};"
            f"QueueEndpoint={base}:{self.queue_port}/{ACCOUNT_NAME};"
            f"TableEndpoint={base}:{self.table_port}/{ACCOUNT_NAME};"
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait_for_ports(host: str, ports: list[int], process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        if process.poll() is not None:
            raise RuntimeError(f"Azurite exited with code {process.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Azurite did not open ports {pending} within {timeout:.0f} s")
        port = pending[0]
        try:
            with socket.create_connection((host, port), timeout=0.2):
                pending.pop(0)
        except OSError:
            time.sleep(0.05)


@contextmanager
def running_azurite(*, host: str = "127.0.0.1", timeout: float = 30.0) -> Iterator[AzuriteEndpoints]:
    """Start Azurite in memory on three free ports; stop it by PID when the block ends."""
    if not AZURITE_MAIN.exists():
        raise RuntimeError(f"Azurite is not installed at {AZURITE_MAIN}; run `npm ci` (make setup does)")
    endpoints = AzuriteEndpoints(host, free_port(host), free_port(host), free_port(host))
    argv = [
        "node", str(AZURITE_MAIN),
        "--inMemoryPersistence", "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
        "--blobHost", host, "--blobPort", str(endpoints.blob_port),
        "--queueHost", host, "--queuePort", str(endpoints.queue_port),
        "--tableHost", host, "--tablePort", str(endpoints.table_port),
    ]
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_ports(host, [endpoints.blob_port, endpoints.queue_port, endpoints.table_port], process, timeout)
        yield endpoints
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    stop = False

    def _on_term(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, _on_term)
    with running_azurite(host=args.host) as endpoints:
        print(json.dumps({
            "blob_port": endpoints.blob_port,
            "queue_port": endpoints.queue_port,
            "table_port": endpoints.table_port,
            "connection_string": endpoints.connection_string,
        }), flush=True)
        while not stop:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up settings (the command-line flags) of the stand-in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 0
    time_scale: float = 1.0
    seed: int = 0
    faults: str | None = None
    event_sink: str | None = None
    event_schema: str = "eventgrid"
    event_batch_size: int = 10
    event_max_attempts: int = 30
    cert_dir: Path | None = None
    limits: bool = True
    record_limit: int = 50_000
    resource_name: str = "acs-emulator"

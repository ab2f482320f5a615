"""The host.json options the local host honours: the HTTP route prefix and the queue listener's."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(?:(?P<days>\d+)\.)?(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")


class HostJsonError(ValueError):
    """host.json holds a value the host would reject."""


def parse_timespan(value: Any, *, name: str, integer_unit_seconds: float) -> float:
    """Seconds from a .NET TimeSpan string ("00:00:02", "1.00:00:00") or a number.

    A bare number is read in ``integer_unit_seconds`` units (the host reads
    ``maxPollingInterval`` numbers as milliseconds).
    """
    if isinstance(value, bool):
        raise HostJsonError(f"{name}: expected a TimeSpan like '00:00:02', got {value!r}")
    if isinstance(value, int | float):
        return float(value) * integer_unit_seconds
    if isinstance(value, str):
        match = _TIMESPAN.match(value.strip())
        if match:
            days = int(match.group("days") or 0)
            return days * 86400 + int(match.group("h")) * 3600 + int(match.group("m")) * 60 + float(match.group("s"))
    raise HostJsonError(f"{name}: expected a TimeSpan like '00:00:02', got {value!r}")


@dataclass(frozen=True)
class QueueOptions:
    """``extensions.queues`` with the defaults of the storage queues extension (v5)."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    message_encoding: str = "base64"

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> QueueOptions:
        """Validate and apply the keys the host knows; unknown keys are ignored like the host does."""
        batch_size = int(raw.get("batchSize", cls.batch_size))
        if not 1 <= batch_size <= 32:
            raise HostJsonError(f"extensions.queues.batchSize must be 1..32, got {batch_size}")
        threshold = int(raw.get("newBatchThreshold", batch_size // 2))
        if threshold < 0:
            raise HostJsonError(f"extensions.queues.newBatchThreshold must be >= 0, got {threshold}")
        polling = cls.max_polling_interval
        if "maxPollingInterval" in raw:
            polling = parse_timespan(
                raw["maxPollingInterval"], name="extensions.queues.maxPollingInterval", integer_unit_seconds=0.001
            )
            if polling < 0.1:
                raise HostJsonError("extensions.queues.maxPollingInterval must be at least 100 ms")
        visibility = cls.visibility_timeout
        if "visibilityTimeout" in raw:
            visibility = parse_timespan(
                raw["visibilityTimeout"], name="extensions.queues.visibilityTimeout", integer_unit_seconds=1.0
            )
        max_dequeue = int(raw.get("maxDequeueCount", cls.max_dequeue_count))
        if max_dequeue < 1:
            raise HostJsonError(f"extensions.queues.maxDequeueCount must be >= 1, got {max_dequeue}")
        encoding = str(raw.get("messageEncoding", cls.message_encoding)).lower()
        if encoding not in {"base64", "none"}:
            raise HostJsonError(f"extensions.queues.messageEncoding must be 'base64' or 'none', got {encoding!r}")
        return cls(batch_size, threshold, polling, visibility, max_dequeue, encoding)


@dataclass(frozen=True)
class HostConfig:
    """What the local host reads from host.json; everything else in the file is ignored."""

    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> HostConfig:
        extensions = raw.get("extensions") or {}
        http = extensions.get("http") or {}
        prefix = str(http.get("routePrefix", "api")).strip("/")
        return cls(route_prefix=prefix, queues=QueueOptions.from_json(extensions.get("queues") or {}))

    @classmethod
    def load(cls, path: str | Path | None) -> HostConfig:
        """Read ``path``; ``None`` gives the host's defaults."""
        if path is None:
            return cls()
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

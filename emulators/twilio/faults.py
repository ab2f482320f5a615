"""Fault injection and limits: seeded error probabilities, latency, a concurrency ceiling, write APS.

Fault spec (``--faults`` or ``POST /_admin/faults``): comma-separated ``[CLASS:]KEY=VALUE`` items,
or the same pairs as a JSON object. Classes: ``list``, ``fetch``, ``create``, ``update``,
``delete``, ``media`` plus aliases ``read`` (list+fetch), ``write`` (create+update+delete) and
``all`` (default when no class is given). Keys:

- ``429``, ``500``, ``503``, ``drop``: probability 0..1 per request of that class
- ``latency``: ``FIXED[+JITTER]`` with ``ms`` or ``s`` units, e.g. ``5ms+10ms`` (jitter uniform)
- ``concurrency``: requests in flight beyond which 429 (20429) is answered; 0 = unlimited
- ``conversation_aps`` / ``service_aps``: write actions per second per conversation / per service; 0 = off
- ``retry_after``: seconds to put in ``Retry-After`` on injected and limit 429s (omitted by default)

Example: ``429=0.05,500=0.02,list:503=0.01,drop=0.01,latency=5ms+10ms,concurrency=50``.
Every window (the 1 s of the APS limits) is divided by the server's ``--time-scale``.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import TwilioError, too_many_requests

CLASSES = ("list", "fetch", "create", "update", "delete", "media")
ALIASES = {
    "all": CLASSES,
    "*": CLASSES,
    "read": ("list", "fetch"),
    "write": ("create", "update", "delete"),
    **{c: (c,) for c in CLASSES},
}
KINDS = ("429", "500", "503", "drop")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$")


@dataclass
class FaultConfig:
    """What to inject and which limits to enforce."""

    rates: dict[str, dict[str, float]] = field(default_factory=dict)  # class -> kind -> probability
    latency: float = 0.0
    jitter: float = 0.0
    concurrency: int = 100
    conversation_aps: int = 30
    service_aps: int = 30
    retry_after: float | None = None

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def _seconds(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"bad duration {text!r} (use e.g. 5ms or 0.2s)")
    value = float(match[1])
    return value / 1000.0 if (match[2] or "ms") == "ms" else value


def parse_fault_spec(spec: str | dict[str, Any] | None, base: FaultConfig | None = None) -> FaultConfig:
    """Parse a fault spec (string or JSON object) on top of ``base`` (defaults when omitted)."""
    config = FaultConfig() if base is None else FaultConfig(**{**asdict(base)})
    config.rates = {k: dict(v) for k, v in config.rates.items()}
    if spec is None or spec == "":
        return config
    pairs: list[tuple[str, str]]
    if isinstance(spec, dict):
        pairs = [(str(k), str(v)) for k, v in spec.items()]
    elif spec.lstrip().startswith("{"):
        pairs = [(str(k), str(v)) for k, v in json.loads(spec).items()]
    else:
        pairs = []
        for item in spec.split(","):
            if not item.strip():
                continue
            if "=" not in item:
                raise ValueError(f"fault item {item!r} is not KEY=VALUE")
            key, value = item.split("=", 1)
            pairs.append((key.strip(), value.strip()))
    for key, value in pairs:
        klass, _, name = key.rpartition(":")
        klass = klass or "all"
        if name in KINDS:
            if klass not in ALIASES:
                raise ValueError(f"unknown request class {klass!r}; use one of {sorted(ALIASES)}")
            probability = float(value)
            if not 0.0 <= probability <= 1.0:
                raise ValueError(f"probability for {key!r} must be within 0..1")
            for target in ALIASES[klass]:
                config.rates.setdefault(target, {})[name] = probability
        elif name == "latency":
            fixed, _, jitter = value.partition("+")
            config.latency = _seconds(fixed)
            config.jitter = _seconds(jitter) if jitter else 0.0
        elif name in ("concurrency", "conversation_aps", "service_aps"):
            setattr(config, name, int(value))
        elif name == "retry_after":
            config.retry_after = float(value)
        else:
            raise ValueError(f"unknown fault key {key!r}")
    return config


@dataclass
class Decision:
    """What the injector decided for one request."""

    delay: float = 0.0
    status: int | None = None  # 429, 500, 503
    drop: bool = False


class FaultInjector:
    """Draws seeded decisions in request-arrival order, so a seed and a request sequence replay exactly."""

    def __init__(self, seed: int | str, config: FaultConfig) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self.config = config

    def decide(self, klass: str) -> Decision:
        cfg = self.config
        decision = Decision()
        if cfg.latency or cfg.jitter:
            decision.delay = cfg.latency + (self._rng.uniform(0.0, cfg.jitter) if cfg.jitter else 0.0)
        rates = cfg.rates.get(klass)
        if not rates:
            return decision
        roll = self._rng.random()
        for kind in KINDS:
            probability = rates.get(kind, 0.0)
            if roll < probability:
                if kind == "drop":
                    decision.drop = True
                else:
                    decision.status = int(kind)
                return decision
            roll -= probability
        return decision

    def error_for(self, status: int) -> TwilioError:
        if status == 429:
            return too_many_requests(retry_after=self.config.retry_after)
        if status == 503:
            return TwilioError(503, 20503, "Service Unavailable")
        return TwilioError(500, 20500, "Internal Server Error")


class WriteLimiter:
    """Fixed-window action counters per key (conversation or service SID); windows shrink by time-scale."""

    def __init__(self, time_scale: float) -> None:
        self.window = 1.0 / time_scale
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str, limit: int, retry_after: float | None) -> None:
        """Count one action; raise 429 (20429) when ``limit`` actions already happened in this window."""
        if limit <= 0:
            return
        moment = time.monotonic()
        start, count = self._windows.get(key, (moment, 0))
        if moment - start >= self.window:
            start, count = moment, 0
        if count >= limit:
            self._windows[key] = (start, count)
            raise too_many_requests(
                f"Too Many Requests: more than {limit} actions per second on {key}",
                retry_after=retry_after if retry_after is not None else None,
            )
        self._windows[key] = (start, count + 1)
        if len(self._windows) > 50_000:
            self._windows = {k: v for k, v in self._windows.items() if moment - v[0] < self.window}

"""Seeded fault injection: latency, error statuses, dropped connections, lost responses.

Spec format (``--faults`` or ``PUT /__admin/faults``): rules separated by ``;``, each
``kind[:key=value[,key=value...]]``. Kinds: ``latency`` (``ms``), ``status`` (``code``
429/500/503, ``retry_after`` seconds or ``none``), ``drop`` (connection reset before the
request is processed), ``lost`` (the request is processed and stored, then the connection
is reset). A ``status`` rule with ``after=1`` processes the request first and then answers
the error (the write happened; an SDK retry duplicates it). Common keys: ``p`` probability
(default 1), ``ops`` operation-id globs joined by ``|`` (default all API operations), ``n``
how many times it may fire (default unlimited).
Example: ``latency:ms=20,p=0.5;status:code=503,p=0.1;lost:ops=*SendChatMessage,n=1``.
A JSON list of rule objects with the same keys is accepted too.
"""

from __future__ import annotations

import fnmatch
import json
import random
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("latency", "status", "drop", "lost")
STATUS_CODES = (429, 500, 503)


class FaultSpecError(ValueError):
    """The fault spec cannot be parsed."""


@dataclass
class FaultRule:
    """One rule; ``remaining`` counts down from ``n`` and ``fired`` counts up."""

    kind: str
    p: float = 1.0
    ops: list[str] = field(default_factory=lambda: ["*"])
    n: int | None = None
    ms: float = 0.0
    code: int = 503
    retry_after: float | None = 1.0
    after: bool = False
    fired: int = 0

    def matches(self, operation: str) -> bool:
        op = operation.lower()
        return any(fnmatch.fnmatchcase(op, pattern.lower()) for pattern in self.ops)

    def exhausted(self) -> bool:
        return self.n is not None and self.fired >= self.n

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _rule_from_mapping(raw: dict[str, Any]) -> FaultRule:
    kind = str(raw.get("kind", "")).lower()
    if kind not in KINDS:
        raise FaultSpecError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
    ops = raw.get("ops", ["*"])
    if isinstance(ops, str):
        ops = [o for o in ops.split("|") if o]
    try:
        rule = FaultRule(kind=kind, p=float(raw.get("p", 1.0)), ops=[str(o) for o in ops] or ["*"])
        if raw.get("n") is not None:
            rule.n = int(raw["n"])
        rule.ms = float(raw.get("ms", 0.0))
        rule.code = int(raw.get("code", 503))
        retry_after = raw.get("retry_after", 1.0)
        rule.retry_after = None if retry_after in (None, "none", "") else float(retry_after)
        rule.after = str(raw.get("after", "0")).lower() in ("1", "true", "yes")
    except (TypeError, ValueError) as exc:
        raise FaultSpecError(f"bad value in fault rule {raw!r}: {exc}") from exc
    if not 0.0 <= rule.p <= 1.0:
        raise FaultSpecError("p must be between 0 and 1")
    if kind == "status" and rule.code not in STATUS_CODES:
        raise FaultSpecError(f"status faults use codes {STATUS_CODES}")
    unknown = set(raw) - {"kind", "p", "ops", "n", "ms", "code", "retry_after", "after", "fired"}
    if unknown:
        raise FaultSpecError(f"unknown fault keys {sorted(unknown)}")
    return rule


def parse_spec(spec: str | list[Any] | None) -> list[FaultRule]:
    """Parse the compact string form or a JSON list of rule objects."""
    if spec is None:
        return []
    if isinstance(spec, list):
        return [_rule_from_mapping(dict(item)) for item in spec]
    text = spec.strip()
    if not text:
        return []
    if text.startswith("["):
        return parse_spec(json.loads(text))
    rules = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        kind, _, rest = chunk.partition(":")
        raw: dict[str, Any] = {"kind": kind.strip()}
        for pair in filter(None, (p.strip() for p in rest.split(","))):
            key, sep, value = pair.partition("=")
            if not sep:
                raise FaultSpecError(f"expected key=value in {chunk!r}")
            raw[key.strip()] = value.strip()
        rules.append(_rule_from_mapping(raw))
    return rules


@dataclass
class Decision:
    """What to do to one request."""

    delay_s: float = 0.0
    status: FaultRule | None = None
    status_after: FaultRule | None = None
    drop: bool = False
    lost: bool = False


class FaultInjector:
    """Decides, with its own seeded RNG, which faults hit each request."""

    def __init__(self, seed: int, rules: list[FaultRule] | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.rules = rules or []

    def configure(self, rules: list[FaultRule], seed: int | None = None) -> None:
        self.rules = rules
        if seed is not None:
            self.seed = seed
        self.rng = random.Random(self.seed)

    def _fires(self, rule: FaultRule, operation: str) -> bool:
        if rule.exhausted() or not rule.matches(operation):
            return False
        if rule.p < 1.0 and self.rng.random() >= rule.p:
            return False
        rule.fired += 1
        return True

    def decide(self, operation: str) -> Decision:
        decision = Decision()
        if not self.rules:
            return decision
        for rule in self.rules:
            if rule.kind == "latency" and self._fires(rule, operation):
                decision.delay_s += rule.ms / 1000.0
        for rule in self.rules:
            if rule.kind in ("drop", "status", "lost") and self._fires(rule, operation):
                if rule.kind == "drop":
                    decision.drop = True
                elif rule.kind == "status" and rule.after:
                    decision.status_after = rule
                elif rule.kind == "status":
                    decision.status = rule
                else:
                    decision.lost = True
                break
        return decision

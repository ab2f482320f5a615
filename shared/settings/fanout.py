"""The event fan-out: delivery retries, and which subscriber URLs are allowed (SSRF guard)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .core import setting
from .parsers import EXPECT_BOOL, boolean, number_between


def _flag(name: str) -> bool:
    return setting(name, boolean, EXPECT_BOOL, default=False)


def _number(name: str, low: float, high: float, default: float) -> float:
    return setting(name, number_between(low, high), f"a number from {low:g} to {high:g}", default=default)


def _whole(check: Callable[[str], float | None]) -> Callable[[str], int | None]:
    def parse(value: str) -> int | None:
        number = check(value)
        return None if number is None else int(number)

    return parse


@dataclass(frozen=True)
class FanoutSettings:
    """The event fan-out: delivery retries, and which subscriber URLs are allowed (SSRF guard)."""

    allow_http: bool = _flag("FANOUT_ALLOW_HTTP")  # development only: accept http:// subscriber URLs
    allow_private_targets: bool = _flag("FANOUT_ALLOW_PRIVATE_TARGETS")  # development only: private targets
    max_attempts: int = setting(  # delivery attempts before a dead letter
        "FANOUT_MAX_ATTEMPTS", _whole(number_between(1, 50)), "a number from 1 to 50", default=8)
    retry_base_seconds: float = _number("FANOUT_RETRY_BASE_SECONDS", 0, 3600, 10.0)  # doubles per attempt
    retry_max_seconds: float = _number("FANOUT_RETRY_MAX_SECONDS", 0, 7 * 24 * 3600, 3600.0)  # retry delay cap
    cache_seconds: float = _number("FANOUT_CACHE_SECONDS", 0, 3600, 5.0)  # subscriptions and ids, per instance
    queue_first_attempt: bool = _flag("FANOUT_QUEUE_FIRST_ATTEMPT")  # every first attempt through the queue

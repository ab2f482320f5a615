"""Our own retries for ACS and Twilio calls: 429 with ``Retry-After``, 5xx, and lost connections.

azure-core's retries are switched off on every chat client the exporter builds
(``retry_total=0``): a retried send could duplicate a message, because sending has no
idempotency key. Instead a send whose outcome is unknown (connection lost after the
request went out, 5xx, timeout) is *reconciled*: the caller looks in the thread for the
message before sending it again.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from .. import telemetry
from .pacing import Cancelled

T = TypeVar("T")

_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
THROTTLE_BUDGET = 8  # 429s allowed per call, as a multiple of the attempts
THROTTLE_MAX_DELAY = 2.0  # seconds: the longest wait after a 429 that named none


@dataclass(frozen=True)
class Failure:
    """What a failed call means for the next attempt."""

    retryable: bool
    throttled: bool = False  # a 429
    after: float | None = None  # seconds the server asked us to wait
    unknown_outcome: bool = False  # the write may have happened


def _header_seconds(headers: object) -> float | None:
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001), ("Retry-After", 1.0)):
        raw = get(name)
        if raw is None:
            continue
        try:
            return max(0.0, float(raw) * scale)
        except ValueError:
            continue
    return None


def classify(error: BaseException) -> Failure | None:
    """How to treat ``error``; None when it is not a transient failure (do not retry)."""
    if isinstance(error, ServiceRequestError):  # nothing reached the server
        return Failure(retryable=True)
    if isinstance(error, ServiceResponseError):  # sent; the answer was lost
        return Failure(retryable=True, unknown_outcome=True)
    if isinstance(error, HttpResponseError):
        status = error.status_code or 0
        if status not in _RETRY_STATUSES:
            return None
        response = getattr(error, "response", None)
        after = _header_seconds(getattr(response, "headers", None))
        return Failure(retryable=True, throttled=status == 429, after=after, unknown_outcome=status >= 500)
    return _classify_twilio(error)


def _classify_twilio(error: BaseException) -> Failure | None:
    from twilio.base.exceptions import TwilioException, TwilioRestException

    status: int | None = None
    headers: object = None
    if isinstance(error, TwilioRestException):
        status = int(error.status)
    elif isinstance(error, TwilioException) and len(error.args) > 1:  # list/page errors carry the response
        response = error.args[1]
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
    elif _is_http_status_error(error):
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
    elif _is_connection_error(error):
        return Failure(retryable=True)
    if status is None or status not in _RETRY_STATUSES:
        return None
    return Failure(retryable=True, throttled=status == 429, after=_header_seconds(headers))


def _is_http_status_error(error: BaseException) -> bool:
    import httpx

    return isinstance(error, httpx.HTTPStatusError)


def _is_connection_error(error: BaseException) -> bool:
    import httpx
    import requests

    return isinstance(error, requests.ConnectionError | requests.Timeout | httpx.TransportError)


@dataclass
class RetryStats:
    """Counters shared by every worker of a run (thread-safe)."""

    throttled_acs: int = 0
    retries: int = 0
    reconciled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)


class GaveUpError(Exception):
    """A call kept failing transiently for every attempt."""


class Retrier:
    """Runs calls with bounded attempts, full-jitter backoff, and ``Retry-After`` honoured."""

    def __init__(
        self,
        *,
        attempts: int,
        stats: RetryStats,
        stop: threading.Event,
        base_delay: float = 0.2,
        max_delay: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        self.attempts = attempts
        self.stats = stats
        self.stop = stop
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._rng = rng or random.Random()

    def backoff(self, attempt: int, failure: Failure) -> float:
        """``Retry-After`` when given; else full jitter, capped lower for 429s (the server did nothing)."""
        if failure.after is not None:
            return failure.after
        cap = THROTTLE_MAX_DELAY if failure.throttled else self.max_delay
        return self._rng.uniform(0, min(cap, self.base_delay * 2**attempt))

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise Cancelled

    def call(
        self,
        fn: Callable[[], T],
        *,
        what: str,
        service: str = "acs",
        on_throttle: Callable[[float], None] | None = None,
        recover: Callable[[], T | None] | None = None,
    ) -> T:
        """``fn()`` until it succeeds.

        After an unknown outcome (the write may have happened), ``recover()`` runs before the
        next attempt and its result, if any, is returned instead of writing again. 429s do not
        use up ``attempts`` (the server never processed them); they have a budget of their own.
        """
        failures = throttles = 0
        uncertain = False
        last: BaseException | None = None
        while True:
            if uncertain and recover is not None:
                found = recover()
                if found is not None:
                    self.stats.add("reconciled")
                    return found
                uncertain = False  # not there: sending again cannot duplicate it
            try:
                return fn()
            except Cancelled:
                raise
            except Exception as exc:  # classified below; anything unknown is re-raised
                failure = classify(exc)
                if failure is None or not failure.retryable:
                    raise
                last = exc
                self.stats.add("retries")
                uncertain = uncertain or failure.unknown_outcome
                if failure.throttled:
                    throttles += 1
                    if service == "acs":
                        self.stats.add("throttled_acs")
                    if throttles > self.attempts * THROTTLE_BUDGET:
                        break
                    delay = self.backoff(min(throttles, 6), failure)
                    telemetry.throttled(service, delay)
                    if on_throttle is not None:  # the pacer waits before the next attempt
                        on_throttle(delay)
                    else:
                        self.sleep(delay)
                    continue
                failures += 1
                if failures >= self.attempts:
                    break
                self.sleep(self.backoff(failures, failure))
        if uncertain and recover is not None:
            found = recover()
            if found is not None:
                self.stats.add("reconciled")
                return found
        raise GaveUpError(f"{what} failed {failures + throttles} times; last error: {_describe(last)}")


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "none"
    status = getattr(error, "status_code", None) or getattr(error, "status", None)
    return f"{type(error).__name__}{f' {status}' if status else ''}"

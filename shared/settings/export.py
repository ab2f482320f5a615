"""How fast and how wide the history export runs."""

from __future__ import annotations

from dataclasses import dataclass

from .core import setting
from .parsers import EXPECT_POSITIVE_INT, EXPECT_POSITIVE_NUMBER, positive_int, positive_number

Windows = tuple[tuple[int, float], ...]

EXPECT_LIMITS = "comma-separated COUNT/SECONDS windows, e.g. 10/10,30/60"


def _limits(value: str) -> Windows | None:
    windows = []
    for part in value.split(","):
        count, sep, seconds = part.strip().partition("/")
        try:
            window = (int(count), float(seconds))
        except ValueError:
            return None
        if not sep or window[0] < 1 or not 0 < window[1] < float("inf"):
            return None
        windows.append(window)
    return tuple(windows)


def _windows(name: str, default: Windows) -> Windows:
    return setting(name, _limits, EXPECT_LIMITS, default=default)


def _count(name: str, default: int) -> int:
    return setting(name, positive_int, EXPECT_POSITIVE_INT, default=default)


def _seconds(name: str, default: float) -> float:
    return setting(name, positive_number, EXPECT_POSITIVE_NUMBER, default=default)


@dataclass(frozen=True)
class ExportSettings:
    """How fast and how wide the history export runs.

    Limits are ``COUNT/SECONDS`` windows, ACS's documented service limits by default;
    ``rate_time_scale`` multiplies every window (below 1 only for a time-scaled stand-in).
    """

    concurrency: int = _count("EXPORT_CONCURRENCY", 32)  # conversations exported at once
    send_limits: Windows = _windows("EXPORT_SEND_LIMITS", ((10, 10.0), (30, 60.0)))  # send/update/delete, per thread
    participant_limits: Windows = _windows("EXPORT_PARTICIPANT_LIMITS", ((10, 10.0), (30, 60.0)))  # per thread
    thread_create_limits: Windows = _windows("EXPORT_THREAD_CREATE_LIMITS", ((10, 10.0),))  # per creating user
    identity_limits: Windows = _windows("EXPORT_IDENTITY_LIMITS", ((1000, 30.0),))  # users and tokens, per resource
    rate_time_scale: float = _seconds("EXPORT_RATE_TIME_SCALE", 1.0)
    slice_seconds: float = _seconds("EXPORT_SLICE_SECONDS", 240.0)  # time budget of one queue-triggered slice
    lease_seconds: float = _seconds("EXPORT_LEASE_SECONDS", 300.0)
    max_attempts: int = _count("EXPORT_MAX_ATTEMPTS", 8)  # per ACS or Twilio call: 429s and transient failures
    flush_every: int = _count("EXPORT_FLUSH_EVERY", 50)  # message map rows per batch; the high-water mark follows

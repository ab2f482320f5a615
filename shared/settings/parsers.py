"""Parsers for setting values: each returns the parsed value, or None when the value is malformed."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

EXPECT_URL = "an absolute http(s) URL"
EXPECT_BOOL = "true or false"
EXPECT_POSITIVE_INT = "a whole number of at least 1"
EXPECT_POSITIVE_NUMBER = "a number above 0"

_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def text(value: str) -> str:
    """Any non-blank value, as it is."""
    return value


def boolean(value: str) -> bool | None:
    """true/false, 1/0 or yes/no, in any case."""
    return _BOOLEANS.get(value.lower())


def match(pattern: re.Pattern[str] | str) -> Callable[[str], str | None]:
    """The value when ``pattern`` matches it."""
    compiled = re.compile(pattern)
    return lambda value: value if compiled.match(value) else None


def one_of(allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    """The value when it is one of ``allowed``."""
    return lambda value: value if value in allowed else None


def url(value: str) -> str | None:
    """An absolute http(s) URL, without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return value.rstrip("/")
    return None


def csv(allowed: tuple[str, ...]) -> Callable[[str], tuple[str, ...] | None]:
    """A comma-separated, non-empty list drawn from ``allowed`` (duplicates dropped, order kept)."""
    def check(value: str) -> tuple[str, ...] | None:
        items = tuple(dict.fromkeys(item.strip() for item in value.split(",") if item.strip()))
        return items if items and all(item in allowed for item in items) else None

    return check


def int_between(low: int, high: int) -> Callable[[str], int | None]:
    """A whole number (up to six digits) from ``low`` to ``high``."""
    def check(value: str) -> int | None:
        return int(value) if re.fullmatch(r"[0-9]{1,6}", value) and low <= int(value) <= high else None

    return check


def positive_int(value: str) -> int | None:
    """A whole number (up to six digits) of at least 1."""
    return int(value) if re.fullmatch(r"[0-9]{1,6}", value) and int(value) >= 1 else None


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def number_between(low: float, high: float) -> Callable[[str], float | None]:
    """A number from ``low`` to ``high``, both included."""
    def check(value: str) -> float | None:
        number = _number(value)
        return number if number is not None and low <= number <= high else None

    return check


def number_at_least_below(low: float, high: float) -> Callable[[str], float | None]:
    """A number from ``low`` (included) to ``high`` (excluded)."""
    def check(value: str) -> float | None:
        number = _number(value)
        return number if number is not None and low <= number < high else None

    return check


def positive_number(value: str) -> float | None:
    """A finite number above 0."""
    number = _number(value)
    return number if number is not None and 0 < number < float("inf") else None


def parse_connection_string(value: str) -> dict[str, str]:
    """``key=value;key=value`` into a dict with lower-case keys (values keep their ``=``)."""
    pairs: dict[str, str] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition("=")
        if not sep:
            raise ValueError("connection string part without '='")
        pairs[key.strip().lower()] = val.strip()
    return pairs

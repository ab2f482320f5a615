"""Edge validation shared by every trigger: known body fields, query values, instants (400 naming the problem).

Values are checked once, where they enter, with rules stricter than Python's own parsers:
``str.isdigit`` accepts ``²`` and ``①`` and ``int`` then fails; ``datetime`` overflows near
years 1 and 9999 once an offset is applied. Nothing here reads the environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import BadRequestError

_ASCII_INT = re.compile(r"[0-9]{1,9}\Z")
_FRACTION = re.compile(r"(\.\d{1,6})\d*")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
MAX_INSTANT_CHARS = 40


def shown(value: str, limit: int = 40) -> str:
    """``value`` as an error message may quote it: printable and short, else a placeholder."""
    return value if value.isprintable() and len(value) <= limit else "(unprintable or long)"


def only_fields(body: Mapping[str, Any], known: tuple[str, ...], *, what: str) -> None:
    """400 naming the first field of ``body`` that ``known`` does not list."""
    unknown = sorted(k for k in body if k not in known)
    if unknown:
        name = shown(unknown[0])
        raise BadRequestError(f"Unknown field {name!r}; {what} takes {', '.join(known)}.", target=name)


def parse_int(value: object, *, what: str, low: int, high: int) -> int:
    """ASCII digits (or a JSON integer) from ``low`` to ``high``; else 400 naming ``what``."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _ASCII_INT.match(value):
        number = int(value)
    if number is None or not low <= number <= high:
        raise BadRequestError(f"{what} must be a whole number from {low} to {high}.", target=what)
    return number


def query_int(query: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    """The query value ``name`` as a whole number (``default`` when absent); else 400."""
    raw = query.get(name)
    return default if raw is None else parse_int(raw, what=name, low=low, high=high)


def parse_instant(value: object, *, what: str, date_only: bool = False) -> datetime | None:
    """An ISO 8601 date-time with a zone (``Z`` or an offset), in UTC; ``None`` when absent; else 400.

    ``date_only`` also accepts a bare date or zone-less time, read as UTC. Instants before 1970 or
    from 9000 on are refused, so arithmetic on them (windows, offsets, margins) cannot overflow.
    """
    if value is None:
        return None
    example = "2026-12-01" if date_only else "2026-12-01T09:00:00Z"
    problem = f"{what} must be an ISO 8601 {'date or ' if date_only else ''}date-time such as {example}."
    if not isinstance(value, str) or len(value) > MAX_INSTANT_CHARS or not value.isascii():
        raise BadRequestError(problem, target=what)
    text = _FRACTION.sub(lambda m: m.group(1), value.strip())
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadRequestError(problem, target=what) from None
    if moment.tzinfo is None:
        if not date_only:
            raise BadRequestError(f"{what} needs a time zone (Z or an offset such as +01:00).", target=what)
        moment = moment.replace(tzinfo=UTC)
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        raise BadRequestError(f"{what} must lie between 1970 and 9000.", target=what) from None
    if not EARLIEST <= utc < LATEST:
        raise BadRequestError(f"{what} must lie between 1970 and 9000.", target=what)
    return utc

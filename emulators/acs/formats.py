"""Timestamp and id formats exactly as ACS writes them on the wire."""

from __future__ import annotations

import re
from datetime import UTC, datetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FRACTION = re.compile(r"(\.\d{1,6})\d*")


def utc_from_ms(ms: int) -> datetime:
    """The UTC datetime of an epoch-millisecond value."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def rest_time(moment: datetime) -> str:
    """Chat REST format: whole seconds with ``Z`` (``2024-02-16T23:46:37Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def identity_time(moment: datetime) -> str:
    """Identity ``expiresOn`` format: 7-digit fraction and ``+00:00``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"


def event_time(moment: datetime) -> str:
    """Event Grid envelope format: 7-digit fraction and ``Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def event_data_time(moment: datetime) -> str:
    """Times inside event ``data``: milliseconds and ``+00:00`` (as the examples show)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+00:00"


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (any fraction length, ``Z`` or offset); naive means UTC."""
    value = _FRACTION.sub(r"\1", text.strip())
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of a datetime."""
    return int(moment.timestamp() * 1000)

"""Wire formats: SIDs, Twilio dates, ISO 8601 durations and JSON-string attributes."""

from __future__ import annotations

import json
import random
import re
import time
from datetime import UTC, datetime

from .errors import TwilioError

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_DURATION = re.compile(
    r"^P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


class SidFactory:
    """Makes ``XX`` + 32 hex SIDs from seeded generators, so a seed gives the same SIDs.

    A ``scope`` (the parent's SID, or a natural key) gets its own generator: records created
    in parallel under different parents then get the same SIDs whatever the arrival order.
    """

    def __init__(self, seed: int | str) -> None:
        self._seed = seed
        self._rng = random.Random(f"{seed}:sids")
        self._scoped: dict[str, random.Random] = {}

    def new(self, prefix: str, scope: str | None = None) -> str:
        return f"{prefix}{self.rng(scope).getrandbits(128):032x}"

    def rng(self, scope: str | None = None) -> random.Random:
        """The generator for ``scope`` (the global one for ``None``)."""
        if scope is None:
            return self._rng
        rng = self._scoped.get(scope)
        if rng is None:
            rng = self._scoped[scope] = random.Random(f"{self._seed}:sids:{scope}")
        return rng


def now() -> int:
    """Current time in whole seconds: Twilio dates carry no fractions."""
    return int(time.time())


def fmt_date(ts: float | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` (exactly what the SDK's ``iso8601_datetime`` parses)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), UTC).strftime(_DATE_FORMAT)


def fmt_date_ms(ts: float) -> str:
    """Webhook form: ``YYYY-MM-DDTHH:MM:SS.mmmZ``."""
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def fmt_date_mcs(ts: float) -> str:
    """MCS form: fractional seconds and an explicit offset, as the real media service sends."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def parse_date(value: str | None, param: str) -> int | None:
    """Parse a request date (``YYYY-MM-DDTHH:MM:SSZ`` or any ISO 8601 form); 400 if invalid."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        moment = datetime.strptime(text, _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise TwilioError(400, 20001, f"Invalid {param}: {value!r} is not an ISO 8601 date") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def parse_duration(value: str | None, param: str, minimum: float) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT1H`` or ``P1D``; 400 (50380) if invalid."""
    if value is None or value == "":
        return None
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        raise TwilioError(400, 50380, f"Invalid {param} format: {value!r}")
    seconds = (
        int(match["d"] or 0) * 86400 + int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + float(match["s"] or 0)
    )
    if seconds < minimum:
        raise TwilioError(400, 50382, f"{param} must be at least {int(minimum)} seconds")
    return seconds


def check_attributes(value: str | None, param: str, limit: int) -> str | None:
    """Attributes must be structurally valid JSON and at most ``limit`` bytes."""
    if value is None:
        return None
    if value == "":
        return "{}"
    try:
        json.loads(value)
    except ValueError as exc:
        raise TwilioError(400, 50001, f"{param} must be a valid JSON string") from exc
    if len(value.encode()) > limit:
        raise TwilioError(400, 50006, f"{param} exceed the maximum size of {limit} bytes")
    return value


def parse_int(value: str | None, param: str) -> int | None:
    """Integer form values; 400 on garbage."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise TwilioError(400, 20001, f"Invalid {param}: {value!r}") from exc

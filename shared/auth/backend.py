"""The trusted backend's key: compared in constant time, never logged."""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ..settings import Secret

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def presented_key(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    """The key the caller sent (``x-functions-key`` header first, then ``?code=``), or None."""
    value = headers.get(KEY_HEADER)
    if value is None:
        value = query.get(KEY_QUERY)
    return value


def key_matches(presented: str, expected: Secret) -> bool:
    """Constant-time comparison, so response timing says nothing about how much of the key matched."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.reveal().encode("utf-8"))

"""Host keys and the authLevel check the host applies before it runs an HTTP function."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass


def new_key() -> str:
    """A random key in the shape the host generates (URL-safe, 40+ characters)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class HostKeys:
    """The host's default function key, its master (admin) key and the Event Grid system key."""

    function_key: str
    admin_key: str
    eventgrid_key: str

    @classmethod
    def create(
        cls, function_key: str | None = None, admin_key: str | None = None, eventgrid_key: str | None = None
    ) -> HostKeys:
        """Generate any key not given; the Event Grid system key defaults to the function key."""
        function_key = function_key or new_key()
        return cls(function_key, admin_key or new_key(), eventgrid_key or function_key)


def presented_key(query: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
    """The key a caller sent: the ``x-functions-key`` header wins over ``?code=``, as in the host."""
    return headers.get("x-functions-key") or query.get("code")


def _equal(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def is_system_authorized(key: str | None, keys: HostKeys) -> bool:
    """Whether ``key`` may call an extension webhook: the master key or the extension's system key."""
    return _equal(key, keys.admin_key) or _equal(key, keys.eventgrid_key)


def is_authorized(level: str, key: str | None, keys: HostKeys) -> bool:
    """Whether ``key`` satisfies ``level`` (anonymous, function, admin or system)."""
    level = level.lower()
    if level == "anonymous":
        return True
    if _equal(key, keys.admin_key):
        return True
    if level == "function":
        return _equal(key, keys.function_key)
    return False

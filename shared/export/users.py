"""Twilio Users' friendly names by identity: one fetch per identity, or one paged read of the service's users.

The twilio SDK formats a path value into the URL as it is (``users("a/b").fetch()``
requests ``…/Users/a/b``), so every identity is percent-escaped into one path segment
first (``path_segment``); Twilio decodes it back. An identity may hold ``/ ? # %``,
spaces or any Unicode.

Which read is cheaper depends on how many names are wanted: a live sync wants two or three,
a full export wants every user. Each service starts with one fetch per identity; once
``directory_after`` identities of one service were fetched within ``ttl_seconds``, the rest
come from a single paged read of its users (100 per page). A caller that knows which names it
is about to want (the nightly run: every participant of a page of conversations) says so with
``expect``, and with ``directory_after`` or more unknown ones the paged read comes first.
Names are kept ``ttl_seconds``, so a long-lived worker sees a rename at its next nightly run.
bench/users.py measures both.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from twilio.base.exceptions import TwilioRestException

PAGE_SIZE = 100
TTL_SECONDS = 600.0
DIRECTORY_AFTER = 50
CHAT = "chat"


def path_segment(identity: str) -> str:
    """``identity`` as one URL path segment: every reserved character, ``%`` and non-ASCII percent-escaped."""
    return quote(identity, safe="")


@dataclass
class _ServiceNames:
    started: float
    names: dict[str, str | None] = field(default_factory=dict)
    fetched: int = 0
    directory: bool = False  # every user of the service is in ``names``; absent identities have no user


class UserNames:
    """Friendly names per (source, service, identity), read through the twilio SDK; safe across threads."""

    def __init__(
        self,
        client: Any,
        *,
        call: Callable[[Callable[[], Any], str], Any],
        pages: Callable[[Callable[[], Any], str], Iterator[list[Any]]],
        ttl_seconds: float = TTL_SECONDS,
        directory_after: int = DIRECTORY_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._call = call
        self._pages = pages
        self._ttl = ttl_seconds
        self._directory_after = directory_after
        self._clock = clock
        self._services: dict[tuple[str, str], _ServiceNames] = {}
        self._lock = threading.Lock()

    def _users_api(self, source: str, service_sid: str) -> Any:
        if source == CHAT:
            return self._client.chat.v2.services(service_sid).users
        return self._client.conversations.v1.services(service_sid).users

    def _entry(self, source: str, service_sid: str) -> _ServiceNames:
        now = self._clock()
        with self._lock:
            entry = self._services.get((source, service_sid))
            if entry is None or now - entry.started > self._ttl:
                entry = self._services[(source, service_sid)] = _ServiceNames(now)
            return entry

    def friendly_name(self, source: str, service_sid: str, identity: str) -> str | None:
        """The user's friendly name; None when Twilio has no such user or it has no name."""
        entry = self._entry(source, service_sid)
        with self._lock:
            if identity in entry.names or entry.directory:
                return entry.names.get(identity)
            wants_directory = entry.fetched >= self._directory_after
        if wants_directory:
            self._read_directory(source, service_sid, entry)
            with self._lock:
                return entry.names.get(identity)
        name = self._fetch(source, service_sid, identity)
        with self._lock:
            entry.names[identity] = name
            entry.fetched += 1
        return name

    def expect(self, source: str, service_sid: str, identities: Iterable[str]) -> None:
        """The names of ``identities`` are about to be asked for: if ``directory_after`` or more of them are
        not known yet, read the service's users now (a few pages) rather than fetch each."""
        entry = self._entry(source, service_sid)
        with self._lock:
            if entry.directory:
                return
            unknown = {i for i in identities if i not in entry.names}
        if len(unknown) >= self._directory_after:
            self._read_directory(source, service_sid, entry)

    def _fetch(self, source: str, service_sid: str, identity: str) -> str | None:
        context = self._users_api(source, service_sid)(path_segment(identity))
        try:
            user = self._call(context.fetch, f"fetching user {identity!r}")
        except TwilioRestException as exc:
            if exc.status != 404:
                raise
            return None
        return user.friendly_name or None

    def _read_directory(self, source: str, service_sid: str, entry: _ServiceNames) -> None:
        api = self._users_api(source, service_sid)
        names: dict[str, str | None] = {}
        for page in self._pages(lambda: api.page(page_size=PAGE_SIZE), f"listing users of {service_sid}"):
            for user in page:
                names[str(user.identity)] = user.friendly_name or None
        with self._lock:
            entry.names.update(names)
            entry.directory = True

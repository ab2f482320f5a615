"""The admin side of subscriptions: validate a request body, check the URL, store, list, delete."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ..errors import BadRequestError
from ..settings import Secret
from ..state import Subscription, SubscriptionStore
from ..state.subscriptions import SubscriptionNotFoundError, new_subscription_id
from .matching import FORMATS, known_event_types
from .ssrf import UrlGuard, ascii_host

_SUBSCRIPTION_ID = re.compile(r"sub_[0-9a-f]{24}\Z")


def is_subscription_id(value: object) -> bool:
    """True for text shaped like the ids ``create_subscription`` hands out."""
    return isinstance(value, str) and _SUBSCRIPTION_ID.match(value) is not None


_FIELDS = frozenset({"url", "format", "eventTypes", "secret", "includeMigrated"})
MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 256


def _ascii_netloc(netloc: str) -> str:
    if netloc.isascii():
        return netloc.lower()
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if not (colon and port.isascii() and port.isdigit()):
        host, colon, port = hostport, "", ""
    return f"{userinfo}{at}{ascii_host(host)}{colon}{port}"


def _ascii_text(text: str) -> str:
    return "".join(c if c.isascii() else quote(c, safe="") for c in text)


def normalise_url(url: str) -> str:
    """Lower-case scheme and host (IDNA), an explicit ``/`` path, non-ASCII percent-encoded: the ASCII URL the
    subscriber will see and sign-check, and the one the SSRF guard judges."""
    if any(c.isspace() or not c.isprintable() for c in url):
        raise BadRequestError("url must not contain spaces, control characters or lone surrogates.", target="url")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise BadRequestError("url is not a valid URL.", target="url") from None
    return urlunsplit((parts.scheme.lower(), _ascii_netloc(parts.netloc), _ascii_text(parts.path) or "/",
                       _ascii_text(parts.query), parts.fragment))


def parse_subscription_request(body: Mapping[str, Any]) -> dict[str, Any]:
    """The create request's fields, type-checked; ``BadRequestError`` naming the first bad one."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise BadRequestError(f"Unknown field(s) {', '.join(unknown)}; expected {', '.join(sorted(_FIELDS))}.",
                              target=unknown[0])
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        raise BadRequestError("url is required: the subscriber's https URL.", target="url")
    fmt = body.get("format")
    if fmt not in FORMATS:
        raise BadRequestError("format is required: twilio, cloudevents or twilio-video.", target="format")
    secret = body.get("secret")
    if not isinstance(secret, str) or not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
        raise BadRequestError(
            f"secret is required: {MIN_SECRET_CHARS}-{MAX_SECRET_CHARS} characters the subscriber verifies with.",
            target="secret",
        )
    event_types = body.get("eventTypes", [])
    if event_types is None:
        event_types = []
    if not isinstance(event_types, list) or not all(isinstance(t, str) for t in event_types):
        raise BadRequestError("eventTypes must be a list of event type names.", target="eventTypes")
    known = known_event_types(fmt)
    unknown_types = [t for t in event_types if t not in known]
    if unknown_types:
        raise BadRequestError(
            f"eventTypes has {unknown_types[0]!r}, which is not a {fmt} event type; use: {', '.join(known)}.",
            target="eventTypes",
        )
    include_migrated = body.get("includeMigrated", False)
    if not isinstance(include_migrated, bool):
        raise BadRequestError("includeMigrated must be true or false.", target="includeMigrated")
    return {"url": normalise_url(url.strip()), "format": fmt, "secret": secret,
            "event_types": tuple(dict.fromkeys(event_types)), "include_migrated": include_migrated}


class SubscriptionService:
    """Creates (after the SSRF check), lists, reads and deletes subscriptions.

    ``on_change`` runs after a create or delete (the dispatcher drops its cached list, so this
    instance sees the change at once; others within ``FANOUT_CACHE_SECONDS``).
    """

    def __init__(self, *, store: SubscriptionStore, guard: UrlGuard,
                 on_change: Callable[[], None] | None = None) -> None:
        self._store = store
        self._guard = guard
        self._on_change = on_change or (lambda: None)

    def create_subscription(self, body: Mapping[str, Any]) -> Subscription:
        fields = parse_subscription_request(body)
        self._guard.check(fields["url"])
        created = self._store.create_subscription(Subscription(
            subscription_id=new_subscription_id(), url=fields["url"], format=fields["format"],
            secret=Secret(fields["secret"]), event_types=fields["event_types"],
            include_migrated=fields["include_migrated"],
        ))
        self._on_change()
        return created

    def list_subscriptions(self) -> list[Subscription]:
        return list(self._store.list_subscriptions())

    def get_subscription(self, subscription_id: str) -> Subscription:
        return self._store.get_subscription(subscription_id)

    def update_subscription(self, subscription_id: str, body: Mapping[str, Any]) -> Subscription:
        """``{"enabled": true|false}``: resume or pause deliveries (an operator's pause says so as its reason)."""
        unknown = sorted(set(body) - {"enabled"})
        if unknown:
            raise BadRequestError(f"Unknown field(s) {', '.join(unknown)[:80]}; only enabled can change.",
                                  target=unknown[0][:40])
        enabled = body.get("enabled")
        if not isinstance(enabled, bool):
            raise BadRequestError("enabled must be true or false.", target="enabled")
        if not is_subscription_id(subscription_id):
            raise SubscriptionNotFoundError(f"There is no subscription {subscription_id[:40]!r}.", target="id")
        updated = self._store.set_enabled(subscription_id, enabled=enabled,
                                          reason=None if enabled else "disabled by an operator")
        self._on_change()
        return updated

    def delete_subscription(self, subscription_id: str) -> None:
        """Remove it; succeeds when it is already gone, 404 for text that is no subscription id at all."""
        if not is_subscription_id(subscription_id):
            raise SubscriptionNotFoundError(f"There is no subscription {subscription_id!r}.", target="id")
        self._store.delete_subscription(subscription_id)
        self._on_change()

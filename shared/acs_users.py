"""ACS users for app identities: the one identity map shared by the token service and the exporter.

``AcsUserService.ensure_user`` gives every identity exactly one ACS user, even when
many first requests race: the first mapping inserted wins, and a loser deletes the ACS
user it created and returns the winner's.

``issue_token`` reads the mapping from a small in-process cache (``MappingCache``), so a
token costs no Table read once the identity has been seen. The cache can never serve an
erased identity: an erase through this process drops the entry; an erase through another
instance deletes the ACS user, so ACS refuses to issue for the cached user (404) and the
mapping is read again from the store (and, the identity being gone, created anew as on
first sight). Tokens themselves are never cached: each request is a fresh ``get_token``,
so a revocation (which ACS applies to tokens issued before it) is never undone by a cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.exceptions import AzureError, ResourceNotFoundError

from .errors import BadRequestError, IdentityKindError
from .state import IdentityMapping, IdentityMapStore
from .state.identity_map import IdentityExistsError

logger = logging.getLogger(__name__)

SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
MIN_EXPIRY = timedelta(minutes=60)
MAX_EXPIRY = timedelta(minutes=1440)


@dataclass(frozen=True)
class IssuedToken:
    """An ACS user token for one identity."""

    identity: str
    acs_user_id: str
    token: str
    expires_on: datetime
    scopes: tuple[str, ...]


def parse_expires_on(value: object) -> datetime:
    """identity 1.5.0 returns ``expires_on`` as the raw string (7-digit fraction, ``+00:00``)."""
    if isinstance(value, datetime):
        return value
    text = str(value)
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits):]
        text = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _of_kind(mapping: IdentityMapping, kinds: Collection[str] | None) -> IdentityMapping:
    if kinds is not None and mapping.kind not in kinds:
        raise IdentityKindError(
            f"The identity {mapping.identity!r} is of kind {mapping.kind!r}, not a signed-in user's; "
            "only the trusted backend may act for it.", target="identity",
        )
    return mapping


class MappingCache:
    """Identity -> mapping, at most ``size`` entries (least recently used dropped), each kept ``ttl`` seconds."""

    def __init__(self, *, size: int = 10_000, ttl: float = 600.0) -> None:
        self._size = size
        self._ttl = ttl
        self._entries: OrderedDict[str, tuple[IdentityMapping, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, identity: str) -> IdentityMapping | None:
        with self._lock:
            entry = self._entries.get(identity)
            if entry is None:
                return None
            if time.monotonic() - entry[1] > self._ttl:
                del self._entries[identity]
                return None
            self._entries.move_to_end(identity)
            return entry[0]

    def put(self, mapping: IdentityMapping) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._entries[mapping.identity] = (mapping, time.monotonic())
            self._entries.move_to_end(mapping.identity)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def drop(self, identity: str) -> None:
        with self._lock:
            self._entries.pop(identity, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class AcsUserService:
    """Maps identities to ACS users and issues their tokens."""

    def __init__(self, *, store: IdentityMapStore, client: CommunicationIdentityClient,
                 cache: MappingCache | None = None) -> None:
        self._store = store
        self._client = client
        self._cache = cache if cache is not None else MappingCache()

    @property
    def cache(self) -> MappingCache:
        return self._cache

    def ensure_user(self, identity: str, *, kind: str = "chat", display_name: str | None = None,
                    kinds: Collection[str] | None = None) -> IdentityMapping:
        """The identity's mapping (read from the store), creating its ACS user on first sight (one winner).

        ``kinds``: the mapping kinds the caller may act for (``None``: any); another kind is a 403.
        """
        mapping = self._ensure_user(identity, kind=kind, display_name=display_name)
        self._cache.put(mapping)
        return _of_kind(mapping, kinds)

    def _ensure_user(self, identity: str, *, kind: str, display_name: str | None) -> IdentityMapping:
        existing = self._store.find_identity(identity)
        if existing is not None:
            return existing
        user = self._client.create_user()
        acs_user_id = str(user.properties["id"])
        try:
            return self._store.create_identity(IdentityMapping(
                identity=identity, acs_user_id=acs_user_id, kind=kind, display_name=display_name
            ))
        except IdentityExistsError as lost:
            self._delete_acs_user(acs_user_id)
            return lost.existing
        except BaseException:  # the mapping could not be stored, for any reason: leave no orphan behind
            self._delete_acs_user(acs_user_id)
            raise

    def issue_token(
        self, identity: str, *, scopes: tuple[str, ...] = ("chat",), expires_in: timedelta = MAX_EXPIRY,
        kinds: Collection[str] | None = None,
    ) -> IssuedToken:
        """A token for ``identity`` (its ACS user created on first sight) with ``scopes``."""
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown or not scopes:
            raise BadRequestError(f"Unknown scope {unknown[0] if unknown else ''!r}; use {', '.join(SCOPES)}.",
                                  target="scopes")
        if not MIN_EXPIRY <= expires_in <= MAX_EXPIRY:
            raise BadRequestError("expiresInMinutes must be between 60 and 1440.", target="expiresInMinutes")
        cached = self._cache.get(identity)
        mapping = _of_kind(cached, kinds) if cached is not None else self.ensure_user(identity, kinds=kinds)
        try:
            token = self._client.get_token(
                CommunicationUserIdentifier(mapping.acs_user_id), list(scopes), token_expires_in=expires_in
            )
        except ResourceNotFoundError:
            if cached is None:
                raise
            # Erased through another instance since it was cached: read the store again (never the cache).
            self._cache.drop(identity)
            mapping = self.ensure_user(identity, kinds=kinds)
            token = self._client.get_token(
                CommunicationUserIdentifier(mapping.acs_user_id), list(scopes), token_expires_in=expires_in
            )
        return IssuedToken(identity, mapping.acs_user_id, token.token, parse_expires_on(token.expires_on), scopes)

    def revoke_tokens(self, identity: str, *, kinds: Collection[str] | None = None) -> IdentityMapping:
        """Revoke every token of the identity's ACS user; raises ``IdentityNotFoundError`` if unmapped."""
        self._cache.drop(identity)
        mapping = _of_kind(self._store.get_identity(identity), kinds)
        self._client.revoke_tokens(CommunicationUserIdentifier(mapping.acs_user_id))
        return mapping

    def delete_user(self, identity: str) -> IdentityMapping | None:
        """Remove the mapping, then the ACS user; succeeds when both are already gone."""
        self._cache.drop(identity)
        mapping = self._store.delete_identity(identity)
        if mapping is not None:
            self._delete_acs_user(mapping.acs_user_id)
        return mapping

    def _delete_acs_user(self, acs_user_id: str) -> None:
        try:
            self._client.delete_user(CommunicationUserIdentifier(acs_user_id))
        except ResourceNotFoundError:
            pass
        except AzureError as exc:
            logger.warning("could not delete ACS user %s (status %s); it holds no mapping", acs_user_id,
                           getattr(exc, "status_code", None))

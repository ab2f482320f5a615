"""Is an identity a participant of an ACS thread, now? ACS answers: the thread is read with the identity's own token.

Nothing is cached but the identity's token, so a participant removed from the thread
loses access at their next request. An identity without an ACS user is no participant of
anything, and no user is created for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

from azure.communication.chat import ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.exceptions import HttpResponseError

from ..acs_users import parse_expires_on
from ..state import IdentityMapStore

TOKEN_REFRESH = timedelta(minutes=15)
_NOT_A_MEMBER = (400, 403, 404)  # a malformed id, a thread the user is not in, a thread that is gone


class ThreadMembership:
    """Answers ``is_participant(identity, thread_id)`` by asking ACS as that identity's user."""

    def __init__(
        self,
        *,
        identity_map: IdentityMapStore,
        identity_client: CommunicationIdentityClient,
        endpoint: str,
        client_options: dict[str, object] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._identity_map = identity_map
        self._identity_client = identity_client
        self._endpoint = endpoint
        self._options = dict(client_options or {})
        self._clock = clock
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def acs_user_of(self, identity: str, *, kinds: Collection[str] | None = None) -> str | None:
        """The identity's ACS user; None when it has none, or is of a kind outside ``kinds``."""
        mapping = self._identity_map.find_identity(identity)
        if mapping is None or (kinds is not None and mapping.kind not in kinds):
            return None
        return mapping.acs_user_id

    def is_participant(self, identity: str, thread_id: str, *, kinds: Collection[str] | None = None) -> bool:
        """True when ACS lets ``identity``'s user read ``thread_id`` (it is a participant right now).

        ``kinds``: the identity-map kinds the caller may act for (a user: users' own, never a migrated SMS
        participant's or the migration's); another kind is no participant."""
        acs_user_id = self.acs_user_of(identity, kinds=kinds)
        if acs_user_id is None:
            return False
        try:
            return self._can_read(acs_user_id, thread_id)
        except HttpResponseError as exc:
            if exc.status_code != 401:  # the cached token was revoked: one fresh token, once
                raise
            with self._lock:
                self._tokens.pop(acs_user_id, None)
            return self._can_read(acs_user_id, thread_id)

    def _can_read(self, acs_user_id: str, thread_id: str) -> bool:
        client = ChatThreadClient(self._endpoint, CommunicationTokenCredential(self._token(acs_user_id)), thread_id,
                                  **self._options)
        try:
            client.get_properties()
        except HttpResponseError as exc:
            if exc.status_code in _NOT_A_MEMBER:
                return False
            raise
        finally:
            client.close()
        return True

    def _token(self, acs_user_id: str) -> str:
        now = self._clock()
        with self._lock:
            cached = self._tokens.get(acs_user_id)
        if cached is not None and cached[1] - now > TOKEN_REFRESH:
            return cached[0]
        issued = self._identity_client.get_token(CommunicationUserIdentifier(acs_user_id), ["chat"])
        expires = parse_expires_on(issued.expires_on)
        expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
        with self._lock:
            self._tokens[acs_user_id] = (issued.token, expires)
        return issued.token

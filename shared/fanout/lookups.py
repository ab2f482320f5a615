"""ACS ids back to Twilio SIDs and identities, through the state tables, cached briefly per instance."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import NotFoundError
from ..state import ConversationRecord, ConversationStore, IdentityMapStore, MessageMapping, MessageMapStore

T = TypeVar("T")
_MAX_ENTRIES = 10_000


class _TtlCache:
    """A small thread-safe cache whose entries expire after ``ttl`` seconds (0: no caching).

    ``None`` results are not kept: a thread or user that is mapped a moment later (the
    exporter writes its row just after creating the thread) is found on the next event.
    """

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[Any, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: Any, load: Callable[[], T]) -> T:
        if self._ttl <= 0:
            return load()
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[no-any-return]
        value = load()
        if value is None:
            return value
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now + self._ttl, value)
        return value


@dataclass(frozen=True)
class Participant:
    """Who an ACS identifier stands for: the mapped identity, or the ACS raw id when unmapped."""

    identity: str


class IdLookups:
    """Maps thread ids, ACS users and ACS message ids back to what Twilio consumers know."""

    def __init__(
        self,
        *,
        conversations: ConversationStore,
        identity_map: IdentityMapStore,
        messages: MessageMapStore,
        cache_seconds: float = 5.0,
    ) -> None:
        self._conversations = conversations
        self._identity_map = identity_map
        self._messages = messages
        self._cache = _TtlCache(cache_seconds)

    def conversation_for_thread(self, thread_id: str) -> ConversationRecord | None:
        """The migrated conversation whose ACS thread is ``thread_id``, or None."""
        return self._cache.get_or_load(("thread", thread_id),
                                       lambda: self._conversations.find_conversation_for_thread(thread_id))

    def participant(self, identifier: Any) -> Participant:
        """An ACS ``CommunicationIdentifier`` JSON object as an identity (phone numbers as themselves)."""
        if not isinstance(identifier, dict):
            return Participant("")
        phone = identifier.get("phoneNumber")
        if isinstance(phone, dict) and phone.get("value"):
            return Participant(str(phone["value"]))
        raw_id = str(identifier.get("rawId") or (identifier.get("communicationUser") or {}).get("id") or "")
        if not raw_id:
            return Participant("")
        return self._cache.get_or_load(("user", raw_id), lambda: self._load_participant(raw_id))

    def _load_participant(self, raw_id: str) -> Participant:
        try:
            return Participant(self._identity_map.get_identity_for_acs_user(raw_id).identity)
        except NotFoundError:
            return Participant(raw_id)

    def message(self, conversation_sid: str, acs_message_id: str) -> MessageMapping | None:
        """The migrated Twilio message behind ``acs_message_id`` in that conversation, or None."""
        return self._cache.get_or_load(
            ("message", conversation_sid, acs_message_id),
            lambda: self._messages.find_message_by_acs_id(conversation_sid, acs_message_id),
        )

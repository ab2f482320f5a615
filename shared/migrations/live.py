"""Live sync: Twilio post-event webhooks, verified, coalesced into one queued sync per conversation.

A burst of webhooks for one conversation sets one ``sync_requested_at`` marker on its
row (ETag-guarded) and queues one work item; the worker clears the marker when it picks
the item up, so events arriving during an export queue exactly one follow-up.

Signatures are checked against the app's own public URL (a setting, or the site's host name in
Azure), never the request's Host header; without one, live sync refuses to start. A webhook seen
before (its ``I-Twilio-Idempotency-Token`` or its signature, within ``REPLAY_WINDOW``) is dropped.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from ..errors import AlreadyExistsError, BadRequestError, ConcurrentUpdateError, ForbiddenError
from ..settings import Secret
from ..state import ConversationRecord, ConversationStore
from ..state.queues import WorkQueue
from ..state.tables import utcnow
from ..state.webhooks import WebhookReplayStore

SYNC_EVENTS = frozenset({
    "onMessageAdded", "onMessageUpdated", "onMessageRemoved",
    "onConversationAdded", "onConversationUpdated", "onParticipantAdded", "onParticipantRemoved",
})
CHANGE_EVENTS = frozenset({"onMessageUpdated", "onMessageRemoved"})  # the sync also applies edits and deletions
_CHANGES = "syncChanges"  # attribute on the conversation row: a queued sync must look for edits and deletions
_CONVERSATION_SID = re.compile(r"CH[0-9a-f]{32}\Z")
_SERVICE_SID = re.compile(r"IS[0-9a-f]{32}\Z")
STALE_MARKER = timedelta(minutes=15)  # a marker older than this is assumed lost with its work item
REPLAY_WINDOW = timedelta(hours=24)  # Twilio's retries come within minutes; a captured webhook is refused a day
IDEMPOTENCY_HEADER = "i-twilio-idempotency-token"


class FormParams(dict[str, str]):
    """Form fields for ``RequestValidator``: ``getlist`` gives every value of a repeated field."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._lists: dict[str, list[str]] = {}
        for key, value in pairs:
            self._lists.setdefault(key, []).append(value)
            self.setdefault(key, value)

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, []))


def parse_form(body: bytes) -> FormParams:
    """An ``application/x-www-form-urlencoded`` body; 400 when it is not UTF-8 or not a form."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        raise BadRequestError("The webhook body is not a UTF-8 form (application/x-www-form-urlencoded).") from None
    return FormParams(pairs)


class TwilioSignatureVerifier:
    """Checks ``X-Twilio-Signature`` against the URL Twilio called and the account's auth token."""

    def __init__(self, *, auth_token: Secret, public_url: str) -> None:
        self._validator = RequestValidator(auth_token.reveal())
        self._public_url = public_url

    def verify(self, *, request_url: str, params: FormParams, signature: str | None) -> None:
        """Raise ``ForbiddenError`` unless the signature matches the public URL (plus the request's query);
        the request's scheme, host and path play no part, so a forged Host header changes nothing."""
        query = request_url.partition("?")[2]
        url = self._public_url + (f"?{query}" if query else "")
        if not signature or not self._validator.validate(url, params, signature):
            raise ForbiddenError("The X-Twilio-Signature header does not match this request.")


class WebhookReplays:
    """Drops webhooks already handled: by Twilio's idempotency token and by signature, within a window."""

    def __init__(self, *, store: WebhookReplayStore, window: timedelta = REPLAY_WINDOW,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._window = window
        self._clock = clock

    def claim(self, *, signature: str, token: str | None) -> list[str] | None:
        """The keys now claimed for this webhook, or None when it is a replay (drop it)."""
        keys = ["sig:" + hashlib.sha256(signature.encode("utf-8", "surrogatepass")).hexdigest()]
        if token:  # first: a retry under a known token is refused before anything is written
            keys.insert(0, "tok:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest())
        now = self._clock()
        claimed: list[str] = []
        for key in keys:
            if not self._store.claim(key, now=now, window=self._window):
                return None
            claimed.append(key)
        return claimed

    def release(self, keys: list[str]) -> None:
        """Forget the claims of a webhook whose handling failed, so Twilio's retry gets through."""
        for key in keys:
            self._store.release(key)


@dataclass(frozen=True)
class LiveEvent:
    """The parts of a Twilio post-event webhook that live sync needs."""

    event_type: str
    conversation_sid: str
    service_sid: str | None

    @classmethod
    def from_form(cls, params: Mapping[str, str]) -> LiveEvent:
        event_type = params.get("EventType", "")
        if event_type not in SYNC_EVENTS:
            raise BadRequestError(
                f"EventType {event_type[:40]!r} is not one live sync handles; use {', '.join(sorted(SYNC_EVENTS))}.",
                target="EventType",
            )
        sid = params.get("ConversationSid", "")
        if not _CONVERSATION_SID.match(sid):
            raise BadRequestError("ConversationSid is missing or is not a conversation SID.", target="ConversationSid")
        service = params.get("ChatServiceSid") or None
        if service is not None and not _SERVICE_SID.match(service):
            raise BadRequestError("ChatServiceSid is not a service SID.", target="ChatServiceSid")
        return cls(event_type, sid, service)


@dataclass(frozen=True)
class SyncRequest:
    """What ``request_sync`` decided: queued a new work item, or folded into one already queued."""

    conversation_sid: str
    queued: bool


class LiveSyncScheduler:
    """Queues at most one pending sync per conversation."""

    def __init__(self, *, conversations: ConversationStore, queue: WorkQueue, delay_seconds: float) -> None:
        self._conversations = conversations
        self._queue = queue
        self._delay = delay_seconds

    def request_sync(self, event: LiveEvent, *, now: datetime | None = None) -> SyncRequest:
        """Mark the conversation as wanting a sync and queue it, unless a sync is already queued. An edit or a
        deletion also marks the sync as one that applies changes, folded or not."""
        moment = now or utcnow()
        changes = event.event_type in CHANGE_EVENTS
        for _ in range(10):
            current = self._conversations.find_conversation(event.conversation_sid)
            if current is None:
                try:
                    self._conversations.create_conversation(ConversationRecord(
                        event.conversation_sid, service_sid=event.service_sid, sync_requested_at=moment,
                        attributes={_CHANGES: True} if changes else {},
                    ))
                except AlreadyExistsError:
                    continue
            else:
                marker = current.sync_requested_at
                queued = marker is not None and moment - marker < STALE_MARKER
                if queued and (not changes or current.attributes.get(_CHANGES)):
                    return SyncRequest(event.conversation_sid, queued=False)
                attributes = {**current.attributes, _CHANGES: True} if changes else current.attributes
                try:
                    self._conversations.update_conversation(replace(
                        current, sync_requested_at=marker if queued else moment, attributes=attributes))
                except ConcurrentUpdateError:
                    continue
                if queued:
                    return SyncRequest(event.conversation_sid, queued=False)  # folded, now with changes
            self._queue.send(
                {"kind": "sync", "conversationSid": event.conversation_sid, "serviceSid": event.service_sid},
                delay_seconds=self._delay,
            )
            return SyncRequest(event.conversation_sid, queued=True)
        return SyncRequest(event.conversation_sid, queued=False)

    def clear_marker(self, conversation_sid: str) -> bool:
        """Called by the worker as it starts a sync: later events queue a fresh item. True when the events it
        folded included an edit or a deletion."""
        for _ in range(10):
            current = self._conversations.find_conversation(conversation_sid)
            if current is None or (current.sync_requested_at is None and not current.attributes.get(_CHANGES)):
                return False
            attributes = {k: v for k, v in current.attributes.items() if k != _CHANGES}
            try:
                self._conversations.update_conversation(replace(current, sync_requested_at=None,
                                                                attributes=attributes))
                return bool(current.attributes.get(_CHANGES))
            except ConcurrentUpdateError:
                continue
        return False

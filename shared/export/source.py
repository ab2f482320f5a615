"""The Twilio side, as plain records: conversations, legacy public channels, participants, messages.

Reads go through the real ``twilio`` SDK (Conversations v1 and Chat v2), page by page,
each page retried on 429/5xx; nothing holds more than one page per reader. Private Chat
channels are the same objects as their conversations, so only *public* channels are read
through Chat v2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from twilio.base.exceptions import TwilioRestException

from .pacing import PriorityGate
from .retry import Retrier
from .users import UserNames

CONVERSATIONS = "conversations"
CHAT = "chat"
PAGE_SIZE = 100  # Twilio's maximum
READ_SLOTS = 16  # concurrent Twilio requests per process (Twilio answers 429 to too many at once)
T = TypeVar("T")


@dataclass(frozen=True)
class SourceConversation:
    """A Twilio conversation, or a legacy public Chat channel."""

    sid: str
    service_sid: str
    source: str  # conversations | chat
    friendly_name: str | None = None
    unique_name: str | None = None
    date_created: datetime | None = None

    @property
    def topic(self) -> str:
        return self.friendly_name or self.unique_name or self.sid


@dataclass(frozen=True)
class SourceParticipant:
    """A chat participant (identity) or an SMS/WhatsApp one (address)."""

    sid: str
    identity: str | None
    address: str | None
    kind: str  # chat | sms | whatsapp
    attributes: str = "{}"
    last_read_index: int | None = None


@dataclass(frozen=True)
class SourceMedia:
    sid: str
    content_type: str
    filename: str | None
    size: int


@dataclass(frozen=True)
class SourceMessage:
    """One Twilio message."""

    sid: str
    index: int
    author: str
    participant_sid: str | None
    body: str
    attributes: str
    media: tuple[SourceMedia, ...]
    date_created: datetime | None


def iso(moment: datetime | None) -> str:
    """``2024-01-02T03:04:05Z`` (what ACS metadata carries as the original time)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _kind_of(binding: dict[str, Any] | None, identity: str | None) -> tuple[str, str | None]:
    if identity or not binding:
        return "chat", None
    address = str(binding.get("address") or binding.get("projected_address") or "") or None
    kind = str(binding.get("type") or "sms").lower()
    if address and address.startswith("whatsapp:"):
        kind = "whatsapp"
    return (kind if kind in ("sms", "whatsapp") else "sms"), address


def _media_items(raw: Any) -> tuple[SourceMedia, ...]:
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    return tuple(
        SourceMedia(
            sid=str(m.get("sid")),
            content_type=str(m.get("content_type") or "application/octet-stream"),
            filename=m.get("filename") or None,
            size=int(m.get("size") or 0),
        )
        for m in items
        if isinstance(m, dict) and m.get("sid")
    )


def _attributes(raw: Any) -> str:
    if raw is None:
        return "{}"
    return raw if isinstance(raw, str) else json.dumps(raw)


class TwilioSource:
    """Reads history through a ``twilio.rest.Client`` already pointed at Twilio (or its stand-in)."""

    def __init__(self, client: Any, *, retrier: Retrier, read_slots: int = READ_SLOTS) -> None:
        self._client = client
        self._retrier = retrier
        self._slots = PriorityGate(read_slots)
        self.users = UserNames(client, call=lambda fn, what: self._call(fn, what=what),
                               pages=lambda first, what: self._pages(first, what))

    def _call(self, fn: Callable[[], T], *, what: str, priority: int = 0) -> T:
        """One SDK call, retried; at most ``read_slots`` in flight (Twilio limits concurrency), biggest first."""
        def limited() -> T:
            with self._slots.slot(priority):
                return fn()

        return self._retrier.call(limited, what=what, service="twilio")

    # ------------------------------------------------------------------ paging
    def _pages(self, first: Callable[[], Any], what: str, priority: int = 0) -> Iterator[list[Any]]:
        page = self._call(first, what=what, priority=priority)
        while page is not None:
            yield list(page)
            current = page
            page = self._call(current.next_page, what=what, priority=priority)

    def _records(self, first: Callable[[], Any], what: str) -> Iterator[Any]:
        for page in self._pages(first, what):
            yield from page

    # ------------------------------------------------------------------ conversations
    def list_services(self) -> list[str]:
        services = self._client.conversations.v1.services
        return [s.sid for s in self._records(lambda: services.page(page_size=PAGE_SIZE), "listing services")]

    def list_conversations(
        self, *, services: list[str] | None = None, since: datetime | None = None,
        include_legacy_public_channels: bool = False,
    ) -> Iterator[SourceConversation]:
        """Every conversation of ``services`` (all by default), then the public channels if asked."""
        for service_sid in services or self.list_services():
            api = self._client.conversations.v1.services(service_sid).conversations
            options: dict[str, Any] = {"page_size": PAGE_SIZE}
            if since is not None:
                options["start_date"] = iso(since)
            def first(api: Any = api, options: dict[str, Any] = options) -> Any:
                return api.page(**options)

            for c in self._records(first, f"listing conversations of {service_sid}"):
                yield self._conversation(c, service_sid)
            if include_legacy_public_channels:
                yield from self.list_public_channels(service_sid, since=since)

    def conversation_page(self, service_sid: str, *, since: datetime | None = None, url: str | None = None,
                          page_size: int = PAGE_SIZE) -> tuple[list[SourceConversation], str | None]:
        """One page of a service's conversations (the first, or the one at ``url``, Twilio's own next-page link
        with its page token) and the next page's link (None at the end): a durable cursor for planning."""
        api = self._client.conversations.v1.services(service_sid).conversations
        options: dict[str, Any] = {"page_size": page_size}
        if since is not None:
            options["start_date"] = iso(since)
        page = self._call(lambda: api.get_page(url) if url else api.page(**options),
                          what=f"listing conversations of {service_sid}")
        return [self._conversation(c, service_sid) for c in page], page.next_page_url

    def public_channel_page(self, service_sid: str, *, since: datetime | None = None, url: str | None = None,
                            page_size: int = PAGE_SIZE) -> tuple[list[SourceConversation], str | None]:
        """One page of a service's public Chat channels, like ``conversation_page``."""
        api = self._client.chat.v2.services(service_sid).channels
        page = self._call(lambda: api.get_page(url) if url else api.page(type=["public"], page_size=page_size),
                          what=f"listing public channels of {service_sid}")
        found = []
        for ch in page:
            created = _as_datetime(ch.date_created)
            if since is None or created is None or created >= since:
                found.append(SourceConversation(ch.sid, service_sid, CHAT, ch.friendly_name, ch.unique_name, created))
        return found, page.next_page_url

    def list_public_channels(self, service_sid: str, *, since: datetime | None = None) -> Iterator[SourceConversation]:
        channels = self._client.chat.v2.services(service_sid).channels
        for ch in self._records(lambda: channels.page(type=["public"], page_size=PAGE_SIZE),
                                f"listing public channels of {service_sid}"):
            created = _as_datetime(ch.date_created)
            if since is not None and created is not None and created < since:
                continue
            yield SourceConversation(ch.sid, service_sid, CHAT, ch.friendly_name, ch.unique_name, created)

    def _conversation(self, c: Any, service_sid: str) -> SourceConversation:
        return SourceConversation(
            c.sid, getattr(c, "chat_service_sid", None) or service_sid, CONVERSATIONS,
            c.friendly_name, c.unique_name, _as_datetime(c.date_created),
        )

    def get_conversation(self, sid: str, *, service_sid: str | None = None, source: str | None = None
                         ) -> SourceConversation:
        """One conversation or public channel by SID; raises ``LookupError`` naming it when Twilio has none."""
        if source != CHAT:
            try:
                if service_sid:
                    c = self._call(
                        self._client.conversations.v1.services(service_sid).conversations(sid).fetch,
                        what=f"fetching {sid}")
                else:
                    c = self._call(self._client.conversations.v1.conversations(sid).fetch,
                                           what=f"fetching {sid}")
                return self._conversation(c, service_sid or c.chat_service_sid)
            except TwilioRestException as exc:
                if exc.status != 404:
                    raise
        services = [service_sid] if service_sid else self.list_services()
        if source != CHAT and not service_sid:  # not in the default service: look in each (a conversation, not
            for service in services:            # its private-channel view)
                try:
                    c = self._call(self._client.conversations.v1.services(service).conversations(sid).fetch,
                                   what=f"fetching {sid}")
                except TwilioRestException as exc:
                    if exc.status == 404:
                        continue
                    raise
                return self._conversation(c, service)
        for service in services:
            try:
                ch = self._call(self._client.chat.v2.services(service).channels(sid).fetch,
                                what=f"fetching channel {sid}")
            except TwilioRestException as exc:
                if exc.status == 404:
                    continue
                raise
            return SourceConversation(ch.sid, service, CHAT, ch.friendly_name, ch.unique_name,
                                      _as_datetime(ch.date_created))
        raise LookupError(f"Twilio has no conversation or channel {sid}")

    # ------------------------------------------------------------------ participants
    def list_participants(self, conv: SourceConversation) -> list[SourceParticipant]:
        if conv.source == CHAT:
            members = self._client.chat.v2.services(conv.service_sid).channels(conv.sid).members
            return [
                SourceParticipant(m.sid, m.identity, None, "chat", _attributes(m.attributes),
                                  m.last_consumed_message_index)
                for m in self._records(lambda: members.page(page_size=PAGE_SIZE), f"listing members of {conv.sid}")
            ]
        api = self._client.conversations.v1.services(conv.service_sid).conversations(conv.sid).participants
        result = []
        for p in self._records(lambda: api.page(page_size=PAGE_SIZE), f"listing participants of {conv.sid}"):
            kind, address = _kind_of(p.messaging_binding, p.identity)
            result.append(SourceParticipant(p.sid, p.identity, address, kind, _attributes(p.attributes),
                                            p.last_read_message_index))
        return result

    # ------------------------------------------------------------------ messages
    def message_pages(self, conv: SourceConversation, *, order: str = "asc", page_size: int = PAGE_SIZE,
                      priority: int = 0) -> Iterator[list[SourceMessage]]:
        """The conversation's messages page by page (``asc``: oldest first)."""
        if conv.source == CHAT:
            chat_api = self._client.chat.v2.services(conv.service_sid).channels(conv.sid).messages
            for page in self._pages(lambda: chat_api.page(order=order, page_size=page_size),
                                    f"listing messages of {conv.sid}", priority):
                yield [self._chat_message(m) for m in page]
            return
        api = self._client.conversations.v1.services(conv.service_sid).conversations(conv.sid).messages
        for page in self._pages(lambda: api.page(order=order, page_size=page_size),
                                f"listing messages of {conv.sid}", priority):
            yield [self._message(m) for m in page]

    def message_page(self, conv: SourceConversation, *, url: str | None = None
                     ) -> tuple[list[SourceMessage], str | None]:
        """One page of messages, oldest first (the first, or the one at ``url``), and the next page's link."""
        if conv.source == CHAT:
            chat_api = self._client.chat.v2.services(conv.service_sid).channels(conv.sid).messages
            page = self._call(lambda: chat_api.get_page(url) if url else chat_api.page(order="asc",
                                                                                          page_size=PAGE_SIZE),
                              what=f"listing messages of {conv.sid}")
            return [self._chat_message(m) for m in page], page.next_page_url
        api = self._client.conversations.v1.services(conv.service_sid).conversations(conv.sid).messages
        page = self._call(lambda: api.get_page(url) if url else api.page(order="asc", page_size=PAGE_SIZE),
                          what=f"listing messages of {conv.sid}")
        return [self._message(m) for m in page], page.next_page_url

    def messages(self, conv: SourceConversation, *, priority: int = 0) -> Iterator[SourceMessage]:
        """Every message, oldest first; ``priority`` ranks the reads against other conversations'."""
        for page in self.message_pages(conv, priority=priority):
            yield from page

    def last_index(self, conv: SourceConversation) -> int:
        """The newest message's index (-1 when there is none): a cheap size estimate."""
        for page in self.message_pages(conv, order="desc", page_size=1):
            return page[0].index if page else -1
        return -1

    @staticmethod
    def _message(m: Any) -> SourceMessage:
        return SourceMessage(
            sid=m.sid, index=int(m.index), author=m.author or "system", participant_sid=m.participant_sid,
            body=m.body or "", attributes=_attributes(m.attributes), media=_media_items(m.media),
            date_created=_as_datetime(m.date_created),
        )

    @staticmethod
    def _chat_message(m: Any) -> SourceMessage:
        return SourceMessage(
            sid=m.sid, index=int(m.index), author=getattr(m, "_from", None) or "system", participant_sid=None,
            body=m.body or "", attributes=_attributes(m.attributes), media=_media_items(m.media),
            date_created=_as_datetime(m.date_created),
        )

    # ------------------------------------------------------------------ users
    def expect_names(self, conv: SourceConversation, participants: Iterable[SourceParticipant]) -> None:
        """The user names of these participants (of ``conv``'s service) are about to be wanted; see ``UserNames``."""
        self.users.expect(conv.source, conv.service_sid, (p.identity for p in participants
                                                          if p.kind == "chat" and p.identity))

    def friendly_name(self, conv: SourceConversation, identity: str) -> str | None:
        """The Twilio user's friendly name (None when the user or the name does not exist); see ``UserNames``."""
        return self.users.friendly_name(conv.source, conv.service_sid, identity)

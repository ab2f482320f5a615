"""Seed Twilio history through the real ``twilio`` SDK (and MCS uploads over HTTP) on the stand-in."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client


@dataclass
class SeededConversation:
    sid: str
    service_sid: str
    messages: list[Any] = field(default_factory=list)
    participants: list[Any] = field(default_factory=list)


def _retrying(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """The stand-in enforces Twilio's 30 writes/s per conversation: back off on 429 like a client should."""
    delay = 0.05
    for attempt in range(30):
        try:
            return fn(*args, **kwargs)
        except TwilioRestException as exc:
            if exc.status != 429 or attempt == 29:
                raise
        time.sleep(delay)
        delay = min(1.0, delay * 2)
    raise AssertionError("unreachable")


class TwilioSeeder:
    """Creates a service of its own (isolation from other tests) and fills it through the SDK."""

    def __init__(self, url: str, account_sid: str, auth_token: str) -> None:
        self.url = url.rstrip("/")
        self.client = Client(account_sid, auth_token)
        self.client.conversations.base_url = self.url
        self.client.chat.base_url = self.url
        self.http = httpx.Client(base_url=self.url, auth=(account_sid, auth_token), timeout=30)
        self.service_sid = self.client.conversations.v1.services.create(
            friendly_name=f"export-test-{secrets.token_hex(3)}"
        ).sid
        self.clock = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)

    def _tick(self) -> datetime:
        self.clock += timedelta(minutes=1)
        return self.clock

    @property
    def service(self) -> Any:
        return self.client.conversations.v1.services(self.service_sid)

    def user(self, identity: str, friendly_name: str | None = None) -> Any:
        return _retrying(self.service.users.create, identity=identity, friendly_name=friendly_name)

    def conversation(self, friendly_name: str | None = "Support", *, unique_name: str | None = None
                     ) -> SeededConversation:
        conv = self.service.conversations.create(friendly_name=friendly_name, unique_name=unique_name,
                                                 date_created=self._tick())
        return SeededConversation(conv.sid, self.service_sid)

    def chat_participant(self, conv: SeededConversation, identity: str) -> Any:
        participant = _retrying(self.service.conversations(conv.sid).participants.create, identity=identity)
        conv.participants.append(participant)
        return participant

    def sms_participant(self, conv: SeededConversation, address: str, *, attributes: str | None = None) -> Any:
        participant = _retrying(
            self.service.conversations(conv.sid).participants.create, messaging_binding_address=address,
            messaging_binding_proxy_address="+15550000000",
            attributes=attributes,
        )
        conv.participants.append(participant)
        return participant

    def message(self, conv: SeededConversation, author: str, body: str | None, *, attributes: str | None = None,
                media_sids: list[str] | None = None, content_sid: str | None = None) -> Any:
        options: dict[str, Any] = {"author": author, "date_created": self._tick()}
        if content_sid is not None:
            options["content_sid"] = content_sid
        if body is not None:
            options["body"] = body
        if attributes is not None:
            options["attributes"] = attributes
        if media_sids:
            options["media_sid"] = media_sids[0]
        message = _retrying(self.service.conversations(conv.sid).messages.create, **options)
        conv.messages.append(message)
        return message

    def upload_media(self, data: bytes, content_type: str, filename: str) -> str:
        response = self.http.post(f"/v1/Services/{self.service_sid}/Media", content=data,
                                  headers={"Content-Type": content_type}, params={"Filename": filename})
        response.raise_for_status()
        return str(response.json()["sid"])

    def read_up_to(self, conv: SeededConversation, participant_sid: str, index: int) -> None:
        _retrying(self.service.conversations(conv.sid).participants(participant_sid).update,
                  last_read_message_index=index)

    def edit(self, conv: SeededConversation, message_sid: str, body: str) -> None:
        _retrying(self.service.conversations(conv.sid).messages(message_sid).update, body=body)

    def delete(self, conv: SeededConversation, message_sid: str) -> None:
        _retrying(self.service.conversations(conv.sid).messages(message_sid).delete)

    def public_channel(self, friendly_name: str, *, kind: str = "public") -> SeededConversation:
        channel = self.client.chat.v2.services(self.service_sid).channels.create(friendly_name=friendly_name,
                                                                                  type=kind)
        return SeededConversation(channel.sid, self.service_sid)

    def channel_member(self, conv: SeededConversation, identity: str) -> Any:
        member = _retrying(self.client.chat.v2.services(self.service_sid).channels(conv.sid).members.create,
                           identity=identity)
        conv.participants.append(member)
        return member

    def channel_message(self, conv: SeededConversation, author: str, body: str) -> Any:
        message = _retrying(self.client.chat.v2.services(self.service_sid).channels(conv.sid).messages.create,
                            from_=author, body=body, date_created=self._tick())
        conv.messages.append(message)
        return message

    def close(self) -> None:
        self.http.close()

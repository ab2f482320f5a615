"""The naive peer: the export a team would write by hand, to measure ours against.

One conversation after another, one message after another, with the same SDKs (``twilio``,
``azure-communication-identity``, ``azure-communication-chat``) and the same retry on 429
(wait the ``Retry-After`` the service gives, then try again). No pacing, no concurrency,
no map, no resume: each author gets an ACS user and a token, each conversation a thread
created by its first participant, each message a send as its author.

``bench/export.py`` runs it on the same workload in the same run, within a time budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from azure.communication.chat import (
    ChatClient,
    ChatParticipant,
    ChatThreadClient,
    CommunicationTokenCredential,
)
from azure.communication.identity import (
    CommunicationIdentityClient,
    CommunicationTokenScope,
    CommunicationUserIdentifier,
)
from azure.core.exceptions import HttpResponseError
from twilio.rest import Client

from shared.export.twilio_client import RewritingHttpClient


@dataclass
class NaiveResult:
    """How far the naive export got: messages sent, seconds taken, and whether it finished."""

    messages: int = 0
    conversations: int = 0
    seconds: float = 0.0
    finished: bool = False
    throttled: int = 0


def with_429_retry(call: Any, result: NaiveResult, attempts: int = 20) -> Any:
    """Call; on 429 wait the Retry-After the service gave (1 s if none) and try again."""
    for attempt in range(attempts):
        try:
            return call()
        except HttpResponseError as exc:
            if exc.status_code != 429 or attempt == attempts - 1:
                raise
            result.throttled += 1
            headers = exc.response.headers if exc.response is not None else {}
            time.sleep(float(headers.get("retry-after-ms", 0)) / 1000 or float(headers.get("Retry-After", 1)))
    raise AssertionError("unreachable")


def naive_export(*, twilio_base_url: str, account_sid: str, auth_token: str, service_sid: str,
                 acs_connection_string: str, acs_endpoint: str, ca_bundle: str, budget_s: float) -> NaiveResult:
    """Copy every conversation of ``service_sid``, stopping after ``budget_s`` seconds."""
    result = NaiveResult()
    started = time.monotonic()
    twilio = Client(account_sid, auth_token, http_client=RewritingHttpClient(twilio_base_url))
    identity = CommunicationIdentityClient.from_connection_string(
        acs_connection_string, connection_verify=ca_bundle, retry_total=0)
    users: dict[str, tuple[str, str]] = {}  # Twilio identity -> (ACS user id, token)

    def user(name: str) -> tuple[str, str]:
        if name not in users:
            acs_user, token = with_429_retry(
                lambda: identity.create_user_and_token(scopes=[CommunicationTokenScope.CHAT]), result)
            users[name] = (acs_user.properties["id"], token.token)
        return users[name]

    service = twilio.conversations.v1.services(service_sid)
    for conversation in service.conversations.list():
        participants = [p.identity for p in service.conversations(conversation.sid).participants.list()]
        members = [user(p) for p in participants]
        creator = members[0]
        chat = ChatClient(acs_endpoint, CommunicationTokenCredential(creator[1]), connection_verify=ca_bundle,
                          retry_total=0)
        topic = conversation.friendly_name or conversation.sid
        people = [ChatParticipant(identifier=CommunicationUserIdentifier(m[0]), display_name=p)
                  for m, p in zip(members, participants, strict=True)]
        created = with_429_retry(lambda c=chat, t=topic, p=people: c.create_chat_thread(t, thread_participants=p),
                                 result)
        thread_id = created.chat_thread.id
        senders: dict[str, ChatThreadClient] = {}
        for message in service.conversations(conversation.sid).messages.list():
            author = message.author or participants[0]
            if author not in senders:
                senders[author] = ChatThreadClient(acs_endpoint, CommunicationTokenCredential(user(author)[1]),
                                                   thread_id, connection_verify=ca_bundle, retry_total=0)
            sender = senders[author]
            with_429_retry(lambda s=sender, m=message: s.send_message(m.body or "", sender_display_name=m.author),
                           result)
            result.messages += 1
            if time.monotonic() - started > budget_s:
                result.seconds = time.monotonic() - started
                return result
        result.conversations += 1
    result.seconds = time.monotonic() - started
    result.finished = True
    return result

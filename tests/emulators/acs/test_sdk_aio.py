"""Real aio SDK round trips for every operation.

aiohttp builds its trusted-roots context once, at import, so in this (shared) test process
the aio clients get ``connection_verify=<bundle>``, and thread clients are built directly
(``get_chat_thread_client`` does not pass that option on). The env-var route the app uses
(``SSL_CERT_FILE`` before start) is exercised in a fresh process by the last test.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from azure.communication.chat import ChatMessageType, ChatParticipant, CommunicationTokenCredential
from azure.communication.chat.aio import ChatClient, ChatThreadClient
from azure.communication.identity import CommunicationTokenScope
from azure.communication.identity.aio import CommunicationIdentityClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from .conftest import Acs

REPO_ROOT = Path(__file__).resolve().parents[3]


def _identity(acs: Acs) -> CommunicationIdentityClient:
    return CommunicationIdentityClient.from_connection_string(acs.connection_string, connection_verify=acs.bundle)


def _chat(acs: Acs, token: str) -> ChatClient:
    return ChatClient(acs.endpoint, CommunicationTokenCredential(token), connection_verify=acs.bundle)


def _thread(acs: Acs, token: str, thread_id: str) -> ChatThreadClient:
    return ChatThreadClient(acs.endpoint, CommunicationTokenCredential(token), thread_id, connection_verify=acs.bundle)


@pytest.mark.asyncio
async def test_aio_identity_operations(acs: Acs) -> None:
    async with _identity(acs) as client:
        user = await client.create_user()
        token = await client.get_token(user, [CommunicationTokenScope.CHAT], token_expires_in=dt.timedelta(hours=2))
        assert token.token.count(".") == 2
        user2, token2 = await client.create_user_and_token([CommunicationTokenScope.CHAT])
        assert token2.token
        await client.revoke_tokens(user)
        await client.delete_user(user2)
        with pytest.raises(ResourceNotFoundError):
            await client.revoke_tokens(user2)
        with pytest.raises(HttpResponseError):
            await client.get_token_for_teams_user("aad", "app", "oid")


@pytest.mark.asyncio
async def test_aio_every_chat_operation(acs: Acs) -> None:
    async with _identity(acs) as identity:
        _alice, alice_token = await identity.create_user_and_token([CommunicationTokenScope.CHAT])
        bob, bob_token = await identity.create_user_and_token([CommunicationTokenScope.CHAT])
        carol = await identity.create_user()
    async with _chat(acs, alice_token.token) as chat:
        result = await chat.create_chat_thread(
            "aio topic", thread_participants=[ChatParticipant(identifier=bob, display_name="Bob")]
        )
        thread_id = result.chat_thread.id
        replay = await chat.create_chat_thread("aio topic", idempotency_token="aio-fixed")
        again = await chat.create_chat_thread("aio topic", idempotency_token="aio-fixed")
        assert again.chat_thread.id == replay.chat_thread.id
        ids = [t.id async for t in chat.list_chat_threads(results_per_page=1)]
        assert thread_id in ids
        async with _thread(acs, alice_token.token, thread_id) as client:
            assert (await client.get_properties()).topic == "aio topic"
            await client.update_topic("aio topic 2")
            sent = await client.send_message("hi", sender_display_name="Alice", metadata={"k": "v"})
            message = await client.get_message(sent.id)
            assert message.content.message == "hi"
            await client.update_message(sent.id, content="hi!")
            assert (await client.get_message(sent.id)).content.message == "hi!"
            listed = [m async for m in client.list_messages(results_per_page=2)]
            assert listed[0].id == sent.id
            assert listed[-1].type == ChatMessageType.PARTICIPANT_ADDED
            errors = await client.add_participants([ChatParticipant(identifier=carol, display_name="Carol")])
            assert not errors
            names = [p.display_name async for p in client.list_participants(results_per_page=1)]
            assert names == [None, "Bob", "Carol"]
            await client.remove_participant(carol)
            await client.send_typing_notification()
            await client.send_read_receipt(sent.id)
            receipts = [r async for r in client.list_read_receipts()]
            assert [r.chat_message_id for r in receipts] == [sent.id]
            await client.delete_message(sent.id)
            assert (await client.get_message(sent.id)).deleted_on is not None
        async with _thread(acs, bob_token.token, thread_id) as bob_client:
            assert (await bob_client.get_properties()).id == thread_id
        await chat.delete_chat_thread(thread_id)
        async with _thread(acs, alice_token.token, thread_id) as client:
            with pytest.raises(ResourceNotFoundError):
                await client.get_properties()


@pytest.mark.asyncio
async def test_aio_refused_token(acs: Acs) -> None:
    async with _identity(acs) as identity:
        user, token = await identity.create_user_and_token([CommunicationTokenScope.CHAT])
        await identity.revoke_tokens(user)
    async with _chat(acs, token.token) as chat:
        with pytest.raises(ClientAuthenticationError):
            await chat.create_chat_thread("nope")


def test_aio_clients_trust_the_stand_in_through_ssl_cert_file(acs: Acs) -> None:
    """A fresh process with SSL_CERT_FILE set before start: get_chat_thread_client works as the app uses it."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        from azure.communication.chat import CommunicationTokenCredential
        from azure.communication.chat.aio import ChatClient
        from azure.communication.identity import CommunicationTokenScope
        from azure.communication.identity.aio import CommunicationIdentityClient

        async def main(conn, endpoint):
            async with CommunicationIdentityClient.from_connection_string(conn) as identity:
                _, token = await identity.create_user_and_token([CommunicationTokenScope.CHAT])
            async with ChatClient(endpoint, CommunicationTokenCredential(token.token)) as chat:
                thread = (await chat.create_chat_thread("env trust")).chat_thread
                async with chat.get_chat_thread_client(thread.id) as client:
                    sent = await client.send_message("over SSL_CERT_FILE")
                    print((await client.get_message(sent.id)).content.message)

        asyncio.run(main(sys.argv[1], sys.argv[2]))
        """
    )
    env = {**os.environ, "SSL_CERT_FILE": acs.bundle, "REQUESTS_CA_BUNDLE": acs.bundle, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script, acs.connection_string, acs.endpoint],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "over SSL_CERT_FILE"

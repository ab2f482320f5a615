"""ACS chat clients for the export: one pooled transport, azure-core retries off, a client per author.

Every client is built with ``retry_total=0``: a retried send could duplicate a message,
so retries are ours (``retry.Retrier``), with reconciliation after an unknown outcome.
The session is an ``SdkSession`` (``shared/http_session.py``): requests' per-call merging of
environment, cookies and pool keys is done once, not on every send.
``ChatClient.get_chat_thread_client`` would drop the transport options (research acs.md
§0.4), so thread clients are built directly.
"""

from __future__ import annotations

import threading
from typing import Any

from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.core.pipeline.transport import RequestsTransport

from ..http_session import SdkSession
from ..settings import AcsSettings


class AcsChat:
    """Builds chat clients that act as one user each, sharing one connection pool."""

    def __init__(self, acs: AcsSettings, *, pool_size: int = 64) -> None:
        self._acs = acs
        session = SdkSession(pool_size=pool_size)
        self._session = session
        verify: dict[str, Any] = {"connection_verify": acs.ca_bundle} if acs.ca_bundle else {}
        self._transport = RequestsTransport(session=session, session_owner=False, **verify)
        self._clients: dict[tuple[str, str], ChatThreadClient] = {}
        self._lock = threading.Lock()

    def _options(self) -> dict[str, Any]:
        return {"retry_total": 0, "transport": self._transport}

    def chat_client(self, token: str) -> ChatClient:
        return ChatClient(self._acs.endpoint, CommunicationTokenCredential(token), **self._options())

    def thread_client(self, thread_id: str, token: str) -> ChatThreadClient:
        """A thread client acting as the token's user (cached per thread and token)."""
        key = (thread_id, token)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = ChatThreadClient(
                    self._acs.endpoint, CommunicationTokenCredential(token), thread_id, **self._options()
                )
                self._clients[key] = client
            return client

    def forget_thread(self, thread_id: str) -> None:
        """Drop the cached clients of a thread (its export slice ended)."""
        with self._lock:
            for key in [k for k in self._clients if k[0] == thread_id]:
                del self._clients[key]

    def close(self) -> None:
        with self._lock:
            self._clients.clear()
        self._session.close()

"""ACS chat clients for the export: one pooled transport, azure-core retries off, a client per author.

Every client is built with ``retry_total=0``: a retried send could duplicate a message,
so retries are ours (``retry.Retrier``), with reconciliation after an unknown outcome.
The session is an ``SdkSession`` (``shared/http_session.py``): requests' per-call merging of
environment, cookies and pool keys is done once, not on every send.
``ChatClient.get_chat_thread_client`` would drop the transport options (research acs.md
§0.4), so thread clients are built directly.

The clients get a shorter policy list than the SDK's default (azure-core's ``policies`` option):
request id, headers, user agent, response decoding, the bearer token, tracing and HTTP logging.
Left out are the policies that do nothing here but cost CPU on every send: retries (off anyway),
redirects (ACS answers none; nor does the cleanup of credentials on a redirect), proxies (the
session reads them), the custom hook and the network-trace logger (``logging_enable``).
"""

from __future__ import annotations

import threading
from typing import Any

from azure.communication.chat import ChatClient, ChatThreadClient, CommunicationTokenCredential
from azure.communication.chat import __version__ as chat_version
from azure.core.pipeline import policies
from azure.core.pipeline.transport import RequestsTransport

from ..http_session import SdkSession
from ..settings import AcsSettings


def chat_policies(credential: CommunicationTokenCredential) -> list[Any]:
    """The policies of an export chat client, in the SDK's own order (see the module docstring)."""
    return [
        policies.RequestIdPolicy(),
        policies.HeadersPolicy(),
        policies.UserAgentPolicy(sdk_moniker=f"communication-chat/{chat_version}"),  # as the SDK names itself
        policies.ContentDecodePolicy(),
        policies.BearerTokenCredentialPolicy(credential),
        policies.DistributedTracingPolicy(),
        policies.HttpLoggingPolicy(),
    ]


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

    def _options(self, credential: CommunicationTokenCredential) -> dict[str, Any]:
        return {"retry_total": 0, "transport": self._transport, "policies": chat_policies(credential)}

    def chat_client(self, token: str) -> ChatClient:
        credential = CommunicationTokenCredential(token)
        return ChatClient(self._acs.endpoint, credential, **self._options(credential))

    def thread_client(self, thread_id: str, token: str) -> ChatThreadClient:
        """A thread client acting as the token's user (cached per thread and token)."""
        key = (thread_id, token)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                credential = CommunicationTokenCredential(token)
                client = ChatThreadClient(self._acs.endpoint, credential, thread_id, **self._options(credential))
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

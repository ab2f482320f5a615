"""The whole fan-out running locally: the app's fan-out Blueprint on the host stand-in (queues pumped from
Azurite), and an ACS stand-in of its own whose Event Grid sink is the host's webhook for ``fanout_acs_event``.

Used by the end-to-end tests, ``bench/fanout.py`` and ``scripts/demo_fanout.py``.
"""

from __future__ import annotations

import secrets
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import azure.functions as func
import httpx
from azure.communication.chat import ChatClient, ChatParticipant, ChatThreadClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope

from emulators.host import HostConfig, LocalHost, QueueOptions, local_host_in_thread
from harness.process import RunningService, python_module_argv, start_service
from shared.container import AppContainer
from shared.triggers import fanout

FAST_QUEUES = HostConfig(queues=QueueOptions(batch_size=16, new_batch_threshold=8, max_polling_interval=0.1,
                                             visibility_timeout=1.0, max_dequeue_count=5))


@dataclass
class ChatUser:
    user_id: str
    token: str


@dataclass
class Pipeline:
    """Handles on the running pieces, plus helpers to act on ACS and call the admin routes."""

    host: LocalHost
    acs: RunningService
    container: AppContainer
    admin: httpx.Client

    @property
    def bundle(self) -> str:
        return str(self.acs.info["ca_bundle"])

    def new_user(self) -> ChatUser:
        identity = CommunicationIdentityClient.from_connection_string(
            str(self.acs.info["connection_string"]), connection_verify=self.bundle)
        user, token = identity.create_user_and_token([CommunicationTokenScope.CHAT])
        return ChatUser(user.properties["id"], token.token)

    def chat(self, user: ChatUser) -> ChatClient:
        return ChatClient(str(self.acs.info["endpoint"]), CommunicationTokenCredential(user.token),
                          connection_verify=self.bundle)

    def create_thread(self, owner: ChatUser, topic: str, members: list[ChatUser]) -> ChatThreadClient:
        from azure.communication.identity import CommunicationUserIdentifier

        participants = [ChatParticipant(identifier=CommunicationUserIdentifier(m.user_id), display_name=m.user_id[-4:])
                        for m in members]
        result = self.chat(owner).create_chat_thread(topic, thread_participants=participants)
        assert result.chat_thread is not None
        return self.thread(owner, result.chat_thread.id)

    def thread(self, user: ChatUser, thread_id: str) -> ChatThreadClient:
        """A thread client acting as ``user`` (``get_chat_thread_client`` drops ``connection_verify``)."""
        return ChatThreadClient(str(self.acs.info["endpoint"]), CommunicationTokenCredential(user.token), thread_id,
                                connection_verify=self.bundle)

    def acs_events(self, since: int = 0) -> dict[str, Any]:
        response = httpx.get(f"{self.acs.info['admin']}/events", params={"since": since},
                             verify=ssl.create_default_context(cafile=self.bundle), timeout=30)
        response.raise_for_status()
        return dict(response.json())

    def wait_until_pushed(self, *, timeout: float = 30) -> int:
        """Wait until the ACS stand-in has pushed every event to the sink; returns its last sequence number."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.acs_events()
            if log["pending"] == 0 or time.monotonic() > deadline:
                return max((e["seq"] for e in log["events"]), default=0)
            time.sleep(0.05)

    def subscribe(self, url: str, secret: str, fmt: str = "twilio", **extra: Any) -> dict[str, Any]:
        response = self.admin.post("/api/subscriptions", json={"url": url, "format": fmt, "secret": secret, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())


def fanout_app(container: AppContainer) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(fanout.build_blueprint(container))
    return app


@contextmanager
def running_pipeline(env: dict[str, str], *, acs_args: tuple[str, ...] = ()) -> Iterator[Pipeline]:
    """Start the host (in a thread) and an ACS stand-in (a process) wired together; stop both at the end."""
    container = AppContainer.from_environ(env)
    if container.settings_error is not None:
        raise container.settings_error
    with ExitStack() as stack:
        host = stack.enter_context(local_host_in_thread(
            fanout_app(container), settings=env, host_json=FAST_QUEUES, queues=True))
        sink = (f"{host.url}/runtime/webhooks/eventgrid?functionName=fanout_acs_event"
                f"&code={host.keys.eventgrid_key}")
        acs = start_service("acs-fanout", python_module_argv(
            "emulators.acs", "--host", "127.0.0.1", "--port", "0", "--no-limits", "--seed", "11",
            "--event-sink", sink, *acs_args), timeout=60)
        stack.callback(acs.stop)
        admin = stack.enter_context(httpx.Client(base_url=host.url, timeout=30,
                                                 headers={"x-functions-key": host.keys.function_key}))
        yield Pipeline(host=host, acs=acs, container=container, admin=admin)


def demo_environment(storage_connection_string: str, *, name: str) -> dict[str, str]:
    """App settings for a fan-out demo on Azurite: tables and queue of its own (``name`` + a random suffix), and a
    loopback http subscriber allowed. The ACS settings are placeholders the pipeline replaces with its stand-in."""
    suffix = secrets.token_hex(4)
    tables = {setting: f"demo{name}{table}{suffix}" for setting, table in (
        ("IDENTITY_TABLE", "identities"), ("CONVERSATION_TABLE", "conversations"), ("MESSAGE_TABLE", "messages"),
        ("SUBSCRIPTION_TABLE", "subscriptions"), ("DEAD_LETTER_TABLE", "deadletters"), ("VIDEO_ROOM_TABLE", "rooms"),
    )}
    return {
        "AzureWebJobsStorage": storage_connection_string,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "demo-auth-token",
        "ACS_CONNECTION_STRING": "endpoint=https://127.0.0.1:1/;accesskey=ZGVtby1rZXk=",
        **tables,
        "DELIVERY_QUEUE": f"demo-{name}-deliveries-{suffix}",
        "FANOUT_ALLOW_HTTP": "true",  # the demo subscriber is plain http on loopback
        "FANOUT_ALLOW_PRIVATE_TARGETS": "true",
        "FANOUT_RETRY_BASE_SECONDS": "1",
    }

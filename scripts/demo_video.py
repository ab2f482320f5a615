"""The Twilio Video demo: two users admitted to a room by name, a call there, room status callbacks received.

``run_video_demo(storage_connection_string)`` (called by ``scripts/demo.py``, or run this file
alone) starts an ACS stand-in and the host stand-in with the video and fan-out functions (the
stand-in's Event Grid sink is the host), registers a loopback ``twilio-video`` subscriber,
admits ``alice`` and ``bob`` to the room ``standup`` through ``POST /api/video/token``,
simulates a call there (join, leave, end, a recording) and returns (and prints) the room
status callbacks the subscriber received, each checked with twilio's ``RequestValidator``.
``running_video_pipeline`` is the same wiring for the end-to-end tests.
"""

from __future__ import annotations

import json
import ssl
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import azure.functions as func
import httpx

from emulators.azurite import running_azurite
from emulators.host import LocalHost, local_host_in_thread
from harness.fanout_pipeline import FAST_QUEUES, demo_environment
from harness.process import RunningService, python_module_argv, start_service
from harness.subscriber import running_subscriber
from shared.container import AppContainer
from shared.triggers import fanout, video

SECRET = "demo-video-subscriber-secret-0123456789"
BACKEND_KEY = "demo-video-backend-key-0123456789abcdef"
ROOM = "standup"
SHOWN = ("StatusCallbackEvent", "SequenceNumber", "RoomName", "RoomSid", "RoomStatus", "ParticipantIdentity",
         "ParticipantStatus", "ParticipantDuration", "RoomDuration", "RecordingSid", "Duration", "Timestamp")


@dataclass
class VideoPipeline:
    """The host (video and fan-out functions, queues pumped), the ACS stand-in pushing events to it, clients."""

    host: LocalHost
    acs: RunningService
    container: AppContainer
    admin: httpx.Client  # the app's function-key routes
    acs_admin: httpx.Client  # the ACS stand-in's /__admin routes

    def admit(self, identity: str, room: str, **extra: Any) -> dict[str, Any]:
        """``POST /api/video/token`` as the trusted backend, for ``identity``."""
        response = httpx.post(f"{self.host.url}/api/video/token", json={"room": room, "identity": identity, **extra},
                              headers={"x-functions-key": BACKEND_KEY}, timeout=30)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def simulate_call(self, room_id: str, participants: list[dict[str, str]], **options: Any) -> dict[str, Any]:
        response = self.acs_admin.post(f"/rooms/{room_id}/calls", json={"participants": participants, **options})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def wait_until_pushed(self, *, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while self.acs_admin.get("/events").json()["pending"] and time.monotonic() < deadline:
            time.sleep(0.05)

    def subscribe(self, url: str, secret: str, **extra: Any) -> dict[str, Any]:
        response = self.admin.post("/api/subscriptions",
                                   json={"url": url, "format": "twilio-video", "secret": secret, **extra})
        assert response.status_code == 201, response.text
        return dict(response.json())


def video_app(container: AppContainer) -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(fanout.build_blueprint(container))
    app.register_functions(video.build_blueprint(container))
    return app


@contextmanager
def running_video_pipeline(env: dict[str, str]) -> Iterator[VideoPipeline]:
    """An ACS stand-in (a process), then the host (a thread) on it, then the stand-in's sink set to the host."""
    with ExitStack() as stack:
        # One event per delivery, as the subscription infra/hooks/postdeploy creates (Event Grid's default
        # maxEventsPerBatch): a call's events reach the app in the order they happened, as they would over its
        # real duration; a batch of them would run at once (as the Functions host runs a batch).
        acs = start_service("acs-video", python_module_argv(
            "emulators.acs", "--host", "127.0.0.1", "--port", "0", "--no-limits", "--seed", "13",
            "--event-batch-size", "1"), timeout=60)
        stack.callback(acs.stop)
        env = {**env, "ACS_CONNECTION_STRING": str(acs.info["connection_string"]),
               "ACS_CA_BUNDLE": str(acs.info["ca_bundle"]), "TOKEN_BACKEND_KEY": BACKEND_KEY}
        container = AppContainer.from_environ(env)
        if container.settings_error is not None:
            raise container.settings_error
        host = stack.enter_context(local_host_in_thread(
            video_app(container), settings=env, host_json=FAST_QUEUES, queues=True))
        acs_admin = stack.enter_context(httpx.Client(
            base_url=str(acs.info["admin"]), verify=ssl.create_default_context(cafile=str(acs.info["ca_bundle"])),
            timeout=30))
        sink = f"{host.url}/runtime/webhooks/eventgrid?functionName=fanout_acs_event&code={host.keys.eventgrid_key}"
        acs_admin.put("/events/config", json={"sink": sink}).raise_for_status()
        admin = stack.enter_context(httpx.Client(base_url=host.url, timeout=30,
                                                 headers={"x-functions-key": host.keys.function_key}))
        yield VideoPipeline(host=host, acs=acs, container=container, admin=admin, acs_admin=acs_admin)



def run_video_demo(storage_connection_string: str, *, echo: bool = True) -> list[dict[str, Any]]:
    """Run the demo against Azurite at ``storage_connection_string``; returns one dict per callback received."""
    env = demo_environment(storage_connection_string, name="video")
    with running_video_pipeline(env) as pipeline, running_subscriber(SECRET, path="/room-events") as subscriber:
        subscription = pipeline.subscribe(subscriber.url, SECRET)
        alice = pipeline.admit("alice", ROOM, role="Presenter")
        bob = pipeline.admit("bob", ROOM)
        if echo:
            print(f"subscriber {subscriber.url} registered as {subscription['id']} (format twilio-video)")
            for who in (alice, bob):
                print(f"POST /api/video/token {who['identity']!r} -> room {who['room']!r} = ACS room {who['roomId']}, "
                      f"role {who['role']}, voip token {who['token'][:16]}...")
        call = pipeline.simulate_call(alice["roomId"], [
            {"rawId": alice["communicationUserId"], "displayName": "Alice"},
            {"rawId": bob["communicationUserId"], "displayName": "Bob"},
        ], durationSeconds=95, recording=True, leaveOrder=[bob["communicationUserId"], alice["communicationUserId"]])
        pipeline.wait_until_pushed()
        received = subscriber.wait_for(len(call["events"]), timeout=60)

    callbacks = [{"verified": r.signature_ok, **{k: r.fields[k] for k in SHOWN if k in r.fields}}
                 for r in sorted(received, key=lambda r: r.fields.get("Timestamp", ""))]  # Twilio: order by Timestamp
    if echo:
        print(f"{len(callbacks)} room status callbacks received; X-Twilio-Signature checked with RequestValidator:")
        for callback in callbacks:
            print(json.dumps(callback, ensure_ascii=False))
    return callbacks


def main() -> int:
    with ExitStack() as stack:
        azurite = stack.enter_context(running_azurite())
        callbacks = run_video_demo(azurite.connection_string)
    return 0 if len(callbacks) == 7 and all(c["verified"] for c in callbacks) else 1


if __name__ == "__main__":
    sys.exit(main())

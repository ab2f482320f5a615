"""End to end: users admitted over HTTP, a call simulated on the ACS stand-in, Event Grid -> host -> queue ->
deliverer -> a loopback subscriber that checks every X-Twilio-Signature with twilio's RequestValidator."""

from __future__ import annotations

from typing import Any

from harness.subscriber import running_subscriber
from scripts.demo_video import run_video_demo, running_video_pipeline

SECRET = "video-e2e-subscriber-secret-0123456789"


def _environ(app_environ: dict[str, str]) -> dict[str, str]:
    return {**app_environ, "FANOUT_ALLOW_HTTP": "true", "FANOUT_ALLOW_PRIVATE_TARGETS": "true",
            "FANOUT_RETRY_BASE_SECONDS": "1"}


def test_a_room_call_reaches_a_twilio_video_subscriber_signed(app_environ: dict[str, str]) -> None:
    with running_video_pipeline(_environ(app_environ)) as pipeline, \
            running_subscriber(SECRET, path="/video/status") as video_sub, \
            running_subscriber(SECRET, path="/chat/webhooks") as chat_sub:
        pipeline.subscribe(video_sub.url, SECRET)
        chat = pipeline.admin.post("/api/subscriptions", json={"url": chat_sub.url, "format": "twilio",
                                                               "secret": SECRET})
        assert chat.status_code == 201
        alice = pipeline.admit("alice", "design review", role="Presenter")
        bob = pipeline.admit("bob", "design review")
        assert alice["roomId"] == bob["roomId"]
        call = pipeline.simulate_call(alice["roomId"], [
            {"rawId": alice["communicationUserId"], "displayName": "Alice"},
            {"rawId": bob["communicationUserId"], "displayName": "Bob"},
        ], durationSeconds=120, recording=True)
        pipeline.wait_until_pushed()
        received = video_sub.wait_for(len(call["events"]), timeout=60)
        room_sid = pipeline.container.rooms.get_room("design review").room_id

    assert len(received) == 7
    assert all(r.signature_ok for r in received)
    assert all(r.headers["x-twilio-signature"] for r in received)
    # Twilio: SequenceNumber "does not represent the true order"; order events by Timestamp (research
    # rooms-and-calling.md section 4.1). The host runs a batch's events at once, so they arrive in any order.
    callbacks: list[dict[str, Any]] = sorted((r.fields for r in received), key=lambda f: f["Timestamp"])
    assert sorted(int(f["SequenceNumber"]) for f in callbacks) == list(range(1, 8))  # one number per event
    assert [f["StatusCallbackEvent"] for f in callbacks] == [
        "room-created", "participant-connected", "participant-connected", "participant-disconnected",
        "participant-disconnected", "room-ended", "recording-completed"]
    assert {f["RoomName"] for f in callbacks} == {"design review"}
    assert len({f["RoomSid"] for f in callbacks}) == 1
    assert [f.get("ParticipantIdentity") for f in callbacks[1:5]] == ["alice", "bob", "bob", "alice"]
    assert callbacks[5]["RoomDuration"] == "120"
    durations = [int(f["ParticipantDuration"]) for f in callbacks[3:5]]
    assert all(100 <= d <= 120 for d in durations)
    assert all(f["RetryCount"] == "0" for f in callbacks)
    assert all(f["AccountSid"] == app_environ["TWILIO_ACCOUNT_SID"] for f in callbacks)
    assert room_sid == alice["roomId"]
    assert chat_sub.received == []  # calling events are not chat webhooks


def test_the_demo_prints_verified_room_callbacks(storage_connection_string: str) -> None:
    callbacks = run_video_demo(storage_connection_string, echo=False)
    assert [c["StatusCallbackEvent"] for c in callbacks] == [
        "room-created", "participant-connected", "participant-connected", "participant-disconnected",
        "participant-disconnected", "room-ended", "recording-completed"]
    assert all(c["verified"] for c in callbacks)
    assert [c.get("ParticipantIdentity") for c in callbacks[1:5]] == ["alice", "bob", "bob", "alice"]

"""ACS calling events as Twilio room status callbacks, against the official documentation and spec examples."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.container import AppContainer
from shared.fanout.events import AcsEvent, parse_event
from shared.fanout.lookups import IdLookups
from shared.fanout.matching import matches
from shared.fanout.twilio_video_format import TwilioVideoTranslator
from shared.settings import Secret
from shared.state import IdentityMapping, Subscription
from shared.state.rooms import RoomMapping

CALLING = Path("specs/acs/eventgrid-calling")
ALICE = "8:acs:bc360ba8-d29b-4ef2-b698-769ebef85521_0000000c-1fb9-4878-07fd-0848220077e1"
# Every parameter Twilio documents for room events (research rooms-and-calling.md §4.1).
TWILIO_FIELDS = {
    "AccountSid", "RoomName", "RoomSid", "RoomStatus", "RoomType", "StatusCallbackEvent", "Timestamp",
    "SequenceNumber", "ParticipantSid", "ParticipantStatus", "ParticipantIdentity", "ParticipantDuration",
    "RoomDuration", "TrackSid", "TrackKind", "RecordingSid", "SourceSid", "RecordingUri", "Container", "Codec",
    "TrackName", "OffsetFromTwilioVideoEpoch", "Type", "MediaUri", "Duration", "Size", "MediaExternalLocation",
}
COMMON = {"AccountSid", "RoomName", "RoomSid", "RoomStatus", "RoomType", "StatusCallbackEvent", "Timestamp",
          "SequenceNumber"}


def docs_example(shared_dir: Path, name: str) -> dict[str, Any]:
    value = json.loads((shared_dir / CALLING / "microsoft-docs" / f"{name}.json").read_text(encoding="utf-8"))
    return dict(value[0])


def spec_example(shared_dir: Path, schema: str, name: str) -> dict[str, Any]:
    return dict(json.loads((shared_dir / CALLING / "examples" / schema / name).read_text(encoding="utf-8")))


@pytest.fixture
def container(app_environ: dict[str, str]) -> AppContainer:
    built = AppContainer.from_environ(app_environ)
    now = datetime.now(UTC)
    built.rooms.create_room(RoomMapping("standup", "{roomId}", now, now + timedelta(days=1)))
    built.identity_map.create_identity(IdentityMapping("alice", ALICE))
    return built


@pytest.fixture
def translator(container: AppContainer) -> TwilioVideoTranslator:
    lookups = IdLookups(conversations=container.conversations, identity_map=container.identity_map,
                        messages=container.messages, cache_seconds=0)
    return TwilioVideoTranslator(account_sid=container.settings.twilio.account_sid, rooms=container.rooms,
                                 lookups=lookups)


def translate(translator: TwilioVideoTranslator, raw: dict[str, Any]) -> dict[str, str] | None:
    return translator.translate(parse_event(raw))


def check_common(fields: dict[str, str], container: AppContainer, event: str, sequence: int) -> None:
    assert set(fields) <= TWILIO_FIELDS
    assert set(fields) >= COMMON
    assert fields["StatusCallbackEvent"] == event
    assert fields["AccountSid"] == container.settings.twilio.account_sid
    assert fields["RoomName"] == "standup"
    assert re.fullmatch(r"RM[0-9a-f]{32}", fields["RoomSid"])
    assert fields["RoomType"] == "group"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", fields["Timestamp"])
    assert fields["SequenceNumber"] == str(sequence)


def test_the_documented_room_call_becomes_twilio_room_callbacks(
    translator: TwilioVideoTranslator, container: AppContainer, shared_dir: Path
) -> None:
    started = translate(translator, docs_example(shared_dir, "CallStarted"))
    assert started is not None
    check_common(started, container, "room-created", 1)
    assert started["RoomStatus"] == "in-progress"
    assert started["Timestamp"] == "2021-09-22T17:02:38.690Z"

    added_raw = docs_example(shared_dir, "CallParticipantAdded")
    added = translate(translator, added_raw)
    assert added is not None
    check_common(added, container, "participant-connected", 2)
    assert added["RoomSid"] == started["RoomSid"]
    assert added["ParticipantIdentity"] == "alice"  # the ACS user mapped back to the app identity
    assert added["ParticipantSid"] == "PA041e3b8a1cce4ebfb587131312c39410"
    assert added["ParticipantStatus"] == "connected"
    assert "ParticipantDuration" not in added

    left_raw = copy.deepcopy(added_raw)
    left_raw.update(id="left-1", eventType="Microsoft.Communication.CallParticipantRemoved",
                    eventTime="2021-09-22T17:03:11.2843314Z")
    left = translate(translator, left_raw)
    assert left is not None
    check_common(left, container, "participant-disconnected", 3)
    assert (left["ParticipantSid"], left["ParticipantStatus"]) == (added["ParticipantSid"], "disconnected")
    assert left["ParticipantDuration"] == "32"  # from the Added and Removed eventTimes

    removed = translate(translator, docs_example(shared_dir, "CallParticipantRemoved"))  # another call, unmapped user
    assert removed is not None
    assert removed["ParticipantIdentity"].startswith("8:acs:")
    assert "ParticipantDuration" not in removed  # no join seen for that call

    ended = translate(translator, docs_example(shared_dir, "CallEnded"))
    assert ended is not None
    check_common(ended, container, "room-ended", 5)
    assert (ended["RoomStatus"], ended["RoomDuration"]) == ("completed", "50")  # durationOfCall 49.73 s


def test_a_recording_is_matched_to_its_room_through_the_server_call_id(
    translator: TwilioVideoTranslator, container: AppContainer, shared_dir: Path
) -> None:
    raw = docs_example(shared_dir, "RecordingFileStatusUpdated")
    assert translate(translator, raw) is None  # no call seen yet: nothing says which room it was
    container.rooms.remember_call("{server-call-id}", "{roomId}")
    fields = translate(translator, raw)
    assert fields is not None
    check_common(fields, container, "recording-completed", 1)
    assert fields["RoomStatus"] == "completed"  # the session ended with the call
    assert re.fullmatch(r"RT[0-9a-f]{32}", fields["RecordingSid"])
    assert fields["MediaUri"] == raw["data"]["recordingStorageInfo"]["recordingChunks"][0]["contentLocation"]
    assert fields["Duration"] == str(round(raw["data"]["recordingDurationMs"] / 1000))


@pytest.mark.parametrize("name", ["call_started.json", "call_ended.json", "call_participant_added.json",
                                  "call_participant_removed.json"])
def test_spec_examples_of_calls_outside_rooms_are_not_translated(
    translator: TwilioVideoTranslator, shared_dir: Path, name: str
) -> None:
    raw = spec_example(shared_dir, "event-grid-schema", name)
    assert raw["data"]["isRoomsCall"] is False
    assert translate(translator, raw) is None


def test_the_spec_fields_of_room_calls_translate_in_both_schemas(
    translator: TwilioVideoTranslator, container: AppContainer, shared_dir: Path
) -> None:
    results = []
    for schema in ("event-grid-schema", "cloud-events-schema"):
        raw = spec_example(shared_dir, schema, "call_ended.json")
        raw["data"].update(isRoomsCall=True, room={"id": "{roomId}"})
        raw["id"] = f"ended-{schema}"
        results.append(translate(translator, raw))
    assert all(r is not None and r["RoomDuration"] == "10" for r in results)  # callDurationInSeconds
    raw = spec_example(shared_dir, "cloud-events-schema", "call_participant_added.json")
    raw["data"].update(isRoomsCall=True, room={"id": "{roomId}"})
    added = translate(translator, raw)
    assert added is not None
    assert re.fullmatch(r"PA[0-9a-f]{32}", added["ParticipantSid"])  # "participant1" is no GUID: a digest
    assert added["ParticipantIdentity"] == raw["data"]["user"]["communicationIdentifier"]["rawId"]


def test_a_redelivered_event_keeps_its_sequence_number(
    translator: TwilioVideoTranslator, shared_dir: Path
) -> None:
    raw = docs_example(shared_dir, "CallStarted")
    first = translate(translator, raw)
    again = translate(translator, raw)
    other = translate(translator, {**raw, "id": "another-event"})
    assert first is not None
    assert again is not None
    assert other is not None
    assert (first["SequenceNumber"], again["SequenceNumber"], other["SequenceNumber"]) == ("1", "1", "2")


def test_subscriptions_get_only_their_formats_events(shared_dir: Path) -> None:
    video = Subscription("sub_" + "0" * 24, "https://example.com/", "twilio-video", Secret("s" * 16))
    only_ended = Subscription("sub_" + "1" * 24, "https://example.com/", "twilio-video", Secret("s" * 16),
                              event_types=("room-ended",))
    chat = Subscription("sub_" + "2" * 24, "https://example.com/", "twilio", Secret("s" * 16))
    started = parse_event(docs_example(shared_dir, "CallStarted"))
    ended = parse_event(docs_example(shared_dir, "CallEnded"))
    message = AcsEvent(id="m", event_type="Microsoft.Communication.ChatMessageReceivedInThread", source="",
                       subject="", time=None, data={"threadId": "19:x"})
    assert matches(video, started)
    assert matches(video, ended)
    assert not matches(video, message)
    assert matches(only_ended, ended)
    assert not matches(only_ended, started)
    assert matches(chat, message)
    assert not matches(chat, started)

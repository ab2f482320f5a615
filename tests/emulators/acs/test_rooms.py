"""The stand-in's Rooms part through the real azure-communication-rooms SDK (sync and aio), raw HMAC calls,
the real-service recordings, and the call simulation's calling events.

Every response is checked against the official Rooms spec and every calling event against the
documentation and spec examples by ``_spec_guard`` (conftest) when each test ends.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from azure.communication.identity import CommunicationUserIdentifier
from azure.communication.rooms import ParticipantRole, RoomParticipant, RoomsClient
from azure.communication.rooms.aio import RoomsClient as AsyncRoomsClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError

from .conftest import Acs
from .specs import CallingEventSpec, EventSpec
from .test_recordings import RECORDINGS, TIME_FORMATS, load_recording, shape
from .wire import hmac_headers

NOW_SLACK = timedelta(minutes=2)


def rooms(acs: Acs, **options: Any) -> RoomsClient:
    return RoomsClient.from_connection_string(acs.connection_string, **options)


def new_user(acs: Acs) -> CommunicationUserIdentifier:
    return acs.identity().create_user()


def parse(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", text), text
    return datetime.fromisoformat(text[:26] + text[27:])


def signed(acs: Acs, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
           extra: dict[str, str] | None = None) -> requests.Response:
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = hmac_headers(acs, method, path, raw)
    headers["Content-Type"] = content_type
    headers.update(extra or {})
    return requests.request(method, acs.endpoint + path, data=raw, headers=headers, verify=acs.bundle, timeout=30)


V = "?api-version=2025-03-13"


def test_room_lifecycle_through_the_sdk(acs: Acs) -> None:
    client = rooms(acs)
    alice, bob = new_user(acs), new_user(acs)
    room = client.create_room(participants=[RoomParticipant(communication_identifier=alice,
                                                            role=ParticipantRole.PRESENTER)])
    assert re.fullmatch(r"\d{17}", room.id)
    valid_from, valid_until = parse(room.valid_from), parse(room.valid_until)
    assert abs(valid_from - datetime.now(UTC)) < NOW_SLACK
    assert valid_until - valid_from == timedelta(days=180)
    assert room.pstn_dial_out_enabled is False
    assert client.get_room(room.id) == room

    client.add_or_update_participants(room_id=room.id, participants=[
        RoomParticipant(communication_identifier=bob), RoomParticipant(communication_identifier=alice,
                                                                       role=ParticipantRole.CONSUMER)])
    roster = [(p.communication_identifier.raw_id, p.role) for p in client.list_participants(room.id)]
    assert roster == [(alice.raw_id, "Consumer"), (bob.raw_id, "Attendee")]  # alice keeps her place

    until = datetime.now(UTC) + timedelta(days=2)
    updated = client.update_room(room_id=room.id, valid_until=until, pstn_dial_out_enabled=True)
    assert abs(parse(updated.valid_until) - until) < timedelta(milliseconds=1)
    assert updated.valid_from == room.valid_from
    assert updated.pstn_dial_out_enabled is True
    unchanged = client.update_room(room_id=room.id, valid_until=until)  # sends pstnDialOutEnabled: null
    assert unchanged.pstn_dial_out_enabled is True

    client.remove_participants(room_id=room.id, participants=[bob])
    client.remove_participants(room_id=room.id, participants=[bob])  # removing someone absent is fine
    assert [p.communication_identifier.raw_id for p in client.list_participants(room.id)] == [alice.raw_id]
    client.delete_room(room.id)
    with pytest.raises(ResourceNotFoundError):
        client.get_room(room.id)
    with pytest.raises(ResourceNotFoundError):
        client.delete_room(room.id)


def test_list_rooms_pages_newest_first_with_the_sdk_default_and_a_pinned_version(acs: Acs) -> None:
    made = [rooms(acs).create_room().id for _ in range(7)]
    for client in (rooms(acs), rooms(acs, api_version="2025-03-13")):  # the default sends the enum's str() on page 2
        listed = [r.id for r in client.list_rooms()]
        assert listed[:7] == made[::-1]
        assert len(listed) == len(set(listed))
    first = signed(acs, "GET", "/rooms" + V).json()
    assert len(first["value"]) == 5
    link = urlsplit(first["nextLink"])
    assert link.netloc == urlsplit(acs.endpoint).netloc
    assert re.fullmatch(r"nextLink=[A-Za-z0-9_-]+&api-version=.*",
                                                                         link.query)


def test_validity_rules_answer_400_with_one_bad_argument(acs: Acs) -> None:
    client = rooms(acs)
    now = datetime.now(UTC)
    cases = [
        ({"valid_until": now - timedelta(minutes=1)}, "The time range end is in the past.", "ValidUntil"),
        ({"valid_from": now, "valid_until": now + timedelta(days=181)},
         "The time range is incorrect, or larger than 180 days.", "ValidUntil"),
        ({"valid_from": now + timedelta(days=181), "valid_until": now + timedelta(days=182)},
         "Value is incorrect or more than 180 days in the future.", "ValidFrom"),
        ({"valid_from": now + timedelta(days=2), "valid_until": now + timedelta(days=1)},
         "The time range is incorrect, or larger than 180 days.", "ValidUntil"),
    ]
    for kwargs, message, target in cases:
        with pytest.raises(HttpResponseError) as raised:
            client.create_room(**kwargs)
        assert raised.value.status_code == 400
        assert raised.value.error is not None
        assert raised.value.error.code == "BadRequest"
        detail = raised.value.error.details[0]
        assert (detail.code, detail.message, detail.target) == ("BadArgument", message, target)
    exact = client.create_room(valid_from=now, valid_until=now + timedelta(days=180))
    assert parse(exact.valid_until) - parse(exact.valid_from) == timedelta(days=180)


def test_ids_identifiers_and_roles_are_checked(acs: Acs) -> None:
    client = rooms(acs)
    for bad in ("123", "invalid_id", "1" * 19):
        response = signed(acs, "GET", f"/rooms/{bad}{V}")
        assert response.status_code == 400
        assert response.headers["x-ms-error-code"] == "BadRequest"
        assert response.json()["error"]["message"] == "Invalid room ID length."
    missing = signed(acs, "GET", f"/rooms/12345678901234567{V}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NotFound"
    room = client.create_room()
    wrong = signed(acs, "PATCH", f"/rooms/{room.id}/participants{V}",
                   {"participants": {"wrong_mri": {"role": "Attendee"}}}, content_type="application/merge-patch+json")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == "Communication identifier wrong_mri is not supported."
    user = new_user(acs)
    role = signed(acs, "PATCH", f"/rooms/{room.id}/participants{V}",
                  {"participants": {user.raw_id: {"role": "Organizer"}}}, content_type="application/merge-patch+json")
    assert role.status_code == 400
    assert role.json()["error"]["details"][0]["target"] == f"$.participants.{user.raw_id}.role"
    assert list(client.list_participants(room.id)) == []  # nothing half-written
    form = signed(acs, "PATCH", f"/rooms/{room.id}{V}", b"validUntil=x", content_type="text/plain")
    assert form.status_code == 415
    no_version = signed(acs, "GET", f"/rooms/{room.id}")
    assert no_version.status_code == 400
    old_version = signed(acs, "GET", f"/rooms/{room.id}?api-version=2021-01-01")
    assert old_version.status_code == 400
    assert old_version.json()["error"]["code"] == "UnsupportedApiVersion"


def test_hmac_is_required_and_the_decoded_target_is_signed(acs: Acs) -> None:
    wrong_key = base64.b64encode(b"not the key").decode()
    with pytest.raises(ClientAuthenticationError):
        RoomsClient(acs.endpoint, AzureKeyCredential(wrong_key)).create_room()
    unsigned = requests.get(acs.endpoint + "/rooms" + V, verify=acs.bundle, timeout=30)
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "Unauthorized"
    token = base64.urlsafe_b64encode(b"0").rstrip(b"=").decode()
    raw_target = f"/rooms?nextLink={token}%3D&api-version=2025-03-13"  # an encoded character in the query
    headers = hmac_headers(acs, "GET", "/rooms?nextLink=" + token + "=&api-version=2025-03-13", b"")
    decoded = requests.get(acs.endpoint + raw_target, headers=headers, verify=acs.bundle, timeout=30)
    assert decoded.status_code != 401


def test_a_repeated_create_returns_the_first_room(acs: Acs) -> None:
    extra = {"Repeatability-Request-Id": "5f2b0a8e-0000-11ef-9a9b-0242ac120002",
             "Repeatability-First-Sent": "Sun, 22 Nov 2026 01:00:00 GMT"}
    body = {"validFrom": None, "validUntil": None, "pstnDialOutEnabled": False}
    first = signed(acs, "POST", "/rooms" + V, body, extra=extra)
    again = signed(acs, "POST", "/rooms" + V, body, extra=extra)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.headers["Repeatability-Result"] == "accepted"
    assert first.headers["Location"].endswith(first.json()["id"])


def test_the_aio_sdk_round_trips(acs: Acs) -> None:
    user = new_user(acs)

    async def run() -> list[tuple[str, str]]:
        async with AsyncRoomsClient.from_connection_string(acs.connection_string, connection_verify=acs.bundle,
                                                           api_version="2025-03-13") as client:
            room = await client.create_room(participants=[RoomParticipant(communication_identifier=user,
                                                                          role=ParticipantRole.COLLABORATOR)])
            roster = [(p.communication_identifier.raw_id, str(p.role)) async for p in client.list_participants(room.id)]
            await client.delete_room(room.id)
            return roster

    assert asyncio.run(run()) == [(user.raw_id, "Collaborator")]


def _shift_times(body: Any, delta: timedelta) -> Any:
    """Recorded request times moved by ``delta``, so the windows keep their age relative to 'now'."""
    if isinstance(body, dict):
        return {k: _shift_times(v, delta) for k, v in body.items()}
    if isinstance(body, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body):
        moment = datetime.fromisoformat(body.replace("Z", "+00:00")) + delta
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return body


ROOM_RECORDINGS = [
    "test_rooms_client.pyTestRoomsClienttest_add_or_update_participants.json",
    "test_rooms_client.pyTestRoomsClienttest_list_rooms_first_room_is_not_null_success.json",
    "test_rooms_client.pyTestRoomsClienttest_update_room_exceed_max_timerange.json",
]


@pytest.mark.parametrize("name", ROOM_RECORDINGS, ids=lambda n: n.rsplit("test_", 1)[-1][:40])
def test_rooms_recordings_replay_with_the_same_statuses_and_fields(acs: Acs, shared_dir: Path, name: str) -> None:
    exchanges = load_recording(shared_dir / RECORDINGS / name)
    recorded_at = datetime.fromisoformat(exchanges[0].response_body["createdAt"][:26] + "+00:00")
    delta = datetime.now(UTC) - recorded_at
    for _ in range(6):  # enough rooms for the list's first page to have a nextLink, as recorded
        rooms(acs).create_room()
    room_ids: dict[str, str] = {}
    problems: list[str] = []
    for index, exchange in enumerate(exchanges):
        parts = urlsplit(exchange.uri)
        path = parts.path
        for recorded, live in room_ids.items():
            path = path.replace(recorded, live)
        target = f"{path}?{parts.query}"
        body = None if exchange.request_body is None else json.dumps(_shift_times(exchange.request_body, delta))
        content_type = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), None)
        extra = {"Repeatability-Request-Id": f"replay-{name[-30:]}-{index}-{datetime.now(UTC).timestamp()}"} \
            if exchange.method == "POST" else {}
        response = signed(acs, exchange.method, target, body.encode() if body else None,
                          content_type=content_type or "application/json", extra=extra)
        where = f"entry {index} {exchange.method} {parts.path}"
        if response.status_code != exchange.status:
            problems.append(f"{where}: status {response.status_code} != recorded {exchange.status}")
            continue
        live = response.json() if response.content else None
        recorded_body = exchange.response_body
        if (live is None) != (recorded_body is None):
            problems.append(f"{where}: body presence differs")
            continue
        if recorded_body is not None:
            if shape(recorded_body) != shape(live):
                problems.append(f"{where}: fields {sorted(shape(live))} != recorded {sorted(shape(recorded_body))}")
            if exchange.status >= 400 and live != recorded_body:
                problems.append(f"{where}: error {live} != recorded {recorded_body}")
            roster = "value" in recorded_body and exchange.uri.endswith("participants?api-version=2024-04-15")
            if roster and live != recorded_body:
                problems.append(f"{where}: roster {live} != recorded {recorded_body}")
            for key, pattern in TIME_FORMATS.items():
                for field_name in ("createdAt", "validFrom", "validUntil"):
                    value = recorded_body.get(field_name) if isinstance(recorded_body, dict) else None
                    if isinstance(value, str) and pattern.match(value) and not pattern.match(live[field_name]):
                        problems.append(f"{where}: {field_name} not in the recorded {key} format")
        if any(k.lower() == "location" for k in exchange.response_headers) and "Location" not in response.headers:
            problems.append(f"{where}: Location missing")
        if exchange.method == "POST" and live:
            room_ids[recorded_body["id"]] = live["id"]
    assert problems == []


def test_a_simulated_call_emits_the_calling_events_in_order(acs: Acs) -> None:
    client = rooms(acs)
    alice, bob, stranger = new_user(acs), new_user(acs), new_user(acs)
    room = client.create_room(participants=[
        RoomParticipant(communication_identifier=alice, role=ParticipantRole.PRESENTER),
        RoomParticipant(communication_identifier=bob, role=ParticipantRole.ATTENDEE)])
    admin = acs.info["admin"]
    refused = requests.post(f"{admin}/rooms/{room.id}/calls", json={"participants": [stranger.raw_id]},
                            verify=acs.bundle, timeout=30)
    assert refused.status_code == 400
    assert "roster" in refused.json()["error"]
    assert requests.post(f"{admin}/rooms/12345678901234567/calls", json={"participants": [alice.raw_id]},
                         verify=acs.bundle, timeout=30).status_code == 404
    since = acs.admin("GET", "/events")["events"]
    cursor = since[-1]["seq"] if since else 0
    call = requests.post(f"{admin}/rooms/{room.id}/calls", verify=acs.bundle, timeout=30, json={
        "participants": [{"rawId": alice.raw_id, "displayName": "Alice"}, {"rawId": bob.raw_id, "displayName": "Bob"}],
        "durationSeconds": 30, "recording": True}).json()
    events = [e["event"] for e in acs.admin("GET", f"/events?since={cursor}")["events"]]
    assert [e["id"] for e in events] == [e["id"] for e in call["events"]]
    assert [e["eventType"].rsplit(".", 1)[1] for e in events] == [
        "CallStarted", "CallParticipantAdded", "CallParticipantAdded", "CallParticipantRemoved",
        "CallParticipantRemoved", "CallEnded", "RecordingFileStatusUpdated"]
    assert all(e["data"]["room"]["id"] == room.id for e in events[:-1])
    assert {e["data"]["serverCallId"] for e in events[:-1]} == {call["serverCallId"]}
    assert f"/serverCallId/{call['serverCallId']}/" in events[-1]["subject"]
    assert events[1]["data"]["user"]["role"] == "Presenter"
    assert events[2]["data"]["user"]["role"] == "Attendee"
    assert events[3]["data"]["user"]["communicationIdentifier"]["rawId"] == bob.raw_id  # reverse order by default
    assert events[5]["data"]["callDurationInSeconds"] == events[5]["data"]["durationOfCall"] == 30
    times = [e["eventTime"] for e in events]
    assert times == sorted(times)


def test_a_room_not_open_yet_hosts_no_call(acs: Acs) -> None:
    user = new_user(acs)
    now = datetime.now(UTC)
    room = rooms(acs).create_room(valid_from=now + timedelta(days=1), valid_until=now + timedelta(days=2),
                                  participants=[RoomParticipant(communication_identifier=user)])
    response = requests.post(f"{acs.info['admin']}/rooms/{room.id}/calls", json={"participants": [user.raw_id]},
                             verify=acs.bundle, timeout=30)
    assert response.status_code == 409


def test_the_calling_checks_catch_a_broken_event(acs: Acs, event_spec: EventSpec) -> None:
    calling = event_spec.calling
    assert isinstance(calling, CallingEventSpec)
    user = new_user(acs)
    room = rooms(acs).create_room(participants=[RoomParticipant(communication_identifier=user)])
    cursor = acs.admin("GET", "/events")["events"][-1]["seq"] if acs.admin("GET", "/events")["events"] else 0
    requests.post(f"{acs.info['admin']}/rooms/{room.id}/calls", json={"participants": [user.raw_id]},
                  verify=acs.bundle, timeout=30).raise_for_status()
    event = acs.admin("GET", f"/events?since={cursor}")["events"][1]["event"]
    assert event_spec.check(event, "eventgrid") == []
    broken = {**event, "data": {k: v for k, v in event["data"].items() if k != "room"}}
    assert event_spec.check(broken, "eventgrid")
    invented = {**event, "data": {**event["data"], "roomName": "x"}}
    assert event_spec.check(invented, "eventgrid")
    wrong_type = {**event, "data": {**event["data"], "isTwoParty": "no"}}
    assert event_spec.check(wrong_type, "eventgrid")


def test_a_snapshot_keeps_rooms_and_rosters(acs_factory: Any) -> None:
    server = acs_factory("--seed", "21")
    client = RoomsClient.from_connection_string(server.connection_string, connection_verify=server.bundle)
    user = server.identity().create_user()
    room = client.create_room(participants=[RoomParticipant(communication_identifier=user,
                                                            role=ParticipantRole.PRESENTER)])
    state = server.admin("GET", "/snapshot")["state"]
    server.admin("POST", "/reset")
    with pytest.raises(ResourceNotFoundError):
        client.get_room(room.id)
    server.admin("PUT", "/snapshot", json={"state": state})
    assert client.get_room(room.id) == room
    assert [(p.communication_identifier.raw_id, p.role) for p in client.list_participants(room.id)] == [
        (user.raw_id, "Presenter")]

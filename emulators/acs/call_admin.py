"""Admin routes that simulate calls in a room and emit ACS calling events (research rooms-and-calling.md §3).

``POST /__admin/rooms/{roomId}/calls`` runs one whole call on a simulated timeline that ends
now: CallStarted, a CallParticipantAdded per join (in order), a CallParticipantRemoved per
leave, CallEnded when the last one leaves, and RecordingFileStatusUpdated when asked for a
recording. Rooms are invite-only, so every participant must be on the room's roster; their
``role`` comes from it. ``GET /__admin/rooms`` lists rooms with their rosters.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from .emulator import Emulator
from .formats import event_time
from .room_state import Room

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
USER_AGENT = "azure-communication-calling/1.30.1 (acs-emulator; browser=chrome)"
MAX_PARTICIPANTS = 350  # interactive participants of a room call (research §1.6)


class CallSpecError(ValueError):
    """The simulation request is malformed (answered 400 with this text)."""


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


def identifier(raw_id: str) -> dict[str, Any]:
    """A ``CommunicationIdentifierModel`` with ``kind``, as the calling events' spec writes it."""
    return {"kind": "communicationUser", "rawId": raw_id, "communicationUser": {"id": raw_id}}


def call_participant(raw_id: str, role: str) -> dict[str, Any]:
    return {"communicationIdentifier": identifier(raw_id), "role": role}


class CallSimulation:
    """One call in ``room``: ids, the timeline, and the events it emits."""

    def __init__(self, emu: Emulator, room: Room, spec: dict[str, Any]) -> None:
        self.emu = emu
        self.room = room
        self.people = self._people(spec.get("participants"))
        self.duration = self._number(spec.get("durationSeconds", 60), "durationSeconds", 1, 86_400)
        self.recording = spec.get("recording", False)
        if not isinstance(self.recording, bool):
            raise CallSpecError("recording must be true or false")
        order = spec.get("leaveOrder")
        joined = [p["rawId"] for p in self.people]
        self.leave_order = list(reversed(joined)) if order is None else order
        if not isinstance(self.leave_order, list) or sorted(self.leave_order) != sorted(joined):
            raise CallSpecError("leaveOrder must list every participant's rawId once")
        self.server_call_id = emu.room_ids.server_call_id()
        self.correlation_id = emu.room_ids.uuid()
        self.started_by = joined[0]

    def _people(self, raw: Any) -> list[dict[str, str]]:
        if not isinstance(raw, list) or not raw:
            raise CallSpecError("participants must be a non-empty list of {rawId, displayName?}")
        if len(raw) > MAX_PARTICIPANTS:
            raise CallSpecError(f"a room call holds at most {MAX_PARTICIPANTS} participants")
        people: list[dict[str, str]] = []
        for item in raw:
            entry = {"rawId": item} if isinstance(item, str) else item
            if not isinstance(entry, dict) or not isinstance(entry.get("rawId"), str):
                raise CallSpecError("each participant needs a rawId string")
            raw_id = entry["rawId"]
            if raw_id not in self.room.participants:
                raise CallSpecError(f"{raw_id} is not on the room's roster (rooms are invite-only)")
            if any(p["rawId"] == raw_id for p in people):
                raise CallSpecError(f"{raw_id} is listed twice")
            name = entry.get("displayName", "")
            if not isinstance(name, str):
                raise CallSpecError("displayName must be a string")
            people.append({"rawId": raw_id, "displayName": name})
        return people

    @staticmethod
    def _number(value: Any, name: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise CallSpecError(f"{name} must be a number from {low:g} to {high:g}")
        return float(value)

    def _common(self) -> dict[str, Any]:
        return {
            "startedBy": call_participant(self.started_by, self.room.participants[self.started_by]),
            "serverCallId": self.server_call_id,
            "group": {"id": ZERO_GUID},
            "room": {"id": self.room.id},
            "isTwoParty": False,
            "correlationId": self.correlation_id,
            "isRoomsCall": True,
        }

    def _participant_data(self, person: dict[str, str], participant_id: str, *, removed: bool) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": call_participant(person["rawId"], self.room.participants[person["rawId"]]),
            "displayName": person["displayName"],
            "participantId": participant_id,
            "userAgent": USER_AGENT,
            "endpointType": USER_AGENT,
            **self._common(),
        }
        if removed:
            data["reason"] = {"code": 0, "subCode": 0, "phrase": "Participant left the call."}
        return data

    def run(self) -> dict[str, Any]:
        """Emit every event of the call; returns the call's ids and the events in order."""
        end = self.emu.now()
        start = end - timedelta(seconds=self.duration)
        step = timedelta(seconds=min(1.0, self.duration / (2 * len(self.people) + 2)))
        publish = self.emu.events.publish
        sent: list[dict[str, str]] = []

        def emit(event_type: str, subject: str, data: dict[str, Any], at: datetime) -> None:
            event_id = self.emu.room_ids.uuid()
            publish(event_type, subject, data, at, event_id=event_id)
            sent.append({"id": event_id, "eventType": "Microsoft.Communication." + event_type,
                         "eventTime": event_time(at)})

        call = f"call/{self.server_call_id}"
        emit("CallStarted", f"{call}/startedBy/{self.started_by}", self._common(), start)
        ids = {p["rawId"]: self.emu.room_ids.uuid() for p in self.people}
        for index, person in enumerate(self.people):
            emit("CallParticipantAdded", f"{call}/participant/{person['rawId']}",
                 self._participant_data(person, ids[person["rawId"]], removed=False), start + step * (index + 1))
        by_id = {p["rawId"]: p for p in self.people}
        leaves = len(self.leave_order)
        for index, raw_id in enumerate(self.leave_order):
            emit("CallParticipantRemoved", f"{call}/participant/{raw_id}",
                 self._participant_data(by_id[raw_id], ids[raw_id], removed=True), end - step * (leaves - index))
        last = self.leave_order[-1]
        ended = {
            **self._common(),
            "endedBy": {"communicationIdentifier": identifier(last), "type": "Participant",
                        "name": by_id[last]["displayName"]},
            "reason": {"code": 0, "subCode": 0, "phrase": "Call ended successfully."},
            "callDurationInSeconds": self.duration,
            "durationOfCall": self.duration,
        }
        emit("CallEnded", call, ended, end)
        if self.recording:
            self._recording(emit, start + step, end)
        self.emu.rooms.calls += 1
        return {"roomId": self.room.id, "serverCallId": self.server_call_id, "correlationId": self.correlation_id,
                "events": sent}

    def _recording(self, emit: Any, started: datetime, ended: datetime) -> None:
        recording_id = self.emu.room_ids.uuid()
        document = self.emu.room_ids.document_id()
        base = f"https://storage.asm.skype.com/v1/objects/{document}/content"
        data = {
            "recordingStorageInfo": {"recordingChunks": [{
                "documentId": document, "index": 0, "endReason": "SessionEnded",
                "contentLocation": f"{base}/video", "metadataLocation": f"{base}/acsmetadata",
                "deleteLocation": f"{base}/deletedata",
            }]},
            "recordingStartTime": event_time(started),
            "recordingDurationMs": int((ended - started).total_seconds() * 1000),
            "sessionEndReason": "CallEnded",
            "recordingContentType": "AudioVideo",
            "recordingChannelType": "Mixed",
            "recordingFormatType": "Mp4",
        }
        subject = f"/recording/call/{self.correlation_id}/serverCallId/{self.server_call_id}/recordingId/{recording_id}"
        emit("RecordingFileStatusUpdated", subject, data, ended)


def add_routes(app: web.Application, emu: Emulator, prefix: str) -> None:
    """Mount the room and call admin routes on ``app``."""

    async def list_rooms(_: web.Request) -> web.Response:
        return _json({"rooms": [r.admin_view() for r in emu.rooms.rooms.values()], "calls": emu.rooms.calls})

    async def simulate_call(request: web.Request) -> web.Response:
        room = emu.rooms.rooms.get(request.match_info["room_id"])
        if room is None:
            return _json({"error": "no such room"}, 404)
        now = emu.now()
        if not room.valid_from <= now <= room.valid_until:
            return _json({"error": "the room is not open now (outside validFrom..validUntil)"}, 409)
        try:
            raw = await request.read()
            spec = json.loads(raw) if raw.strip() else {}
            if not isinstance(spec, dict):
                raise CallSpecError("expected a JSON object")
            result = CallSimulation(emu, room, spec).run()
        except (ValueError, CallSpecError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json(result, 201)

    app.router.add_get(f"{prefix}/rooms", list_rooms)
    app.router.add_post(f"{prefix}/rooms/{{room_id}}/calls", simulate_call)

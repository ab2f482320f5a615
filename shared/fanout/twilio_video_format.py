"""ACS calling events of room calls as Twilio Video room status callbacks (research rooms-and-calling.md §4.1).

CallStarted -> ``room-created``, CallParticipantAdded -> ``participant-connected``,
CallParticipantRemoved -> ``participant-disconnected``, CallEnded -> ``room-ended``,
RecordingFileStatusUpdated -> ``recording-completed``. ``RoomName`` is the name the room was
made for (the room map), ``ParticipantIdentity`` the app identity of the ACS user (the
identity map), ``SequenceNumber`` a per-room counter persisted in the room map (one number per
event, also across Event Grid redeliveries). SIDs are derived from ACS ids (``RM``/``PA``/``RT``
+ 32 hex), stable for the same room, participant and recording. Calls outside rooms (no
``room.id``, or ``isRoomsCall: false``) are not translated; recording events carry no room id
and are matched through their ``serverCallId``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..state.rooms import RoomMapStore
from .events import AcsEvent
from .lookups import IdLookups
from .twilio_format import twilio_date

TWILIO_VIDEO_EVENT_FOR: Mapping[str, str] = {
    "CallStarted": "room-created",
    "CallParticipantAdded": "participant-connected",
    "CallParticipantRemoved": "participant-disconnected",
    "CallEnded": "room-ended",
    "RecordingFileStatusUpdated": "recording-completed",
}
TWILIO_VIDEO_EVENT_TYPES = tuple(TWILIO_VIDEO_EVENT_FOR.values())
_RECORDING_SUBJECT = re.compile(r"/recording/call/[^/]*/serverCallId/(?P<call>[^/]+)/recordingId/(?P<rec>[^/]+)")
_HEX32 = re.compile(r"[0-9a-f]{32}\Z")
_CONTAINERS = {"Mp4": "mp4", "Mp3": "mp3", "Wav": "wav"}


def sid(prefix: str, value: str) -> str:
    """A Twilio-shaped SID: ``prefix`` + 32 hex, the GUID itself when ``value`` is one, else a digest of it."""
    compact = value.replace("-", "").lower()
    if _HEX32.match(compact):
        return prefix + compact
    return prefix + hashlib.md5(value.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse(value: str | None) -> datetime | None:
    text = twilio_date(value)
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _seconds(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return str(round(value))


class TwilioVideoTranslator:
    """Builds the form fields of one Twilio room status callback from one ACS calling event."""

    def __init__(self, *, account_sid: str, rooms: RoomMapStore, lookups: IdLookups) -> None:
        self._account_sid = account_sid
        self._rooms = rooms
        self._lookups = lookups

    @staticmethod
    def event_type_for(event: AcsEvent) -> str | None:
        return TWILIO_VIDEO_EVENT_FOR.get(event.short_type) if event.is_calling else None

    def room_of(self, event: AcsEvent) -> tuple[str, str] | None:
        """``(room id, serverCallId)`` of a room call's event, or None (not a room call)."""
        data = event.data
        if event.short_type == "RecordingFileStatusUpdated":
            found = _RECORDING_SUBJECT.search(event.subject)
            call = found.group("call") if found else None
            room_id = self._rooms.find_room_for_call(call) if call else None
            return (room_id, call) if room_id and call else None
        if data.get("isRoomsCall") is False:
            return None
        room_id = _object(data.get("room")).get("id")
        call = data.get("serverCallId")
        if not isinstance(room_id, str) or not room_id or not isinstance(call, str) or not call:
            return None
        return room_id, call

    def translate(self, event: AcsEvent) -> dict[str, str] | None:
        """The callback's form fields (strings only, empty ones left out), or None when not translated."""
        status_event = self.event_type_for(event)
        located = self.room_of(event) if status_event is not None else None
        if status_event is None or located is None:
            return None
        room_id, call = located
        if status_event in ("room-created", "room-ended"):
            self._rooms.remember_call(call, room_id)
        data = event.data
        fields: dict[str, str | None] = {
            "AccountSid": self._account_sid,
            "RoomName": self._rooms.find_name_for_room(room_id) or room_id,
            "RoomSid": sid("RM", room_id),
            "RoomStatus": "completed" if status_event == "room-ended" or data.get("sessionEndReason") == "CallEnded"
            else "in-progress",
            "RoomType": "group",
            "StatusCallbackEvent": status_event,
            "Timestamp": twilio_date(event.time),
            "SequenceNumber": str(self._rooms.next_sequence(room_id, event.id)),
        }
        if status_event.startswith("participant-"):
            fields.update(self._participant(event, call, connected=status_event == "participant-connected"))
        elif status_event == "room-ended":
            fields["RoomDuration"] = _seconds(data.get("callDurationInSeconds", data.get("durationOfCall")))
        elif status_event == "recording-completed":
            fields.update(self._recording(event))
        return {name: value for name, value in fields.items() if value is not None}

    def _participant(self, event: AcsEvent, call: str, *, connected: bool) -> dict[str, str | None]:
        data = event.data
        who = _object(_object(data.get("user")).get("communicationIdentifier"))
        raw_id = str(who.get("rawId") or _object(who.get("communicationUser")).get("id") or "")
        participant_id = data.get("participantId")
        fields: dict[str, str | None] = {
            "ParticipantSid": sid("PA", participant_id if isinstance(participant_id, str) and participant_id
                                  else f"{call}|{raw_id}"),
            "ParticipantStatus": "connected" if connected else "disconnected",
            "ParticipantIdentity": self._lookups.participant(who).identity or None,
        }
        moment = _parse(event.time)
        if connected and moment is not None and raw_id:
            self._rooms.record_join(call, raw_id, moment)
        elif not connected and moment is not None and raw_id:
            joined = self._rooms.find_join(call, raw_id)
            if joined is not None:
                fields["ParticipantDuration"] = str(max(0, round((moment - joined).total_seconds())))
        return fields

    def _recording(self, event: AcsEvent) -> dict[str, str | None]:
        data = event.data
        found = _RECORDING_SUBJECT.search(event.subject)
        chunks = _object(data.get("recordingStorageInfo")).get("recordingChunks")
        first = _object(chunks[0]) if isinstance(chunks, list) and chunks else {}
        location = first.get("contentLocation")
        duration_ms = data.get("recordingDurationMs")
        content = data.get("recordingContentType")
        return {
            "RecordingSid": sid("RT", found.group("rec") if found else event.id),
            "RecordingUri": location if isinstance(location, str) else None,
            "MediaUri": location if isinstance(location, str) else None,
            "MediaExternalLocation": location if isinstance(location, str) else None,
            "Duration": _seconds(duration_ms / 1000) if isinstance(duration_ms, (int, float)) else None,
            "Container": _CONTAINERS.get(str(data.get("recordingFormatType"))),
            "Type": "audio" if content == "Audio" else "video" if content else None,
        }

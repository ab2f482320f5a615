"""Twilio Video migration: room tokens for users, room management for the backend."""

from __future__ import annotations

from .common import (
    CALLER,
    DATE_TIME,
    FUNCTION_KEY,
    STRING,
    Json,
    answer,
    array,
    header,
    obj,
    operation,
    path_param,
    ref,
)

_NAME = path_param("name", "The Twilio room name (UniqueName), URL-encoded.")
_ROLE: Json = {"type": "string", "description": "An ACS room role: Presenter, Attendee or Consumer."}

SCHEMAS: Json = {
    "VideoTokenRequest": obj({
        "room": {**STRING, "description": "The Twilio room name."}, "identity": STRING, "role": _ROLE,
        "format": {"type": "string", "enum": ["acs", "twilio"]},
    }, required=["room"]),
    "VideoAdmission": obj({
        "token": STRING, "expiresOn": DATE_TIME, "communicationUserId": STRING, "roomId": STRING,
        "endpoint": STRING, "room": STRING, "role": STRING, "identity": STRING,
    }, required=["token", "expiresOn", "communicationUserId", "roomId", "endpoint", "room", "role", "identity"]),
    "TwilioVideoToken": obj({"identity": STRING, "token": STRING, "room": STRING},
                            required=["identity", "token", "room"]),
    "RoomRequest": obj({"name": STRING, "validFrom": DATE_TIME, "validUntil": DATE_TIME}, required=["name"]),
    "RoomParticipant": obj({"identity": STRING, "communicationUserId": STRING, "role": STRING},
                           required=["identity", "communicationUserId", "role"]),
    "VideoRoom": obj({
        "name": STRING, "roomId": STRING,
        "status": {"type": "string", "enum": ["scheduled", "open", "expired", "closed"]},
        "admission": {"type": "string", "enum": ["roster", "open"],
                      "description": "roster: only the roster may join (the backend made or rostered it); open: "
                                     "any signed-in user (made by a user's join)."},
        "validFrom": DATE_TIME, "validUntil": DATE_TIME, "createdAt": DATE_TIME,
        "participants": array(ref("RoomParticipant")),
    }, required=["name", "roomId", "status", "admission", "validFrom", "validUntil", "createdAt"]),
    "RosterRequest": obj({"participants": {**array(obj({"identity": STRING, "role": _ROLE}, required=["identity"])),
                                           "maxItems": 350}}, required=["participants"]),
}

PATHS: Json = {
    "/video/token": {"post": operation(
        "video_token", tag="video", summary="Join a room: a voip token and a role",
        description="The caller (as for /api/token) joins the ACS room behind the Twilio room name with its role, "
                    "under the admission policy: a room the backend made or rostered admits only its roster "
                    "(403 NotOnRoster); a closed room stays closed (403 RoomClosed for users, 409 for the backend); "
                    "users make rooms by joining only with VIDEO_USERS_CREATE_ROOMS (else 404 RoomNotFound), "
                    "at most VIDEO_USER_ROOMS_PER_HOUR (429).",
        security=CALLER, body=ref("VideoTokenRequest"),
        responses={"200": {"description": "Admitted.", "headers": {"Cache-Control": header("no-store")},
                           "content": {"application/json": {"schema": {
                               "oneOf": [ref("VideoAdmission"), ref("TwilioVideoToken")]}}}}},
        errors=(400, 401, 403, 404, 409, 413, 415, 429),
    )},
    "/video/rooms": {"post": operation(
        "video_rooms_create", tag="video", summary="Create a room ahead of time",
        description="One ACS room per name, admitting only its roster; validity defaults from "
                    "VIDEO_ROOM_VALIDITY_MINUTES. A closed room is opened again.",
        security=FUNCTION_KEY, body=ref("RoomRequest"),
        responses={"201": answer("Created.", ref("VideoRoom"))}, errors=(400, 409, 413, 415),
    )},
    "/video/rooms/{name}": {
        "get": operation(
            "video_rooms_get", tag="video", summary="A room with its participants",
            description="The room's window, status and roster.", security=FUNCTION_KEY, parameters=[_NAME],
            responses={"200": answer("The room.", ref("VideoRoom"))}, errors=(400, 404),
        ),
        "delete": operation(
            "video_rooms_delete", tag="video", summary="Close a room",
            description="Deletes the ACS room; the name stays closed until POST /api/video/rooms opens it again.",
            security=FUNCTION_KEY, parameters=[_NAME],
            responses={"204": answer("Closed.")}, errors=(400, 404),
        ),
    },
    "/video/rooms/{name}/participants": {"put": operation(
        "video_rooms_participants", tag="video", summary="Set a room's roster",
        description="Exactly these identities with these roles (others are removed); the room then admits only "
                    "its roster. 409 RoomClosed for a closed room.",
        security=FUNCTION_KEY, parameters=[_NAME], body=ref("RosterRequest"),
        responses={"200": answer("The room with its roster.", ref("VideoRoom"))}, errors=(400, 404, 409, 413, 415),
    )},
}

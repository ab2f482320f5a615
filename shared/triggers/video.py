"""Twilio Video migration routes: room tokens for users, room management for the trusted backend.

* ``POST /api/video/token`` (``ANONYMOUS`` at the host; callers authenticate as for ``/api/token``):
  body ``{room, identity?, role?, format?}``; the caller joins the room with its role and gets a
  ``voip`` token. ``format=twilio`` answers ``{identity, token, room}``.
* ``POST /api/video/rooms``, ``GET|DELETE /api/video/rooms/{name}``,
  ``PUT /api/video/rooms/{name}/participants`` (function key): create ahead of time, inspect,
  close, and set the roster with roles.
"""

from __future__ import annotations

from datetime import UTC, datetime

import azure.functions as func

from .. import telemetry
from ..container import AppContainer
from ..errors import BadRequestError
from ..http import NO_STORE, challenge, handle_errors, json_response, read_json_object
from ..inputs import only_fields
from ..video.requests import check_room_name, parse_roster, parse_time
from . import new_blueprint

TOKEN_FIELDS = ("room", "identity", "role", "format")
CREATE_FIELDS = ("name", "validFrom", "validUntil")


def _format(value: object) -> str:
    if value is None or value == "":
        return "acs"
    if value not in ("acs", "twilio"):
        raise BadRequestError("format must be acs or twilio.", target="format")
    return str(value)


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("video_token")
    @bp.route(route="video/token", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def video_token(req: func.HttpRequest) -> func.HttpResponse:
        caller = container.callers.authenticate(req.headers, req.params)
        body = read_json_object(req)
        only_fields(body, TOKEN_FIELDS, what="the video token request")
        answer = _format(body.get("format", req.params.get("format")))
        room = check_room_name(body.get("room"))
        admission = container.video_admission.admit_caller(caller, room=room, identity=body.get("identity"),
                                                 role=body.get("role"))
        telemetry.token_issued(route="video", caller_kind=caller.kind.value)
        return json_response(admission.to_twilio_json() if answer == "twilio" else admission.to_json(),
                             headers=NO_STORE)

    @bp.function_name("video_rooms_create")
    @bp.route(route="video/rooms", methods=["POST"])
    @handle_errors
    def video_rooms_create(req: func.HttpRequest) -> func.HttpResponse:
        body = read_json_object(req)
        only_fields(body, CREATE_FIELDS, what="the room request")
        name = check_room_name(body.get("name"))
        room = container.video.create_room(
            name, valid_from=parse_time(body.get("validFrom"), what="validFrom"),
            valid_until=parse_time(body.get("validUntil"), what="validUntil"),
        )
        return json_response(room.to_json(datetime.now(UTC)), status=201)

    @bp.function_name("video_rooms_get")
    @bp.route(route="video/rooms/{name}", methods=["GET"])
    @handle_errors
    def video_rooms_get(req: func.HttpRequest) -> func.HttpResponse:
        room = container.video.get_room(check_room_name(req.route_params.get("name")))
        return json_response(room.to_json(datetime.now(UTC)))

    @bp.function_name("video_rooms_delete")
    @bp.route(route="video/rooms/{name}", methods=["DELETE"])
    @handle_errors
    def video_rooms_delete(req: func.HttpRequest) -> func.HttpResponse:
        container.video.delete_room(check_room_name(req.route_params.get("name")))
        return func.HttpResponse(status_code=204)

    @bp.function_name("video_rooms_participants")
    @bp.route(route="video/rooms/{name}/participants", methods=["PUT"])
    @handle_errors
    def video_rooms_participants(req: func.HttpRequest) -> func.HttpResponse:
        name = check_room_name(req.route_params.get("name"))
        roster = parse_roster(read_json_object(req), default_role=container.settings.video.default_role)
        room = container.video.set_participants(name, roster)
        return json_response(room.to_json(datetime.now(UTC)))

    return bp

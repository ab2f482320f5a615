"""Every video route on the real Rooms SDK and the ACS stand-in: tokens, rooms, rosters, roles, expiry."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from azure.communication.rooms import RoomsClient

from .conftest import AcsRooms, VideoApp, body_of


def _jwt_claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.b64decode(payload + "==", altchars=b"-_")))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_user_joins_a_room_by_name_with_a_voip_token(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    response = video_app.token({"room": "daily standup"}, user="alice")
    assert response.status_code == 200, response.get_body()
    assert response.headers["Cache-Control"] == "no-store"
    answer = body_of(response)
    assert set(answer) == {"token", "expiresOn", "communicationUserId", "roomId", "endpoint", "room", "role",
                           "identity"}
    assert (answer["room"], answer["role"], answer["identity"]) == ("daily standup", "Attendee", "alice")
    claims = _jwt_claims(answer["token"])
    assert claims["acsScope"] == "voip"
    assert "8:" + str(claims["skypeid"]) == answer["communicationUserId"]
    assert acs_rooms.roster(answer["roomId"]) == {answer["communicationUserId"]: "Attendee"}
    assert answer["communicationUserId"] == video_app.container.identity_map.get_identity("alice").acs_user_id

    again = body_of(video_app.token({"room": "daily standup"}, user="bob"))
    assert again["roomId"] == answer["roomId"]  # one ACS room per name
    assert acs_rooms.roster(answer["roomId"]) == {answer["communicationUserId"]: "Attendee",
                                                  again["communicationUserId"]: "Attendee"}


def test_twilio_format_answers_identity_token_and_room(video_app: VideoApp) -> None:
    answer = body_of(video_app.token({"room": "cooking-class", "format": "twilio"}, user="carol"))
    assert set(answer) == {"identity", "token", "room"}
    assert (answer["identity"], answer["room"]) == ("carol", "cooking-class")


def test_the_backend_names_identity_and_role(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    answer = body_of(video_app.token({"room": "webinar", "identity": "host", "role": "presenter"}))
    assert answer["role"] == "Presenter"
    assert acs_rooms.roster(answer["roomId"])[answer["communicationUserId"]] == "Presenter"
    missing = video_app.token({"room": "webinar"})
    assert missing.status_code == 400


def test_users_cannot_pick_identity_or_role_and_need_the_voip_scope(
    video_app: VideoApp, make_video_app: Callable[..., VideoApp]
) -> None:
    assert video_app.token({"room": "r", "identity": "mallory"}, user="alice").status_code == 403
    assert video_app.token({"room": "r", "role": "Presenter"}, user="alice").status_code == 403
    chat_only = make_video_app(TOKEN_USER_SCOPES="chat")
    refused = chat_only.token({"room": "r2"}, user="alice")
    assert refused.status_code == 403
    assert "voip" in body_of(refused)["error"]["message"]
    assert chat_only.container.rooms.find_room("r2") is None  # nothing written
    anonymous = video_app.token({"room": "r"}, headers={"Accept": "application/json"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"


def test_the_role_claim_decides_a_users_role(make_video_app: Callable[..., VideoApp], acs_rooms: AcsRooms) -> None:
    app = make_video_app(VIDEO_ROLE_CLAIM="video_role", VIDEO_DEFAULT_ROLE="Consumer")
    presenter = body_of(app.token({"room": "town hall"}, user="ceo", claims={"video_role": "Presenter"}))
    viewer = body_of(app.token({"room": "town hall"}, user="staff"))
    assert (presenter["role"], viewer["role"]) == ("Presenter", "Consumer")
    assert acs_rooms.roster(presenter["roomId"]) == {presenter["communicationUserId"]: "Presenter",
                                                     viewer["communicationUserId"]: "Consumer"}
    bad = app.token({"room": "town hall"}, user="eve", claims={"video_role": "Organizer"})
    assert bad.status_code == 403
    assert "video_role" in body_of(bad)["error"]["message"]


def test_create_get_and_delete_a_room(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    now = datetime.now(UTC)
    start, end = now + timedelta(hours=1), now + timedelta(hours=3)
    created = video_app.create({"name": "board meeting", "validFrom": _iso(start), "validUntil": _iso(end)})
    assert created.status_code == 201, created.get_body()
    room = body_of(created)
    assert room["status"] == "scheduled"
    assert (room["validFrom"], room["validUntil"]) == (_iso(start), _iso(end))
    acs_room = acs_rooms.rooms()[room["roomId"]]
    assert acs_room["validFrom"].startswith(_iso(start)[:19])
    assert video_app.create({"name": "board meeting"}).status_code == 409

    got = body_of(video_app.get("board meeting"))
    assert got["roomId"] == room["roomId"]
    assert got["participants"] == []
    assert video_app.delete("board meeting").status_code == 204
    assert room["roomId"] not in acs_rooms.rooms()
    closed = body_of(video_app.get("board meeting"))
    assert (closed["status"], closed["participants"]) == ("closed", [])
    assert video_app.delete("board meeting").status_code == 204  # already closed is fine
    assert video_app.get("never made").status_code == 404


def test_bad_windows_write_nothing(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    before = set(acs_rooms.rooms())
    now = datetime.now(UTC)
    for body in ({"name": "x", "validUntil": _iso(now + timedelta(days=200))},
                 {"name": "x", "validUntil": _iso(now - timedelta(minutes=1))},
                 {"name": "x", "validFrom": "next tuesday"},
                 {"name": "x", "validFrom": _iso(now + timedelta(days=2)),
                  "validUntil": _iso(now + timedelta(days=1))}):
        response = video_app.create(body)
        assert response.status_code == 400, body
    assert set(acs_rooms.rooms()) == before
    assert video_app.container.rooms.find_room("x") is None


def test_participants_are_set_with_roles_and_role_changes(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    first = video_app.put_participants("lesson", {"participants": [
        {"identity": "teacher", "role": "Presenter"}, {"identity": "pupil"},
        {"identity": "parent", "role": "Consumer"}]})
    assert first.status_code == 200, first.get_body()
    room = body_of(first)
    roles = {p["identity"]: p["role"] for p in room["participants"]}
    assert roles == {"teacher": "Presenter", "pupil": "Attendee", "parent": "Consumer"}
    second = body_of(video_app.put_participants("lesson", {"participants": [
        {"identity": "teacher", "role": "Collaborator"}, {"identity": "pupil", "role": "Presenter"}]}))
    assert {p["identity"]: p["role"] for p in second["participants"]} == {"teacher": "Collaborator",
                                                                          "pupil": "Presenter"}
    parent = video_app.container.identity_map.get_identity("parent").acs_user_id
    assert parent not in acs_rooms.roster(room["roomId"])
    assert body_of(video_app.get("lesson"))["participants"] == second["participants"]
    emptied = body_of(video_app.put_participants("lesson", {"participants": []}))
    assert emptied["participants"] == []


def test_an_expired_room_is_replaced_and_the_mapping_updated(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    now = datetime.now(UTC)
    created = body_of(video_app.create({"name": "short", "validUntil": _iso(now + timedelta(seconds=30))}))
    video_app.put_participants("short", {"participants": [{"identity": "ana", "role": "Presenter"}]})
    # 30 s left is inside the replacement margin: the next admission gets a fresh room, the roster carried over.
    joined = body_of(video_app.token({"room": "short", "identity": "ben"}))
    assert joined["roomId"] != created["roomId"]
    mapping = video_app.container.rooms.get_room("short")
    assert mapping.room_id == joined["roomId"]
    assert mapping.valid_until - now > timedelta(days=6)
    ana = video_app.container.identity_map.get_identity("ana").acs_user_id
    assert acs_rooms.roster(joined["roomId"]) == {ana: "Presenter", joined["communicationUserId"]: "Attendee"}
    assert video_app.container.rooms.find_name_for_room(joined["roomId"]) == "short"
    assert video_app.container.rooms.find_name_for_room(created["roomId"]) == "short"  # late callbacks still map
    recreated = video_app.create({"name": "short"})
    assert recreated.status_code == 409  # the replacement is not expired


def test_a_room_deleted_in_acs_behind_the_apps_back_is_replaced(video_app: VideoApp, video_environ: dict[str, str],
                                                                 acs_rooms: AcsRooms) -> None:
    first = body_of(video_app.token({"room": "vanishing"}, user="dan"))
    RoomsClient.from_connection_string(video_environ["ACS_CONNECTION_STRING"],
                                       connection_verify=video_environ["ACS_CA_BUNDLE"]).delete_room(first["roomId"])
    second = body_of(video_app.token({"room": "vanishing"}, user="dan"))
    assert second["roomId"] != first["roomId"]
    assert acs_rooms.roster(second["roomId"]) == {second["communicationUserId"]: "Attendee"}

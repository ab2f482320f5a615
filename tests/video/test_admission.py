"""Regression of issue 17's finding 1: rooms need an admission policy users can trust.

A room the backend created or rostered admits only its roster; a closed room stays closed until the
backend creates it again; users make rooms by joining only when VIDEO_USERS_CREATE_ROOMS is on, and at
most VIDEO_USER_ROOMS_PER_HOUR of them per identity.
"""

from __future__ import annotations

from collections.abc import Callable

from .conftest import AcsRooms, VideoApp, body_of


def _error(response: object) -> tuple[int, str]:
    status = response.status_code  # type: ignore[attr-defined]
    return status, body_of(response)["error"]["code"]


def test_a_backend_room_admits_only_its_roster(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    room = body_of(video_app.create({"name": "board-meeting"}))
    assert room["admission"] == "roster"
    video_app.put_participants("board-meeting", {"participants": [{"identity": "chair", "role": "Presenter"}]})
    chair = video_app.container.identity_map.get_identity("chair").acs_user_id
    before = acs_rooms.roster(room["roomId"])
    assert before == {chair: "Presenter"}

    intruder = video_app.token({"room": "board-meeting"}, user="mallory")
    assert _error(intruder) == (403, "NotOnRoster")
    assert acs_rooms.roster(room["roomId"]) == before  # nobody was added
    assert video_app.container.identity_map.find_identity("mallory") is None  # no ACS user made for the refusal

    admitted = video_app.token({"room": "board-meeting"}, user="chair")
    assert admitted.status_code == 200, admitted.get_body()
    answer = body_of(admitted)
    assert (answer["roomId"], answer["role"], answer["communicationUserId"]) == (room["roomId"], "Presenter", chair)
    assert acs_rooms.roster(room["roomId"]) == before


def test_a_room_the_backend_rostered_admits_only_its_roster(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    made = body_of(video_app.token({"room": "hangout"}, user="carol"))  # made by a user's join: open
    assert body_of(video_app.get("hangout"))["admission"] == "open"
    assert video_app.token({"room": "hangout"}, user="dave").status_code == 200
    video_app.put_participants("hangout", {"participants": [{"identity": "carol"}]})
    assert body_of(video_app.get("hangout"))["admission"] == "roster"
    assert _error(video_app.token({"room": "hangout"}, user="dave")) == (403, "NotOnRoster")
    assert acs_rooms.roster(made["roomId"]) == {made["communicationUserId"]: "Attendee"}


def test_a_closed_room_stays_closed_until_the_backend_opens_it(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    first = body_of(video_app.create({"name": "retired"}))
    video_app.put_participants("retired", {"participants": [{"identity": "erin"}]})
    assert video_app.delete("retired").status_code == 204
    rooms_after_close = set(acs_rooms.rooms())
    assert first["roomId"] not in rooms_after_close

    for user in ("erin", "frank"):
        assert _error(video_app.token({"room": "retired"}, user=user)) == (403, "RoomClosed")
    assert _error(video_app.token({"room": "retired", "identity": "erin"})) == (409, "RoomClosed")
    assert _error(video_app.put_participants("retired", {"participants": [{"identity": "erin"}]})) == \
        (409, "RoomClosed")
    assert set(acs_rooms.rooms()) == rooms_after_close  # nothing re-created the room
    assert body_of(video_app.get("retired"))["status"] == "closed"

    reopened = video_app.create({"name": "retired"})
    assert reopened.status_code == 201
    assert body_of(reopened)["roomId"] != first["roomId"]
    assert _error(video_app.token({"room": "retired"}, user="erin")) == (403, "NotOnRoster")  # a fresh roster
    video_app.put_participants("retired", {"participants": [{"identity": "erin"}]})
    assert body_of(video_app.token({"room": "retired"}, user="erin"))["roomId"] == body_of(reopened)["roomId"]


def test_by_default_users_do_not_make_rooms(make_video_app: Callable[..., VideoApp], acs_rooms: AcsRooms) -> None:
    app = make_video_app(VIDEO_USERS_CREATE_ROOMS="false")
    before = set(acs_rooms.rooms())
    assert _error(app.token({"room": "squatted"}, user="gina")) == (404, "RoomNotFound")
    assert set(acs_rooms.rooms()) == before
    assert app.container.rooms.find_room("squatted") is None
    assert app.token({"room": "squatted", "identity": "gina"}).status_code == 200  # the backend may


def test_rooms_made_by_joining_are_limited_per_identity(
    make_video_app: Callable[..., VideoApp], acs_rooms: AcsRooms
) -> None:
    app = make_video_app(VIDEO_USER_ROOMS_PER_HOUR="3")
    for n in range(3):
        assert app.token({"room": f"spam-{n}"}, user="henry").status_code == 200
    before = set(acs_rooms.rooms())
    assert _error(app.token({"room": "spam-3"}, user="henry")) == (429, "TooManyRequests")
    assert set(acs_rooms.rooms()) == before
    assert app.container.rooms.find_room("spam-3") is None
    assert app.token({"room": "spam-0"}, user="henry").status_code == 200  # joining an existing room is free
    assert app.token({"room": "spam-3"}, user="iris").status_code == 200  # the limit is per identity


def test_a_migrated_participant_cannot_join_as_a_user(video_app: VideoApp) -> None:
    video_app.container.acs_users.ensure_user("sms:+15550001111", kind="sms")
    refused = video_app.token({"room": "hangout-2"}, user="sms:+15550001111")
    assert _error(refused) == (403, "IdentityKindForbidden")
    assert video_app.container.rooms.find_room("hangout-2") is None

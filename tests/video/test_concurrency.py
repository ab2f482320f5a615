"""One ACS room per name under many concurrent first requests, and per-room sequence numbers under races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from .conftest import AcsRooms, VideoApp, body_of

RACERS = 12


def test_many_first_requests_for_one_name_end_with_one_acs_room(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    before = set(acs_rooms.rooms())
    users = [f"racer-{i}" for i in range(RACERS)]
    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(lambda u: body_of(video_app.token({"room": "launch party"}, user=u)), users))
    room_ids = {a["roomId"] for a in answers}
    assert len(room_ids) == 1
    (room_id,) = room_ids
    assert set(acs_rooms.rooms()) - before == {room_id}  # every loser deleted the room it made
    assert video_app.container.rooms.get_room("launch party").room_id == room_id
    assert set(acs_rooms.roster(room_id)) == {a["communicationUserId"] for a in answers}


def test_concurrent_service_calls_share_one_room(video_app: VideoApp, acs_rooms: AcsRooms) -> None:
    before = set(acs_rooms.rooms())
    with ThreadPoolExecutor(RACERS) as pool:
        mappings = list(pool.map(lambda _: video_app.container.video.ensure_room("retro"), range(RACERS)))
    assert len({m.room_id for m in mappings}) == 1
    assert len(set(acs_rooms.rooms()) - before) == 1


def test_sequence_numbers_are_distinct_increasing_and_stable_per_event(video_app: VideoApp) -> None:
    store = video_app.container.rooms
    events = [f"event-{i}" for i in range(20)]
    with ThreadPoolExecutor(10) as pool:
        numbers = list(pool.map(lambda e: store.next_sequence("12345678901234567", e), events))
    assert sorted(numbers) == list(range(1, 21))
    assert [store.next_sequence("12345678901234567", e) for e in events] == numbers  # redelivery: same number
    assert store.next_sequence("76543210987654321", "event-0") == 1  # per room


def test_forgetting_a_room_leaves_a_racers_newer_room_alone(video_app: VideoApp) -> None:
    store = video_app.container.rooms
    first = video_app.container.video.ensure_room("relay")
    newer = store.replace_room(first, replace(first, room_id="98765432109876543"))
    store.forget_room(first)  # stale: the name now holds the newer room
    assert store.get_room("relay").room_id == newer.room_id
    store.forget_room(newer)
    assert store.find_room("relay") is None

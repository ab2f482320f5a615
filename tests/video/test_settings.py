"""The VIDEO_* settings: defaults, accepted values, and one error naming every bad one (never a value)."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError, load_settings


def test_defaults(app_environ: dict[str, str]) -> None:
    video = load_settings({k: v for k, v in app_environ.items() if k != "VIDEO_ROOM_TABLE"}).video
    assert (video.room_table, video.room_validity_minutes, video.default_role, video.role_claim,
            video.token_expires_in_minutes) == ("videorooms", 10080, "Attendee", None, 60)
    assert (video.users_create_rooms, video.user_rooms_per_hour) == (False, 5)


def test_values_are_read(app_environ: dict[str, str]) -> None:
    video = load_settings({**app_environ, "VIDEO_ROOM_VALIDITY_MINUTES": "259200", "VIDEO_DEFAULT_ROLE": "Consumer",
                           "VIDEO_ROLE_CLAIM": "extension_videoRole", "VIDEO_TOKEN_EXPIRES_IN_MINUTES": "120"}).video
    assert (video.room_validity_minutes, video.default_role, video.role_claim, video.token_expires_in_minutes) == (
        259200, "Consumer", "extension_videoRole", 120)
    rooms = load_settings({**app_environ, "VIDEO_USERS_CREATE_ROOMS": "true", "VIDEO_USER_ROOMS_PER_HOUR": "12"}).video
    assert (rooms.users_create_rooms, rooms.user_rooms_per_hour) == (True, 12)


def test_every_bad_video_setting_is_named(app_environ: dict[str, str]) -> None:
    bad = {"VIDEO_ROOM_TABLE": "no-hyphens-allowed", "VIDEO_ROOM_VALIDITY_MINUTES": "259201",
           "VIDEO_DEFAULT_ROLE": "Organizer", "VIDEO_ROLE_CLAIM": "has space", "VIDEO_TOKEN_EXPIRES_IN_MINUTES": "30",
           "VIDEO_USERS_CREATE_ROOMS": "sometimes", "VIDEO_USER_ROOMS_PER_HOUR": "\u00b2"}
    with pytest.raises(SettingsError) as raised:
        load_settings({**app_environ, **bad})
    assert sorted(raised.value.names) == sorted(bad)
    for value in bad.values():
        assert value not in str(raised.value)

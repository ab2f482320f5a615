"""Twilio Video migration: ACS rooms per room name, who joins with which role."""

from __future__ import annotations

from dataclasses import dataclass

from .core import setting
from .names import EXPECT_TABLE, TABLE_NAME
from .parsers import EXPECT_BOOL, boolean, int_between, match, one_of

ROOM_ROLES = ("Presenter", "Attendee", "Consumer", "Collaborator")


@dataclass(frozen=True)
class VideoSettings:
    """Twilio Video migration: ACS rooms per room name, who joins with which role.

    A room made on first use is valid for ``room_validity_minutes`` (ACS allows up to 180
    days); a caller joins with ``default_role`` unless ``role_claim`` names a claim of its
    token that holds one of the roles.
    """

    room_table: str = setting("VIDEO_ROOM_TABLE", match(TABLE_NAME), EXPECT_TABLE, default="videorooms")
    room_validity_minutes: int = setting(
        "VIDEO_ROOM_VALIDITY_MINUTES", int_between(5, 180 * 24 * 60), "whole minutes from 5 to 259200 (180 days)",
        default=7 * 24 * 60)
    default_role: str = setting("VIDEO_DEFAULT_ROLE", one_of(ROOM_ROLES), "one of " + ", ".join(ROOM_ROLES),
                                default="Attendee")
    role_claim: str | None = setting("VIDEO_ROLE_CLAIM", match(r"[A-Za-z0-9_.:/-]{1,200}\Z"),
                                     "a claim name (letters, digits and _.:/-)", default=None)
    token_expires_in_minutes: int = setting(
        "VIDEO_TOKEN_EXPIRES_IN_MINUTES", int_between(60, 1440), "whole minutes from 60 to 1440", default=60)
    users_create_rooms: bool = setting(  # off: rooms exist only when the backend makes them (docs/video.md)
        "VIDEO_USERS_CREATE_ROOMS", boolean, EXPECT_BOOL, default=False)
    user_rooms_per_hour: int = setting(  # rooms one user may make by joining per hour, when users may
        "VIDEO_USER_ROOMS_PER_HOUR", int_between(1, 1000), "whole rooms from 1 to 1000", default=5)

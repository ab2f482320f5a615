"""Twilio Video migration, server side: ACS rooms by Twilio room name, room tokens, room status callbacks.

* ``requests``: validation of route input (room names, roles, validity windows, rosters);
* ``rooms``: ``VideoRoomService`` (one ACS room per name, created on first use, replaced when expired);
* room status callbacks (format ``twilio-video``) are built by ``shared.fanout.twilio_video_format``
  and travel through the event fan-out like chat webhooks.
"""

from __future__ import annotations

from .rooms import RoomAdmission, VideoRoom, VideoRoomService

__all__ = ["RoomAdmission", "VideoRoom", "VideoRoomService"]

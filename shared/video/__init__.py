"""Twilio Video migration, server side: ACS rooms by Twilio room name, room tokens, room status callbacks.

* ``requests``: validation of route input (room names, roles, validity windows, rosters);
* ``rooms``: ``VideoRoomService`` (one ACS room per name, created on first use, replaced when expired);
* ``admission``: ``RoomAdmissionService`` (who may join: rosters, closed rooms, rooms made by users);
* room status callbacks (format ``twilio-video``) are built by ``shared.fanout.twilio_video_format``
  and travel through the event fan-out like chat webhooks.
"""

from __future__ import annotations

from .admission import AdmissionRules, RoomAdmission, RoomAdmissionService
from .rooms import VideoRoom, VideoRoomService

__all__ = ["AdmissionRules", "RoomAdmission", "RoomAdmissionService", "VideoRoom", "VideoRoomService"]

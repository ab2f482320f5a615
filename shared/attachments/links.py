"""The route URL of a migrated attachment: what the export writes into messages, built from the public base URL.

A message names the app (``PUBLIC_BASE_URL``), the Twilio conversation and the media item;
never the storage account, the container or a signature.
"""

from __future__ import annotations

import re

from ..errors import BadRequestError, ServiceUnavailableError

ROUTE = "attachments/{conversation}/{media}"
_CONVERSATION_SID = re.compile(r"CH[0-9a-f]{32}\Z")
_MEDIA_SID = re.compile(r"ME[0-9a-f]{32}\Z")


def check_conversation_sid(value: object) -> str:
    """``value`` if it is a Twilio conversation (or channel) SID; 400 naming the problem otherwise."""
    if not isinstance(value, str) or not _CONVERSATION_SID.match(value):
        raise BadRequestError("The conversation must be a Twilio conversation SID (CH + 32 hex digits).",
                              target="conversation")
    return value


def check_media_sid(value: object) -> str:
    """``value`` if it is a Twilio media SID; 400 naming the problem otherwise."""
    if not isinstance(value, str) or not _MEDIA_SID.match(value):
        raise BadRequestError("The attachment must be a Twilio media SID (ME + 32 hex digits).", target="media")
    return value


def attachment_path(conversation_sid: str, media_sid: str) -> str:
    """``/api/attachments/<conversation>/<media>`` (both SIDs are URL-safe by their format)."""
    return "/api/" + ROUTE.format(conversation=conversation_sid, media=media_sid)


class AttachmentLinks:
    """Builds attachment URLs on the app's public base URL; refuses when the base URL is unknown."""

    def __init__(self, public_base_url: str | None) -> None:
        self._base = public_base_url.rstrip("/") if public_base_url else None

    @property
    def configured(self) -> bool:
        return self._base is not None

    def attachment_url(self, conversation_sid: str, media_sid: str) -> str:
        if self._base is None:
            raise ServiceUnavailableError(
                "PUBLIC_BASE_URL is not set (and WEBSITE_HOSTNAME is not either): the export cannot write a link "
                "to a migrated attachment; set it to the address clients reach this app at."
            )
        return self._base + attachment_path(conversation_sid, media_sid)

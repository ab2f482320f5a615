"""Verify's checks of what people see: display names in the thread, and attachments through the app's route.

Names: each Twilio participant's display name (Twilio User ``friendly_name``, else attributes,
else the identity) must be the name the ACS thread shows for it. Attachments: for a sample of
each conversation's media, a participant asks ``/api/attachments`` (as the trusted backend
acting for that participant) and must get the blob's exact bytes; an outsider must get 404.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx

from ..attachments.links import AttachmentLinks
from ..settings import Secret
from ..state import IdentityMapStore
from .people import People, identity_of
from .source import SourceConversation, SourceParticipant

OUTSIDER = "acs-migrate-verify/outsider"  # an identity in no thread: the route must answer it 404
SAMPLE_PER_CONVERSATION = 2


def name_problems(conv: SourceConversation, participants: list[SourceParticipant], shown: dict[str, str | None],
                  *, people: People, identity_map: IdentityMapStore) -> list[str]:
    """Participants whose ACS display name differs from their Twilio name (``shown``: ACS user id -> name)."""
    problems = []
    for participant in participants:
        identity = identity_of(participant)
        mapping = identity_map.find_identity(identity)
        if mapping is None:
            continue  # reported by the message checks when it matters
        expected = people.display_name(conv, participant, identity)
        actual = shown.get(mapping.acs_user_id)
        if actual != expected:
            problems.append(f"{identity!r} is shown as {actual!r}, Twilio names it {expected!r}")
    return problems


class AttachmentProbe:
    """Opens attachments through the deployed route, as the trusted backend acting for an identity."""

    def __init__(self, *, links: AttachmentLinks, backend_key: Secret | None, http: httpx.Client | None = None
                 ) -> None:
        self._links = links
        self._key = backend_key
        self._http = http or httpx.Client(timeout=30.0, follow_redirects=False)

    @property
    def skipped_because(self) -> str | None:
        """Why attachments cannot be sampled here, or None."""
        if not self._links.configured:
            return "PUBLIC_BASE_URL is not set"
        if self._key is None:
            return "TOKEN_BACKEND_KEY is not set (the probe acts for a participant as the trusted backend)"
        return None

    def _ask(self, conversation_sid: str, media_sid: str, identity: str) -> httpx.Response:
        assert self._key is not None
        return self._http.get(self._links.attachment_url(conversation_sid, media_sid),
                              params={"format": "json", "identity": identity},
                              headers={"x-functions-key": self._key.reveal()})

    def check(self, conversation_sid: str, media_sid: str, *, participant: str,
              expected: Callable[[], bytes]) -> list[str]:
        """Problems found opening one attachment as ``participant`` and as an outsider (none: both right)."""
        where = f"attachment {media_sid}"
        problems = []
        try:
            answer = self._ask(conversation_sid, media_sid, participant)
            if answer.status_code != 200:
                problems.append(f"{where}: participant {participant!r} got {answer.status_code} from the route")
            else:
                body: Any = answer.json()
                download = self._http.get(str(body.get("url")), follow_redirects=True)
                if download.status_code != 200:
                    problems.append(f"{where}: its link answered {download.status_code}")
                elif hashlib.sha256(download.content).digest() != hashlib.sha256(expected()).digest():
                    problems.append(f"{where}: the bytes through the route differ from the copy")
            outsider = self._ask(conversation_sid, media_sid, OUTSIDER)
            if outsider.status_code != 404:
                problems.append(f"{where}: a non-participant got {outsider.status_code}, not 404")
        except httpx.HTTPError as exc:
            problems.append(f"{where}: the route could not be reached ({type(exc).__name__})")
        return problems

    def close(self) -> None:
        self._http.close()

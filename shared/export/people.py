"""Who is who: Twilio participants and authors -> identities in the identity map -> ACS users and tokens.

Chat participants keep their Twilio identity. SMS and WhatsApp participants get one
identity per address (``sms:+1555…``, ``whatsapp:+1555…``), so the same phone number is
one ACS user across every conversation. Identity creation and token issue share one
pacer matched to ACS's identity limits; tokens are cached until shortly before expiry.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ..acs_users import AcsUserService
from .pacing import Pacer
from .retry import Retrier
from .source import SourceConversation, SourceParticipant, TwilioSource

TOKEN_REFRESH = timedelta(minutes=15)
PARTICIPANT_NAMES = "participantNames"  # conversation record attribute: names_digest of what the thread shows


@dataclass(frozen=True)
class Person:
    """One identity as the export uses it."""

    identity: str  # the key in the identity map
    kind: str  # chat | sms | whatsapp
    display_name: str | None
    acs_user_id: str


def identity_of(participant: SourceParticipant) -> str:
    """The identity-map key of a participant."""
    if participant.kind == "chat" or not participant.address:
        return participant.identity or participant.sid
    address = participant.address
    prefix = f"{participant.kind}:"
    return address if address.startswith(prefix) else prefix + address


def _attribute_name(attributes: str) -> str | None:
    try:
        data = json.loads(attributes or "{}")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key in ("friendlyName", "friendly_name", "displayName", "display_name", "name"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def names_digest(names: Iterable[tuple[str, str | None]]) -> str:
    """A short digest of (identity, display name) pairs, in any order: changes when any name does."""
    digest = hashlib.sha256()
    for identity, name in sorted((i, n or "") for i, n in names):
        digest.update(identity.encode("utf-8", "surrogatepass") + b"\x00" + name.encode("utf-8", "surrogatepass")
                      + b"\x01")
    return digest.hexdigest()[:24]


class People:
    """Maps participants and authors to ``Person`` (ACS user created on first sight) and issues tokens."""

    def __init__(
        self, *, acs_users: AcsUserService, source: TwilioSource, pacer: Pacer, retrier: Retrier
    ) -> None:
        self._acs_users = acs_users
        self._source = source
        self._pacer = pacer
        self._retrier = retrier
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._people: dict[str, Person] = {}
        self._lock = threading.Lock()

    def display_name(self, conv: SourceConversation, participant: SourceParticipant | None, identity: str) -> str:
        if participant is not None and participant.kind != "chat":
            return _attribute_name(participant.attributes) or participant.address or identity
        name = self._source.friendly_name(conv, identity)
        if participant is not None and not name:
            name = _attribute_name(participant.attributes)
        return name or identity

    def participant_names(self, conv: SourceConversation, participants: Iterable[SourceParticipant]) -> str:
        """``names_digest`` of the participants' display names as Twilio has them now."""
        return names_digest((identity_of(p), self.display_name(conv, p, identity_of(p))) for p in participants)

    def person(self, identity: str, *, kind: str, display_name: str | None) -> Person:
        """The identity's ACS user, created (paced) when it has none yet; cached for the process.

        The ACS user is cached, the name is not: a name changed in Twilio since is the one returned.
        """
        with self._lock:
            known = self._people.get(identity)
        if known is not None:
            if display_name and display_name != known.display_name:
                return replace(known, display_name=display_name)
            return known
        with self._pacer.slot():
            mapping = self._retrier.call(
                lambda: self._acs_users.ensure_user(identity, kind=kind, display_name=display_name),
                what=f"mapping identity {identity!r}",
            )
        person = Person(identity, mapping.kind, display_name or mapping.display_name, mapping.acs_user_id)
        with self._lock:
            self._people[identity] = person
        return person

    def token(self, identity: str) -> str:
        """A chat token for ``identity``, reused until 15 minutes before it expires."""
        now = datetime.now(UTC)
        with self._lock:
            cached = self._tokens.get(identity)
        if cached is not None and cached[1] - now > TOKEN_REFRESH:
            return cached[0]
        with self._pacer.slot():
            issued = self._retrier.call(
                lambda: self._acs_users.issue_token(identity, scopes=("chat",)),
                what=f"issuing a token for {identity!r}",
            )
        expires = issued.expires_on if issued.expires_on.tzinfo else issued.expires_on.replace(tzinfo=UTC)
        with self._lock:
            self._tokens[identity] = (issued.token, expires)
        return issued.token

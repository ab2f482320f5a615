"""ACS user tokens for the app's own users, in place of a Twilio token server.

The identity always comes from the caller's proof: a user gets tokens only for themselves;
the trusted backend names the identity, as a Twilio token server does. Scopes are limited
to what the caller's kind may ask for, and the first request for an identity creates its
ACS user through the shared identity map (one ACS user per identity under races).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
)

from .acs_users import MAX_EXPIRY, MIN_EXPIRY, SCOPES, AcsUserService
from .auth import USER_KINDS, Caller, check_identity, is_migrated_identity
from .errors import BadRequestError, ConflictError, ForbiddenError, IdentityKindError, ServiceUnavailableError

logger = logging.getLogger(__name__)

FORMATS = ("acs", "twilio", "text")


@dataclass(frozen=True)
class TokenGrant:
    """A token issued to one identity, with what a client needs to use it."""

    identity: str
    communication_user_id: str
    token: str
    expires_on: datetime
    scopes: tuple[str, ...]
    endpoint: str

    def to_json(self) -> dict[str, Any]:
        """The default answer: everything an ACS client SDK needs."""
        return {
            "token": self.token,
            "expiresOn": self.expires_on.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "communicationUserId": self.communication_user_id,
            "endpoint": self.endpoint,
            "identity": self.identity,
        }

    def to_twilio_json(self) -> dict[str, str]:
        """The shape Twilio's starter apps read from their token server."""
        return {"identity": self.identity, "token": self.token}


def parse_scopes(value: object) -> tuple[str, ...] | None:
    """A list of scope names or a comma-separated string; ``None`` when absent; 400 when unknown."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
        raise BadRequestError("scopes must be a list of scope names or a comma-separated string.", target="scopes")
    scopes = tuple(dict.fromkeys(s.strip() for s in items if s.strip()))
    if not scopes:
        raise BadRequestError("scopes is empty; ask for at least one of " + ", ".join(SCOPES) + ".",
                              target="scopes")
    for scope in scopes:
        if scope not in SCOPES:
            shown = scope if scope.isprintable() and len(scope) <= 40 else "(unprintable or long)"
            raise BadRequestError(f"Unknown scope {shown!r}; use {', '.join(SCOPES)}.", target="scopes")
    return scopes


def parse_expires_in(value: object) -> timedelta | None:
    """Whole minutes from 60 to 1440 (a number or a numeric string); ``None`` when absent; else 400."""
    if value is None:
        return None
    minutes: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, float) and value.is_integer():
        minutes = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        minutes = int(value.strip()[:8])
    if minutes is None or not MIN_EXPIRY <= timedelta(minutes=minutes) <= MAX_EXPIRY:
        raise BadRequestError("expiresInMinutes must be a whole number of minutes from 60 to 1440.",
                              target="expiresInMinutes")
    return timedelta(minutes=minutes)


def parse_format(value: object) -> str:
    """``acs`` (default), ``twilio`` (``{identity, token}``) or ``text`` (the bare token)."""
    if value is None or value == "":
        return "acs"
    if value not in FORMATS:
        raise BadRequestError("format must be one of " + ", ".join(FORMATS) + ".", target="format")
    return str(value)


@contextmanager
def _acs_errors(identity: str) -> Iterator[None]:
    """ACS SDK failures as the app's errors (no SDK text, which may quote the request)."""
    try:
        yield
    except ClientAuthenticationError:
        raise ServiceUnavailableError("ACS refused the app's access key; check ACS_CONNECTION_STRING.") from None
    except ResourceNotFoundError:
        raise ConflictError(
            f"The ACS user mapped to identity {identity!r} no longer exists; delete the identity "
            "(DELETE /api/users/{identity}) and ask again.", target="identity",
        ) from None
    except (HttpResponseError, ServiceRequestError) as exc:
        status = getattr(exc, "status_code", None)
        logger.warning("ACS identity call failed (status %s)", status)
        raise ServiceUnavailableError(f"ACS did not issue the token (status {status or 'none'}); try again.") \
            from None


class TokenService:
    """Issues, revokes and erases ACS users' tokens for authenticated callers."""

    def __init__(self, *, acs_users: AcsUserService, endpoint: str, default_expires_in: timedelta) -> None:
        self._acs_users = acs_users
        self._endpoint = endpoint
        self._default_expires_in = default_expires_in

    def issue_token(
        self,
        caller: Caller,
        *,
        identity: object = None,
        scopes: tuple[str, ...] | None = None,
        expires_in: timedelta | None = None,
    ) -> TokenGrant:
        """A token for the caller's identity (or, for the backend, the one it names); 403 for scopes not allowed."""
        target = self._target(caller, identity)
        wanted = scopes or ("chat",)
        refused = [s for s in wanted if s not in caller.allowed_scopes]
        if refused:
            raise ForbiddenError(
                f"Scope {refused[0]!r} is not allowed for a {caller.kind.value.replace('_', ' ')}; "
                f"allowed: {', '.join(caller.allowed_scopes)}.", target="scopes",
            )
        with _acs_errors(target):
            issued = self._acs_users.issue_token(
                target, scopes=wanted, expires_in=expires_in or self._default_expires_in, kinds=kinds_for(caller)
            )
        return TokenGrant(target, issued.acs_user_id, issued.token, issued.expires_on, issued.scopes,
                          self._endpoint)

    def revoke_tokens(self, caller: Caller, *, identity: object = None) -> str:
        """Revoke every token of the identity's ACS user; returns the ACS user id (404 when unmapped)."""
        target = self._target(caller, identity)
        with _acs_errors(target):
            return self._acs_users.revoke_tokens(target, kinds=kinds_for(caller)).acs_user_id

    def delete_user(self, caller: Caller, identity: object) -> None:
        """Erase the identity: the mapping first, then its ACS user; succeeds when already gone."""
        if not caller.is_backend:
            raise ForbiddenError("Only the trusted backend may delete users.")
        target = check_identity(identity)
        with _acs_errors(target):
            self._acs_users.delete_user(target)

    @staticmethod
    def _target(caller: Caller, identity: object) -> str:
        return target_identity(caller, identity)


def kinds_for(caller: Caller) -> frozenset[str] | None:
    """The identity-map kinds a caller may act for: the backend any, a user only users' (not ``sms``, ``app``)."""
    return None if caller.is_backend else USER_KINDS


def target_identity(caller: Caller, identity: object) -> str:
    """Whom a request acts for: the backend names the identity; a user only ever acts for itself.

    A user whose identity has the form of a migrated SMS/WhatsApp participant's (``sms:…``) is refused:
    those identities hold that participant's history, and only the backend acts for them.
    """
    if caller.is_backend:
        if identity is None:
            raise BadRequestError("Name the identity: the trusted backend asks on behalf of a user.",
                                  target="identity")
        return check_identity(identity)
    assert caller.identity is not None
    if identity is not None and identity != caller.identity:
        raise ForbiddenError("Users get tokens only for themselves; leave out identity.", target="identity")
    if is_migrated_identity(caller.identity):
        raise IdentityKindError("Identities of migrated SMS and WhatsApp participants (sms:, whatsapp:) are not "
                                "users'; only the trusted backend may act for them.", target="identity")
    return caller.identity


def request_options(body: Mapping[str, Any], query: Mapping[str, str]) -> dict[str, Any]:
    """The token request's options from the JSON body, falling back to the query string."""
    known = ("identity", "scopes", "expiresInMinutes", "format")
    unknown = sorted(k for k in body if k not in known)
    if unknown:
        shown = unknown[0] if unknown[0].isprintable() and len(unknown[0]) <= 40 else "(unprintable or long)"
        raise BadRequestError(f"Unknown field {shown!r}; the token request takes {', '.join(known)}.")
    return {k: body[k] if k in body else query.get(k) for k in known}

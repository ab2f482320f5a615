"""The authenticated caller the token service acts for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import UnauthorizedError


class CallerKind(StrEnum):
    USER = "user"  # an end user: gets tokens for their own identity only
    TRUSTED_BACKEND = "trusted_backend"  # the team's backend: may name any identity, like a Twilio token server


class CredentialError(UnauthorizedError):
    """The request carries no credential, or one that does not verify."""

    code = "InvalidCredentials"


@dataclass(frozen=True)
class Caller:
    """Who is asking: a user with their identity, or the trusted backend (no identity of its own)."""

    kind: CallerKind
    identity: str | None
    allowed_scopes: tuple[str, ...]
    proof: str  # "bearer", "app_service" or "backend_key": how the caller proved itself
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False)  # verified claims (users only)

    def claim(self, name: str) -> object:
        """A verified claim of the caller's token or principal, or None (the backend has none)."""
        return self.claims.get(name)

    @property
    def is_backend(self) -> bool:
        return self.kind is CallerKind.TRUSTED_BACKEND

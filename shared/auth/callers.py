"""The authenticated caller the token service acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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

    @property
    def is_backend(self) -> bool:
        return self.kind is CallerKind.TRUSTED_BACKEND

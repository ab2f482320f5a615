"""Bearer JWTs from the app's identity provider, verified with PyJWT against the provider's JWKS.

Only the algorithms in settings are accepted, and those are asymmetric (settings refuse
``none`` and HS*), so a token "signed" with nothing, or HMAC-signed with the public key,
fails before any key is looked up. Errors say what was wrong, never what the token holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
from jwt import PyJWKClient
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWKClientConnectionError,
    PyJWKClientError,
    PyJWKError,
    PyJWKSetError,
    PyJWTError,
)

from ..errors import ServiceUnavailableError
from ..settings import TokenSettings
from .callers import CredentialError

MAX_TOKEN_CHARS = 16 * 1024
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_REQUIRED_CLAIMS = ["exp", "iss", "aud"]


class InvalidBearerTokenError(CredentialError):
    code = "InvalidToken"


def _fail(problem: str) -> InvalidBearerTokenError:
    return InvalidBearerTokenError(f"The bearer token {problem}")


class BearerVerifier:
    """Verifies a bearer JWT (signature, issuer, audience, lifetime) and returns its claims."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks: PyJWKClient,
        algorithms: tuple[str, ...],
        leeway_seconds: int = 30,
    ) -> None:
        if not algorithms or any(a.lower() == "none" or a.upper().startswith("HS") for a in algorithms):
            raise ValueError("only asymmetric algorithms may verify bearer tokens")
        self._issuer = issuer
        self._audience = audience
        self._jwks = jwks
        self._algorithms = algorithms
        self._leeway = leeway_seconds

    @classmethod
    def from_settings(cls, settings: TokenSettings) -> BearerVerifier:
        if not (settings.jwt_issuer and settings.jwt_audience and settings.jwks_url):
            raise ValueError("bearer tokens need TOKEN_JWT_ISSUER, TOKEN_JWT_AUDIENCE and TOKEN_JWKS_URL")
        # The key set is cached for 5 minutes; an unknown kid refetches it at most every 30 s.
        jwks = PyJWKClient(settings.jwks_url, cache_jwk_set=True, lifespan=300, timeout=5, cooldown_duration=30)
        return cls(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            jwks=jwks,
            algorithms=settings.jwt_algorithms,
            leeway_seconds=settings.jwt_leeway_seconds,
        )

    def verify(self, token: str) -> Mapping[str, Any]:
        """The token's claims once everything checks out; ``InvalidBearerTokenError`` (401) otherwise."""
        if len(token) > MAX_TOKEN_CHARS:
            raise _fail(f"is longer than {MAX_TOKEN_CHARS} characters.")
        try:
            header = jwt.get_unverified_header(token)
        except (PyJWTError, ValueError, TypeError):  # e.g. a kid that is no string, or an unknown crit
            raise _fail("is not a well-formed JWT.") from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise _fail(f"is signed with an algorithm this app does not accept (accepted: "
                        f"{', '.join(self._algorithms)}).")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _fail("has no key id (kid) in its header.")
        key = self._signing_key(kid)
        if key.key_type != _KEY_TYPES.get(algorithm[:2]):
            raise _fail("names a key whose type does not match its algorithm.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except ExpiredSignatureError:
            raise _fail("has expired; sign in again.") from None
        except ImmatureSignatureError:
            raise _fail("is not valid yet (its nbf or iat is in the future).") from None
        except InvalidAudienceError:
            raise _fail("is meant for another audience than this app.") from None
        except InvalidIssuerError:
            raise _fail("comes from an issuer this app does not trust.") from None
        except MissingRequiredClaimError as exc:
            raise _fail(f"lacks the required {exc.claim!r} claim.") from None
        except InvalidIssuedAtError:
            raise _fail("has a malformed iat claim.") from None
        except InvalidSignatureError:
            raise _fail("has a signature that does not verify.") from None
        except (PyJWTError, ValueError, TypeError):
            raise _fail("is not valid.") from None
        return claims

    def _signing_key(self, kid: str) -> jwt.PyJWK:
        try:
            return self._jwks.get_signing_key(kid)
        except PyJWKClientConnectionError:
            raise ServiceUnavailableError(
                "The identity provider's signing keys (TOKEN_JWKS_URL) could not be fetched; try again."
            ) from None
        except PyJWKSetError:
            raise ServiceUnavailableError("The identity provider's JWKS holds no usable signing keys.") from None
        except (PyJWKClientError, PyJWKError, PyJWTError):
            raise _fail("names a signing key (kid) the identity provider does not publish.") from None

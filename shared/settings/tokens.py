"""Who may ask the token service for ACS tokens, and for which scopes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .core import Reader, Secret, secret_setting, setting
from .parsers import EXPECT_BOOL, boolean, csv, int_between, text

ACS_SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
# Asymmetric only: never none or HS* (an HMAC check keyed with a public key is forgeable by anyone).
JWT_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")

EXPECT_SCOPES = "a comma-separated list drawn from " + ", ".join(ACS_SCOPES)
EXPECT_ALGORITHMS = "a comma-separated list drawn from " + ", ".join(JWT_ALGORITHMS) + " (never none or HS*)"
EXPECT_JWKS_URL = "an https URL (http only on a loopback address)"
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_JWT_NAMES = ("TOKEN_JWT_ISSUER", "TOKEN_JWT_AUDIENCE", "TOKEN_JWKS_URL")


def _jwks_url(value: str) -> str | None:
    parts = urlsplit(value)
    if not parts.netloc:
        return None
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS):
        return value
    return None


def _key(value: str) -> str | None:
    return value if len(value) >= 32 else None


@dataclass(frozen=True)
class TokenSettings:
    """Who may ask the token service for ACS tokens, and for which scopes.

    Bearer JWTs are accepted only when issuer, audience and JWKS URL are all set; only
    asymmetric algorithms are allowed (never ``none`` or HS*). ``X-MS-CLIENT-PRINCIPAL``
    is trusted only when ``trust_app_service_auth`` says App Service Authentication
    fronts the app; a trusted backend proves itself with ``backend_key``.
    """

    jwt_issuer: str | None = setting("TOKEN_JWT_ISSUER", text, "the issuer of accepted bearer tokens", default=None)
    jwt_audience: str | None = setting("TOKEN_JWT_AUDIENCE", text, "the audience of accepted bearer tokens",
                                       default=None)
    jwks_url: str | None = setting("TOKEN_JWKS_URL", _jwks_url, EXPECT_JWKS_URL, default=None)
    identity_claim: str = setting("TOKEN_IDENTITY_CLAIM", text, "a claim name", default="sub")
    jwt_algorithms: tuple[str, ...] = setting(  # RS256 by default, what Entra ID signs with
        "TOKEN_JWT_ALGORITHMS", csv(JWT_ALGORITHMS), EXPECT_ALGORITHMS, default=JWT_ALGORITHMS[:1])
    jwt_leeway_seconds: int = setting("TOKEN_JWT_LEEWAY_SECONDS", int_between(0, 300), "whole seconds from 0 to 300",
                                      default=30)
    trust_app_service_auth: bool = setting("TOKEN_TRUST_APP_SERVICE_AUTH", boolean, EXPECT_BOOL, default=False)
    backend_key: Secret | None = secret_setting("TOKEN_BACKEND_KEY", "a random key of at least 32 characters",
                                                parse=_key)
    user_scopes: tuple[str, ...] = setting("TOKEN_USER_SCOPES", csv(ACS_SCOPES), EXPECT_SCOPES, default=("chat",))
    backend_scopes: tuple[str, ...] = setting("TOKEN_BACKEND_SCOPES", csv(ACS_SCOPES), EXPECT_SCOPES,
                                              default=ACS_SCOPES)
    default_expires_in_minutes: int = setting(
        "TOKEN_DEFAULT_EXPIRES_IN_MINUTES", int_between(60, 1440), "whole minutes from 60 to 1440", default=60)

    @property
    def accepts_jwt(self) -> bool:
        return bool(self.jwt_issuer and self.jwt_audience and self.jwks_url)


def load_tokens(reader: Reader) -> TokenSettings:
    """The token settings; issuer, audience and JWKS URL come all three or not at all."""
    settings = reader.load(TokenSettings)
    present = {name: reader.raw(name) is not None for name in _JWT_NAMES}
    if any(present.values()) and not all(present.values()):
        for name in _JWT_NAMES:
            if not present[name]:
                reader.missing(name, "set with the other TOKEN_JWT_* settings to accept bearer tokens")
    return settings

"""Turns a request's credentials into a ``Caller``: backend key, App Service principal, or bearer JWT.

Order: a presented backend key decides alone (right key: trusted backend; wrong key: 401);
then ``X-MS-CLIENT-PRINCIPAL`` when App Service Authentication is trusted; then a bearer
JWT. Anything else is a 401 saying which credentials the app accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..settings import TokenSettings
from . import principal
from .backend import key_matches, presented_key
from .bearer import BearerVerifier
from .callers import Caller, CallerKind, CredentialError
from .identity_rules import check_identity


class CallerAuthenticator:
    """Authenticates callers of the token service with the methods the settings enable."""

    def __init__(self, *, settings: TokenSettings, bearer: BearerVerifier | None) -> None:
        self._settings = settings
        self._bearer = bearer

    def authenticate(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Caller:
        """The caller, or ``CredentialError`` (401) naming what is missing or wrong."""
        key = presented_key(headers, query)
        if key is not None:
            return self._backend(key)
        client_principal = headers.get(principal.HEADER)
        if client_principal and self._settings.trust_app_service_auth:
            claim = principal.principal_claim(client_principal, claim=self._settings.identity_claim)
            return self._user(claim, proof="app_service", claims=principal.principal_claims(client_principal))
        authorization = headers.get("authorization")
        if authorization:
            claims = self._bearer_claims(authorization)
            return self._user(claims[self._settings.identity_claim], proof="bearer", claims=claims)
        if client_principal:
            raise CredentialError(
                "X-MS-CLIENT-PRINCIPAL is honoured only when the app runs behind App Service Authentication "
                "(TOKEN_TRUST_APP_SERVICE_AUTH); send Authorization: Bearer <token> instead."
            )
        raise CredentialError("Sign in first: send Authorization: Bearer <token from your identity provider>.")

    def _backend(self, key: str) -> Caller:
        expected = self._settings.backend_key
        if expected is None or not key_matches(key, expected):
            raise CredentialError("The backend key is not valid.")
        return Caller(CallerKind.TRUSTED_BACKEND, None, self._settings.backend_scopes, "backend_key")

    def _bearer_claims(self, authorization: str) -> Mapping[str, Any]:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise CredentialError("The Authorization header must be 'Bearer <token>'.")
        if self._bearer is None:
            raise CredentialError("This app does not accept bearer tokens (no identity provider is configured).")
        claims = self._bearer.verify(token.strip())
        claim = self._settings.identity_claim
        if claim not in claims:
            raise CredentialError(f"The bearer token has no {claim!r} claim naming the user.")
        return claims

    def _user(self, identity: object, *, proof: str, claims: Mapping[str, Any]) -> Caller:
        checked = check_identity(identity, what=f"{self._settings.identity_claim} claim")
        return Caller(CallerKind.USER, checked, self._settings.user_scopes, proof, dict(claims))

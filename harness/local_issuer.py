"""A local OpenID Connect issuer for tests, the demo and the benchmark: RSA keys, a JWKS on loopback, signed JWTs.

``LocalIssuer`` serves ``/.well-known/openid-configuration`` and ``/.well-known/jwks.json``
over plain HTTP on 127.0.0.1 (the app accepts an http JWKS URL only on loopback) and signs
RS256 tokens whose ``iss`` is its own URL. ``app_settings()`` gives the ``TOKEN_JWT_*``
settings that make the app trust it. Nothing here is used by the app at run time.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from harness.loopback import LoopbackHandler

DEFAULT_AUDIENCE = "api://acs-token-service"


class SigningKey:
    """An RSA key pair with a key id; its public half can be published as a JWK."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


class LocalIssuer:
    """A JWKS server on loopback and a signer of tokens it publishes keys for."""

    def __init__(self, *, audience: str = DEFAULT_AUDIENCE, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local issuer listens on loopback only")
        self.audience = audience
        self.key = SigningKey()
        self.published: list[SigningKey] = [self.key]
        self.jwks_requests = 0
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def app_settings(self) -> dict[str, str]:
        """The settings that make the app accept this issuer's tokens."""
        return {"TOKEN_JWT_ISSUER": self.issuer, "TOKEN_JWT_AUDIENCE": self.audience, "TOKEN_JWKS_URL": self.jwks_url}

    def token(
        self,
        subject: str,
        *,
        lifetime: float = 3600,
        not_before: float | None = None,
        issued_at: float | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        claims: Mapping[str, Any] | None = None,
        key: SigningKey | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """An RS256 token for ``subject`` (``sub``) signed with ``key`` (default: the published key)."""
        now = time.time()
        payload: dict[str, Any] = {
            "iss": issuer if issuer is not None else self.issuer,
            "aud": audience if audience is not None else self.audience,
            "sub": subject,
            "iat": int(issued_at if issued_at is not None else now),
            "nbf": int(not_before if not_before is not None else now),
            "exp": int(now + lifetime),
            **(claims or {}),
        }
        signer = key or self.key
        return jwt.encode(payload, signer.private_key, algorithm="RS256",
                          headers={"kid": signer.kid, **(headers or {})})

    def start(self) -> LocalIssuer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-issuer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/jwks.json":
                    issuer.jwks_requests += 1
                    self._send({"keys": [k.public_jwk() for k in issuer.published]})
                elif self.path == "/.well-known/openid-configuration":
                    self._send({"issuer": issuer.issuer, "jwks_uri": issuer.jwks_url,
                                "id_token_signing_alg_values_supported": ["RS256"]})
                else:
                    self._send({"error": "not found"}, status=404)

            def _send(self, body: Any, status: int = 200) -> None:
                self.send_json(json.dumps(body).encode(), status)

        return Handler


@contextmanager
def running_local_issuer(*, audience: str = DEFAULT_AUDIENCE) -> Iterator[LocalIssuer]:
    """A started ``LocalIssuer``, stopped when the block ends."""
    issuer = LocalIssuer(audience=audience).start()
    try:
        yield issuer
    finally:
        issuer.stop()

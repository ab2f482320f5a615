"""User access tokens: JWTs the chat SDK can parse, signed (HS256) and verified by the stand-in.

The chat SDK decodes the payload with *standard* base64, so a payload segment holding ``-``
or ``_`` breaks it; minting varies the JSON whitespace until the segment is clean.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from typing import Any

SCOPES = ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
CHAT_SCOPES = ("chat", "chat.join", "chat.join.limited")
_HEADER = {"alg": "HS256", "kid": "acs-emulator", "typ": "JWT"}


class TokenError(Exception):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: who, which scopes, when issued and until when."""

    user_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    signature: str
    raw: dict[str, Any]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _clean(segment: str) -> bool:
    return "-" not in segment and "_" not in segment


def _encode_payload(claims: dict[str, Any], rng: random.Random) -> str:
    """A base64url JSON segment free of ``-``/``_``: only whitespace between members varies."""
    items = [json.dumps(key) + ":" + json.dumps(value, separators=(",", ":")) for key, value in claims.items()]
    for _attempt in range(2000):
        text = "{" + ",".join(" " * rng.choice((0, 0, 1, 2)) + item for item in items) + "}"
        segment = _b64url(text.encode("ascii"))
        if _clean(segment):
            return segment
    raise TokenError("could not mint an SDK-parseable token")  # pragma: no cover


class TokenMinter:
    """Mints and verifies tokens for one resource with one signing secret."""

    def __init__(self, secret: bytes, resource_id: str, rng: random.Random, region: str = "amer") -> None:
        self._secret = secret
        self._resource_id = resource_id
        self._rng = rng
        self._region = region
        self._header = _b64url(json.dumps(_HEADER, separators=(",", ":")).encode("ascii"))

    def mint(self, user_id: str, scopes: list[str], issued_at: int, expires_at: int) -> str:
        """A token for ``user_id`` (``8:acs:...``) with the real service's claims."""
        claims = {
            "skypeid": user_id.removeprefix("8:"),
            "scp": 1792,
            "csi": str(issued_at),
            "exp": expires_at,
            "rgn": self._region,
            "acsScope": ",".join(scopes),
            "resourceId": self._resource_id,
            "resourceLocation": "unitedstates",
            "iat": issued_at,
        }
        signing_input = f"{self._header}.{_encode_payload(claims, self._rng)}"
        return f"{signing_input}.{self._signature(signing_input)}"

    def _signature(self, signing_input: str) -> str:
        return _b64url(hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest())

    def verify(self, token: str, now: float) -> TokenClaims:
        """Check the signature and ``exp``; return the claims. Raises ``TokenError``."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenError("The token is not a JWT.")
        if not hmac.compare_digest(parts[2], self._signature(f"{parts[0]}.{parts[1]}")):
            raise TokenError("The token signature is not valid for this resource.")
        try:
            payload = json.loads(base64.b64decode(parts[1] + "==", altchars=b"-_"))
            user_id = "8:" + str(payload["skypeid"])
            scopes = tuple(s for s in str(payload.get("acsScope", "")).split(",") if s)
            issued_at, expires_at = int(payload["iat"]), int(payload["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise TokenError("The token payload is malformed.") from exc
        if expires_at <= now:
            raise TokenError("The token has expired.")
        return TokenClaims(user_id, scopes, issued_at, expires_at, parts[2], payload)

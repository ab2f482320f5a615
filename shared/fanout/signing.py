"""Signatures subscribers check: Twilio's ``X-Twilio-Signature`` and an HMAC-SHA256 one for CloudEvents."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"


def twilio_signature(url: str, params: Mapping[str, str], secret: str) -> str:
    """``base64(HMAC-SHA1(secret, url + name1 + value1 + ...))`` over the params sorted by name.

    The same value ``twilio.request_validator.RequestValidator(secret).compute_signature`` gives,
    so a backend's existing ``validate(url, params, signature)`` passes unchanged.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def body_signature(timestamp: int, body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``: the CloudEvents signature header value."""
    mac = hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_body_signature(
    timestamp: str, body: bytes, signature: str, secret: str, *, now: float, tolerance_seconds: int = 300
) -> bool:
    """What a subscriber does (docs/fanout.md): constant-time compare, and refuse stale timestamps."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(body_signature(int(timestamp), body, secret), signature)

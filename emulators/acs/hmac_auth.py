"""HMAC-SHA256 request signatures, verified the way the ACS front door does (research §2.2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

SIGNED_HEADERS = "x-ms-date;host;x-ms-content-sha256"
MAX_SKEW_SECONDS = 15 * 60


class SignatureError(Exception):
    """Why a request's signature was refused (the text goes into the 401 body)."""


def content_hash(body: bytes) -> str:
    """``base64(sha256(body))``, the ``x-ms-content-sha256`` value."""
    return base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def sign(key: bytes, string_to_sign: str) -> str:
    """``base64(HMAC_SHA256(key, string_to_sign))``."""
    return base64.b64encode(hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def string_to_sign(method: str, path_and_query: str, date: str, host: str, hashed: str) -> str:
    return f"{method.upper()}\n{path_and_query}\n{date};{host};{hashed}"


def _host_variants(host: str) -> list[str]:
    """The Host header as sent, plus the form with an explicit :443 (the SDK signs the configured host)."""
    variants = [host]
    if ":" not in host.rsplit("]", 1)[-1]:
        variants.append(f"{host}:443")
    elif host.endswith(":443"):
        variants.append(host[: -len(":443")])
    return variants


def verify(
    key: bytes,
    method: str,
    raw_path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime | None = None,
    *,
    decoded: bool = False,
) -> None:
    """Raise ``SignatureError`` unless the request carries a valid, fresh HMAC-SHA256 signature.

    Checks, in order: the Authorization scheme and signed-header list, ``x-ms-date`` (or
    ``Date``) within 15 minutes, ``x-ms-content-sha256`` equal to the body's hash, and the
    signature over the raw request-target and the Host header. With ``decoded`` (Rooms, research
    rooms-and-calling.md §0.3) the percent-decoded target is accepted as well as the raw one.
    """
    auth = headers.get("Authorization", "")
    prefix = "HMAC-SHA256 "
    if not auth.startswith(prefix):
        raise SignatureError("Missing or unsupported Authorization scheme.")
    parts = dict(item.split("=", 1) for item in auth[len(prefix) :].split("&") if "=" in item)
    if parts.get("SignedHeaders", "").lower() != SIGNED_HEADERS or "Signature" not in parts:
        raise SignatureError("Authorization must sign x-ms-date;host;x-ms-content-sha256.")
    date = headers.get("x-ms-date") or headers.get("Date") or ""
    try:
        sent_at = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise SignatureError("Missing or malformed x-ms-date header.") from None
    if sent_at.tzinfo is None:
        sent_at = sent_at.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    if abs((current - sent_at).total_seconds()) > MAX_SKEW_SECONDS:
        raise SignatureError("The request date is outside the allowed clock skew.")
    hashed = content_hash(body)
    if not hmac.compare_digest(headers.get("x-ms-content-sha256", ""), hashed):
        raise SignatureError("x-ms-content-sha256 does not match the request body.")
    host = headers.get("Host", "")
    given = parts["Signature"]
    targets = [unquote(raw_path_and_query), raw_path_and_query] if decoded else [raw_path_and_query]
    for target in dict.fromkeys(targets):
        for candidate in _host_variants(host):
            expected = sign(key, string_to_sign(method, target, date, candidate, hashed))
            if hmac.compare_digest(given, expected):
                return
    raise SignatureError("The request signature is not valid.")

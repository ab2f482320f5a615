"""App Service Authentication's ``X-MS-CLIENT-PRINCIPAL``: base64 JSON claims set by the platform.

App Service strips this header from incoming requests and sets it itself, so it is only
trustworthy when the app runs behind App Service Authentication (a setting says so).
Claims pass through App Service's default claim mapping, so ``oid`` arrives as
``http://schemas.microsoft.com/identity/claims/objectidentifier``; both names are looked up.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from .callers import CredentialError

HEADER = "x-ms-client-principal"
MAX_HEADER_CHARS = 32 * 1024
CLAIM_ALIASES: dict[str, tuple[str, ...]] = {
    "oid": ("http://schemas.microsoft.com/identity/claims/objectidentifier",),
    "sub": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",),
    "email": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",),
    "upn": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",),
    "name": ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",),
}


def _decode(header: str) -> dict[str, Any]:
    if len(header) > MAX_HEADER_CHARS:
        raise CredentialError(f"X-MS-CLIENT-PRINCIPAL is longer than {MAX_HEADER_CHARS} characters.")
    try:
        raw = base64.b64decode(header.strip() + "=" * (-len(header.strip()) % 4), validate=True)
        value = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        raise CredentialError("X-MS-CLIENT-PRINCIPAL is not base64-encoded JSON.") from None
    if not isinstance(value, dict) or not isinstance(value.get("claims"), list):
        raise CredentialError("X-MS-CLIENT-PRINCIPAL has no claims list.")
    return value


def principal_claims(header: str) -> dict[str, Any]:
    """Every claim of the principal by type (the first value of a repeated type wins)."""
    claims: dict[str, Any] = {}
    for entry in _decode(header)["claims"]:
        if isinstance(entry, dict) and isinstance(entry.get("typ"), str):
            claims.setdefault(entry["typ"], entry.get("val"))
    return claims


def principal_claim(header: str, *, claim: str) -> object:
    """The value of ``claim`` (or its App Service alias) in the principal; 401 when absent."""
    principal = _decode(header)
    wanted = (claim, *CLAIM_ALIASES.get(claim, ()))
    for entry in principal["claims"]:
        if isinstance(entry, dict) and entry.get("typ") in wanted:
            return entry.get("val")
    raise CredentialError(f"X-MS-CLIENT-PRINCIPAL has no {claim!r} claim naming the user.")

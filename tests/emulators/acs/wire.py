"""Raw HTTP helpers for tests: HMAC signing written from research §2.2, bearer calls, JSON bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from .conftest import Acs


def rfc1123(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%a, %d %b %Y %H:%M:%S ") + "GMT"


def hmac_headers(
    acs: Acs, method: str, path_and_query: str, body: bytes, *, key_b64: str | None = None, date: str | None = None
) -> dict[str, str]:
    """The headers the identity SDK sends, computed independently of the stand-in's code."""
    key = base64.b64decode(key_b64 or acs.info["access_key"])
    stamp = date or rfc1123()
    hashed = base64.b64encode(hashlib.sha256(body).digest()).decode()
    host = urlsplit(acs.endpoint).netloc
    to_sign = f"{method}\n{path_and_query}\n{stamp};{host};{hashed}"
    signature = base64.b64encode(hmac.new(key, to_sign.encode(), hashlib.sha256).digest()).decode()
    return {
        "x-ms-date": stamp,
        "x-ms-content-sha256": hashed,
        "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
        "Content-Type": "application/json",
    }


def signed(acs: Acs, method: str, path_and_query: str, body: Any = None, **kwargs: Any) -> requests.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = hmac_headers(acs, method, path_and_query, raw, **kwargs)
    return requests.request(
        method, acs.endpoint + path_and_query, data=raw, headers=headers, verify=acs.bundle, timeout=30
    )


def bearer(
    acs: Acs, token: str, method: str, path_and_query: str, body: Any = None, headers: dict[str, str] | None = None
) -> requests.Response:
    sent = {"Authorization": f"Bearer {token}", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    return requests.request(
        method, acs.endpoint + path_and_query, data=data, headers=sent, verify=acs.bundle, timeout=30
    )

"""The operator console: one HTML page and its assets, shipped with the app (no CDN, no external fonts).

The page holds no data: its script reads the app's own JSON routes with the function key and
builds the DOM with ``textContent`` only, so text from Twilio or a subscriber is never markup.
``ConsoleAssets`` serves the files with a content hash for caching, under a strict CSP.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSET_DIR = Path(__file__).with_name("assets")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}
SERVED = ("console.js", "console.css", "favicon.svg")
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    name: str
    body: bytes
    media_type: str
    etag: str


@cache
def load_asset(name: str) -> Asset | None:
    """One of ``SERVED`` with its ETag (a content hash); ``None`` for any other name."""
    if name not in SERVED:
        return None
    body = (ASSET_DIR / name).read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:16]
    return Asset(name, body, MEDIA_TYPES[Path(name).suffix], f'"{digest}"')


def render_page(*, version: str) -> str:
    """The page, with asset URLs carrying their content hash (cached for a year, changed when they change)."""
    template = (ASSET_DIR / "index.html").read_text("utf-8")
    for name in SERVED:
        asset = load_asset(name)
        assert asset is not None
        template = template.replace("{{" + name + "}}", f"console/assets/{name}?v={asset.etag.strip(chr(34))}")
    return template.replace("{{version}}", html.escape(version))

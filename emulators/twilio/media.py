"""Media Content Service (MCS): upload, media JSON, ``/Content`` and the expiring direct link.

- ``POST /v1/Services/{IS}/Media``: raw bytes with their ``Content-Type`` (filename from
  ``?Filename=`` or ``Content-Disposition``) or ``multipart/form-data`` with one file part.
- ``GET /v1/Services/{IS}/Media/{ME}``: the media JSON; ``links.content_direct_temporary`` is an
  absolute, unauthenticated URL on this server, signed and valid ``media_ttl / time_scale`` seconds.
- ``GET /v1/Services/{IS}/Media/{ME}/Content``: 302 to a fresh direct link.
- ``GET /mcs-direct/{ME}?Expires=&Signature=``: the bytes, or 403 once expired or tampered.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import urlencode

from aiohttp import BodyPartReader, web

from .context import base_url, emu, json_response
from .errors import TwilioError, not_found
from .models import Media
from .views import mcs_media

MAX_MEDIA_BYTES = 150 * 1024 * 1024
_FILENAME = re.compile(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', re.IGNORECASE)


def _sign(secret: str, sid: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"{sid}:{expires}".encode(), hashlib.sha256).hexdigest()


def direct_url(request: web.Request, media: Media) -> str:
    """A fresh signed link (expiry in epoch milliseconds) to the bytes of ``media``."""
    e = emu(request)
    expires = int((time.time() + e.settings.media_ttl / e.settings.time_scale) * 1000)
    query = urlencode({"Expires": expires, "Signature": _sign(e.settings.auth_token, media.sid, expires)})
    return f"{base_url(request)}/mcs-direct/{media.sid}?{query}"


def _media(request: web.Request) -> Media:
    e = emu(request)
    service = e.store.service(request.match_info["ServiceSid"], request.path)
    media = e.store.media.get(request.match_info["Sid"])
    if media is None or media.service_sid != service.sid:
        raise not_found(request.path)
    return media


async def upload(request: web.Request) -> web.Response:
    e = emu(request)
    service = e.store.service(request.match_info["ServiceSid"], request.path)
    filename = request.query.get("Filename")
    content_type = request.content_type or "application/octet-stream"
    if content_type.startswith("multipart/"):
        reader = await request.multipart()
        data = b""
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            if part.filename is not None or part.name in ("Media", "media", "file"):
                data = await part.read()
                filename = filename or part.filename
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                break
    else:
        data = await request.read()
        match = _FILENAME.search(request.headers.get("Content-Disposition", ""))
        if match and not filename:
            filename = match[1]
    if not data:
        raise TwilioError(400, 20001, "Media body is empty")
    if len(data) > MAX_MEDIA_BYTES:
        raise TwilioError(413, 50063, "Media exceeds 150 MB")
    media = e.store.add_media(service.sid, content_type=content_type, filename=filename, data=data,
                              author=request.query.get("Author"), created=time.time())
    return json_response(mcs_media(e.store.account_sid, media, direct_url(request, media)), 201)


async def fetch(request: web.Request) -> web.Response:
    media = _media(request)
    return json_response(mcs_media(emu(request).store.account_sid, media, direct_url(request, media)))


async def content(request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": direct_url(request, _media(request))})


async def direct(request: web.Request) -> web.Response:
    e = emu(request)
    media = e.store.media.get(request.match_info["Sid"])
    try:
        expires = int(request.query.get("Expires", ""))
    except ValueError:
        expires = 0
    signature = request.query.get("Signature", "")
    good = media is not None and hmac.compare_digest(signature, _sign(e.settings.auth_token, media.sid, expires))
    if media is None or not good or time.time() * 1000 > expires:
        reason = "Request has expired" if good else "Access Denied"
        body = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>{reason}" \
               "</Message></Error>"
        return web.Response(status=403, text=body, content_type="application/xml")
    headers = {}
    if media.filename:
        headers["Content-Disposition"] = f'inline; filename="{media.filename}"'
    return web.Response(body=media.data, content_type=media.content_type, headers=headers)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1/Services/{ServiceSid}/Media", upload, name="media:mcs-upload")
    r.add_get("/v1/Services/{ServiceSid}/Media/{Sid}", fetch, name="media:mcs-fetch")
    r.add_get("/v1/Services/{ServiceSid}/Media/{Sid}/Content", content, name="media:mcs-content")
    r.add_get("/mcs-direct/{Sid}", direct, name="direct:mcs-direct")

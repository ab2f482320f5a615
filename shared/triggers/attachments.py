"""``GET /api/attachments/{conversation}/{media}``: a migrated attachment, for current participants only.

``ANONYMOUS`` at the host like ``/api/token``: callers authenticate exactly as there
(bearer JWT, App Service principal when trusted, backend key acting for ``?identity=``).
The answer is a redirect to a short-lived read-only link, ``?format=json`` gives
``{url, expiresOn}``, ``?format=stream`` (or a deployment that cannot sign) gives the bytes.
A browser that arrives without a session behind App Service Authentication is sent to
sign in and back. Everyone who may not see the attachment gets the same 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import azure.functions as func

from ..attachments import BlobContent, BlobLink, UnsignedLink
from ..attachments.links import ROUTE
from ..auth import Caller, CredentialError, check_identity
from ..container import AppContainer
from ..errors import BadRequestError
from ..http import challenge, handle_errors, json_response
from ..token_service import kinds_for
from . import new_blueprint

FORMATS = ("redirect", "json", "stream")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}
STREAM_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def parse_attachment_format(value: str | None) -> str:
    if value is None or value == "":
        return "redirect"
    if value not in FORMATS:
        raise BadRequestError(f"format must be one of {', '.join(FORMATS)}.", target="format")
    return value


def acting_identity(caller: Caller, query: Mapping[str, str]) -> str:
    """The user's own identity; the trusted backend names the user it acts for with ``?identity=``."""
    if not caller.is_backend:
        assert caller.identity is not None
        return caller.identity
    named = query.get("identity")
    if named is None:
        raise BadRequestError("The backend must name the user it acts for: ?identity=<identity>.", target="identity")
    return check_identity(named)


def is_browser_navigation(req: func.HttpRequest) -> bool:
    """A top-level navigation (``window.open``, a link), not a script's fetch."""
    mode = (req.headers.get("sec-fetch-mode") or "").lower()
    accept = (req.headers.get("accept") or "").lower()
    return mode == "navigate" or (not mode and "text/html" in accept)


def sign_in_redirect(req: func.HttpRequest, login_path: str) -> func.HttpResponse:
    """302 to App Service Authentication's sign-in, coming back to this same path and query."""
    parts = urlsplit(req.url)
    back = parts.path + (f"?{parts.query}" if parts.query else "")
    location = f"{login_path}?post_login_redirect_uri={quote(back, safe='')}"
    return func.HttpResponse(status_code=302, headers={"Location": location, **NO_STORE})


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("attachment_get")
    @bp.route(route=ROUTE, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def attachment_get(req: func.HttpRequest) -> func.HttpResponse:
        settings = container.settings
        try:
            caller = container.callers.authenticate(req.headers, req.params)
        except CredentialError:
            anonymous = not req.headers.get("authorization") and not req.headers.get("x-functions-key")
            if (anonymous and settings.tokens.trust_app_service_auth
                    and is_browser_navigation(req)):
                return sign_in_redirect(req, settings.attachments.login_path)
            raise
        answer = parse_attachment_format(req.params.get("format"))
        identity = acting_identity(caller, req.params)
        conversation = req.route_params.get("conversation")
        media = req.route_params.get("media")
        service = container.attachments
        kinds = kinds_for(caller)  # a user reads only as a user: never as a migrated SMS participant or the migration
        result = service.open_attachment(identity, str(conversation), str(media), stream=answer == "stream",
                                         kinds=kinds)
        if isinstance(result, UnsignedLink):
            if answer == "json":
                own = container.attachment_links
                url = (own.attachment_url(str(conversation), str(media)) if own.configured
                       else req.url.split("?", 1)[0])
                return json_response({"url": f"{url}?format=stream", "expiresOn": None,
                                      "contentType": result.content_type, "size": result.size}, headers=NO_STORE)
            result = service.open_attachment(identity, str(conversation), str(media), stream=True, kinds=kinds)
        if isinstance(result, BlobContent):
            return func.HttpResponse(result.data, status_code=200, headers={
                "Content-Type": result.content_type, "Content-Disposition": result.content_disposition,
                **STREAM_HEADERS})
        assert isinstance(result, BlobLink)
        expires = result.expires_on.strftime("%Y-%m-%dT%H:%M:%SZ")
        if answer == "json":
            return json_response({"url": result.url, "expiresOn": expires}, headers=NO_STORE)
        return func.HttpResponse(status_code=302, headers={"Location": result.url, **NO_STORE})

    return bp

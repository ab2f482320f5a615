"""``GET /api/archives/{conversation}/{file}``: a conversation's archived history, for current participants only.

``file`` is ``transcript.html`` (the page, shown inline) or ``transcript.jsonl``. Callers
authenticate and are answered exactly as by ``/api/attachments`` (shared/triggers/attachments.py):
a redirect to a short-lived read-only link, ``?format=json`` → ``{url, expiresOn}``,
``?format=stream`` (or a deployment that cannot sign) → the bytes; a browser without a session
behind App Service Authentication is sent to sign in and back; everyone else the same 404.
"""

from __future__ import annotations

import azure.functions as func

from ..archive_paths import ROUTE
from ..attachments import BlobContent, BlobLink, UnsignedLink
from ..auth import CredentialError
from ..container import AppContainer
from ..http import challenge, handle_errors, json_response
from ..token_service import kinds_for
from . import new_blueprint
from .attachments import NO_STORE, acting_identity, is_browser_navigation, parse_attachment_format, sign_in_redirect

# The page has inline styles and no script; served from the app's own origin it is also sandboxed.
STREAM_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Referrer-Policy": "no-referrer",
}


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("archive_get")
    @bp.route(route=ROUTE, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def archive_get(req: func.HttpRequest) -> func.HttpResponse:
        settings = container.settings
        try:
            caller = container.callers.authenticate(req.headers, req.params)
        except CredentialError:
            anonymous = not req.headers.get("authorization") and not req.headers.get("x-functions-key")
            if anonymous and settings.tokens.trust_app_service_auth and is_browser_navigation(req):
                return sign_in_redirect(req, settings.attachments.login_path)
            raise
        answer = parse_attachment_format(req.params.get("format"))
        identity = acting_identity(caller, req.params)
        conversation, file = str(req.route_params.get("conversation")), str(req.route_params.get("file"))
        service = container.archives
        kinds = kinds_for(caller)  # a user reads only as a user: never as a migrated SMS participant or the migration
        result = service.open_archive(identity, conversation, file, stream=answer == "stream", kinds=kinds)
        if isinstance(result, UnsignedLink):
            if answer == "json":
                url = req.url.split("?", 1)[0]
                return json_response({"url": f"{url}?format=stream", "expiresOn": None,
                                      "contentType": result.content_type, "size": result.size}, headers=NO_STORE)
            result = service.open_archive(identity, conversation, file, stream=True, kinds=kinds)
        if isinstance(result, BlobContent):
            return func.HttpResponse(result.data, status_code=200, headers={
                "Content-Type": result.content_type, "Content-Disposition": result.content_disposition,
                **STREAM_HEADERS})
        assert isinstance(result, BlobLink)
        if answer == "json":
            return json_response({"url": result.url, "expiresOn": result.expires_on.strftime("%Y-%m-%dT%H:%M:%SZ")},
                                 headers=NO_STORE)
        return func.HttpResponse(status_code=302, headers={"Location": result.url, **NO_STORE})

    return bp

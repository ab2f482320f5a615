"""``GET /api/openapi.json``: the OpenAPI 3.1 description of every HTTP route (function key)."""

from __future__ import annotations

from urllib.parse import urlsplit

import azure.functions as func

from .. import __version__
from ..container import AppContainer
from ..http import handle_errors, json_response
from ..openapi import build_document
from . import new_blueprint


def server_url(request_url: str) -> str | None:
    """``scheme://host/api`` of the request, so tools call the app that served the document."""
    parts = urlsplit(request_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/api"


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("openapi_document")
    @bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def openapi_document(req: func.HttpRequest) -> func.HttpResponse:
        document = build_document(version=__version__, server_url=server_url(req.url))
        return json_response(document, headers={"Cache-Control": "public, max-age=300"})

    return bp

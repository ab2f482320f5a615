"""The operator console: ``GET /api/console`` (function key) and its assets ``/api/console/assets/{name}``.

The page carries no data (its script reads the app's JSON routes with the key it was opened
with), so its assets are anonymous and cached for a year under a content-hash URL.
"""

from __future__ import annotations

import azure.functions as func

from .. import __version__
from ..console import PAGE_HEADERS, load_asset, render_page
from ..container import AppContainer
from ..errors import NotFoundError
from ..http import handle_errors
from . import new_blueprint

ASSET_CACHE = "public, max-age=31536000, immutable"


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("console_page")
    @bp.route(route="console", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
    @handle_errors
    def console_page(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(render_page(version=__version__), mimetype="text/html", charset="utf-8",
                                 headers=dict(PAGE_HEADERS))

    @bp.function_name("console_asset")
    @bp.route(route="console/assets/{name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
    @handle_errors
    def console_asset(req: func.HttpRequest) -> func.HttpResponse:
        asset = load_asset(req.route_params.get("name", ""))
        if asset is None:
            raise NotFoundError("There is no such console asset.", target="name")
        headers = {"ETag": asset.etag, "Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
        if req.headers.get("if-none-match") == asset.etag:
            return func.HttpResponse(status_code=304, headers=headers)
        return func.HttpResponse(asset.body, mimetype=asset.media_type, charset="utf-8", headers=headers)

    return bp

"""The operator console: the page (function key) and its cached assets."""

from __future__ import annotations

from .common import ANONYMOUS, FUNCTION_KEY, STRING, Json, answer, header, operation, path_param

_PAGE_HEADERS = {
    "Content-Security-Policy": header("default-src 'none'; script-src 'self'; style-src 'self'; ... (no inline "
                                      "code, nothing external)"),
    "Cache-Control": header("no-store"),
}
_ASSET_HEADERS = {"ETag": header("A hash of the content."), "Cache-Control": header("Cached for a year.")}

SCHEMAS: Json = {}

PATHS: Json = {
    "/console": {"get": operation(
        "console_page", tag="console", summary="The operator console",
        description="A page that watches runs, failures, dead letters and subscriptions and steers them. Open it "
                    "as /api/console?code=<function key>; the page keeps the key for the tab and removes it from "
                    "the address bar. It holds no data itself.",
        security=FUNCTION_KEY,
        responses={"200": answer("The page.", STRING, media_type="text/html", headers=_PAGE_HEADERS)},
    )},
    "/console/assets/{name}": {"get": operation(
        "console_asset", tag="console", summary="A console asset",
        description="console.js, console.css or favicon.svg, shipped with the app; anonymous (they hold no data) "
                    "and cached under a content-hash URL. 304 for a matching If-None-Match.",
        security=ANONYMOUS,
        parameters=[path_param("name", "The asset's file name.",
                               {"type": "string", "enum": ["console.js", "console.css", "favicon.svg"]})],
        responses={
            "200": {"description": "The asset.", "headers": _ASSET_HEADERS, "content": {
                "text/javascript": {"schema": STRING}, "text/css": {"schema": STRING},
                "image/svg+xml": {"schema": STRING}}},
            "304": answer("Not modified.", headers=_ASSET_HEADERS),
        },
        errors=(404,),
    )},
}

"""``GET /api/health`` and ``GET /api/openapi.json``."""

from __future__ import annotations

from .common import ANONYMOUS, BOOLEAN, FUNCTION_KEY, STRING, Json, answer, array, obj, operation, ref

SCHEMAS: Json = {
    "Health": obj({
        "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
        "version": STRING,
        "settings": obj({"loaded": BOOLEAN, "invalid": {**array(STRING), "description": "Names, never values."}},
                        required=["loaded"]),
        "storage": obj({"reachable": BOOLEAN}, required=["reachable"]),
    }, required=["status", "version", "settings", "storage"], closed=False),
}

PATHS: Json = {
    "/health": {"get": operation(
        "health", tag="health", summary="Readiness probe",
        description="Cheap: whether settings loaded and storage answers. 503 with the same body when not; "
                    "names bad settings, never their values.",
        security=ANONYMOUS,
        responses={"200": answer("Healthy.", ref("Health")),
                   "503": answer("Unhealthy: settings did not load or storage does not answer.", ref("Health"))},
    )},
    "/openapi.json": {"get": operation(
        "openapi_document", tag="health", summary="This document",
        description="The OpenAPI 3.1 description of every HTTP route of the app, with the server URL of the "
                    "request.",
        security=FUNCTION_KEY,
        responses={"200": answer("The document.", {"type": "object", "required": ["openapi", "paths"]})},
    )},
}

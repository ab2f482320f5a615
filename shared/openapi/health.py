"""``GET /api/health``, ``GET /api/health/deep`` (the configuration check) and ``GET /api/openapi.json``."""

from __future__ import annotations

from .common import (
    ANONYMOUS,
    BOOLEAN,
    FUNCTION_KEY,
    STRING,
    Json,
    answer,
    array,
    header,
    obj,
    operation,
    query_param,
    ref,
)

SCHEMAS: Json = {
    "Health": obj({
        "status": {"type": "string", "enum": ["healthy", "unhealthy"]},
        "version": STRING,
        "settings": obj({"loaded": BOOLEAN, "invalid": {**array(STRING), "description": "Names, never values."}},
                        required=["loaded"]),
        "storage": obj({"reachable": BOOLEAN}, required=["reachable"]),
    }, required=["status", "version", "settings", "storage"], closed=False),
    "DoctorReport": obj({
        "status": {"type": "string", "enum": ["pass", "fail"], "description": "fail when any check failed."},
        "checks": array(obj({
            "name": {"type": "string", "enum": ["settings", "storage", "twilio", "acs", "jwks", "public-urls"]},
            "status": {"type": "string", "enum": ["pass", "warn", "fail", "skip"]},
            "message": {**STRING, "description": "What was found and what to do; names settings, never values."},
        }, required=["name", "status", "message"])),
    }, required=["status", "checks"]),
    "DeepRedirect": obj({"deep": STRING, "auth": STRING}, required=["deep", "auth"]),
}

PATHS: Json = {
    "/health": {"get": operation(
        "health", tag="health", summary="Readiness probe",
        description="Cheap: whether settings loaded and storage answers. 503 with the same body when not; "
                    "names bad settings, never their values.",
        security=ANONYMOUS,
        parameters=[query_param("deep", "true: answers 307 to /api/health/deep, which needs a function key.",
                                {"type": "string", "enum": ["true", "1", "yes"]})],
        responses={"200": answer("Healthy.", ref("Health")),
                   "307": answer("deep=true: the configuration check is at /api/health/deep (the query is kept).",
                                 ref("DeepRedirect"), headers={"Location": header("/api/health/deep?...")}),
                   "503": answer("Unhealthy: settings did not load or storage does not answer.", ref("Health"))},
    )},
    "/health/deep": {"get": operation(
        "health_deep", tag="health", summary="Configuration check",
        description="What `acs-migrate doctor` checks, from inside the app: settings; every table, queue and the "
                    "media container (created if missing) taking a probe write, read and delete; Twilio (one "
                    "conversation listed); ACS (rooms listed with the access key); the JWKS (a key per accepted "
                    "algorithm); the public URL settings. Each check named with pass, warn, fail or skip and an "
                    "actionable message; never a secret.",
        security=FUNCTION_KEY,
        responses={"200": answer("No check failed.", ref("DoctorReport")),
                   "503": answer("At least one check failed.", ref("DoctorReport"))},
    )},
    "/openapi.json": {"get": operation(
        "openapi_document", tag="health", summary="This document",
        description="The OpenAPI 3.1 description of every HTTP route of the app, with the server URL of the "
                    "request.",
        security=FUNCTION_KEY,
        responses={"200": answer("The document.", {"type": "object", "required": ["openapi", "paths"]})},
    )},
}

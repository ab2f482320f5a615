"""Building blocks for the OpenAPI document: security, errors, JSON bodies and operations.

Each feature area describes its routes in one module of this package with these helpers;
``shared.openapi.build_document`` merges them. Every operation names the function serving it
(``x-function``; its ``operationId`` too, unless one function serves several methods), so the
tests can tie each indexed HTTP function to its description.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Json = dict[str, Any]

FUNCTION_KEY: list[Json] = [{"functionKey": []}, {"functionKeyQuery": []}]
"""Function-level routes: the host checks a function (or host) key before the app runs."""
CALLER: list[Json] = [{"bearerJwt": []}, {"appServicePrincipal": []}, {"backendKey": []}, {"backendKeyQuery": []}]
"""Routes the app authenticates itself (``ANONYMOUS`` at the host): a user's JWT or the trusted backend."""
ANONYMOUS: list[Json] = [{}]

SECURITY_SCHEMES: Json = {
    "functionKey": {
        "type": "apiKey", "in": "header", "name": "x-functions-key",
        "description": "A function or host key of the Function App (portal: Function App > App keys).",
    },
    "functionKeyQuery": {
        "type": "apiKey", "in": "query", "name": "code",
        "description": "The same key as a query parameter, for links and browsers (the console's URL).",
    },
    "bearerJwt": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An end user's token from the configured identity provider (TOKEN_JWT_* settings), "
                       "checked against the issuer's JWKS.",
    },
    "appServicePrincipal": {
        "type": "apiKey", "in": "header", "name": "X-MS-CLIENT-PRINCIPAL",
        "description": "Set by App Service Authentication; honoured only when TOKEN_TRUST_APP_SERVICE_AUTH is on.",
    },
    "backendKey": {
        "type": "apiKey", "in": "header", "name": "x-functions-key",
        "description": "The trusted backend's own key (TOKEN_BACKEND_KEY); it may act for any identity.",
    },
    "backendKeyQuery": {
        "type": "apiKey", "in": "query", "name": "code",
        "description": "The trusted backend's key as a query parameter.",
    },
}

ERROR_TITLES: dict[int, str] = {
    400: "The request is invalid; the message names the field (target) and what is accepted.",
    401: "Credentials are missing or wrong.",
    403: "The caller may not do this.",
    404: "No such resource.",
    409: "The resource exists or changed concurrently; retry or pick another name.",
    413: "The request body is too large.",
    415: "The body's content type is not the one this route accepts.",
    429: "Too many requests; wait for Retry-After.",
    500: "An unexpected failure; it was logged (never with secrets).",
    503: "The app's settings are invalid or a dependency is unavailable; the message names which.",
}

ERROR_SCHEMA: Json = {
    "type": "object",
    "description": "Every error the app itself answers.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "A stable machine-readable name, e.g. BadRequest.",
                         "examples": ["BadRequest", "NotFound", "Conflict"]},
                "message": {"type": "string", "description": "What went wrong and how to fix it."},
                "target": {"type": "string", "description": "The field or parameter at fault."},
            },
        },
    },
}

ALWAYS = (500, 503)
"""Statuses every operation may answer (unexpected failure; invalid settings)."""


def ref(schema: str) -> Json:
    return {"$ref": f"#/components/schemas/{schema}"}


def error_responses(statuses: Iterable[int]) -> Json:
    """``{"400": {"$ref": ...}}`` for the given statuses and those every route may answer."""
    return {str(s): {"$ref": f"#/components/responses/Error{s}"} for s in sorted({*statuses, *ALWAYS})}


def error_components() -> Json:
    return {
        f"Error{status}": {
            "description": text,
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for status, text in ERROR_TITLES.items()
    }


def json_content(schema: Json, *, example: Any = None) -> Json:
    media: Json = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def answer(description: str, schema: Json | None = None, *, media_type: str = "application/json",
           headers: Mapping[str, Json] | None = None, example: Any = None) -> Json:
    """A success response; without ``schema`` it has no body (204)."""
    response: Json = {"description": description}
    if schema is not None:
        response["content"] = {media_type: {"schema": schema}}
        if example is not None:
            response["content"][media_type]["example"] = example
    if headers:
        response["headers"] = dict(headers)
    return response


def header(description: str, schema: Json | None = None) -> Json:
    return {"description": description, "schema": schema or {"type": "string"}}


def path_param(name: str, description: str, schema: Json | None = None) -> Json:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": schema or {"type": "string"}}


def query_param(name: str, description: str, schema: Json | None = None) -> Json:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def operation(
    operation_id: str,
    *,
    tag: str,
    summary: str,
    description: str,
    security: list[Json],
    responses: Json,
    errors: Iterable[int] = (),
    parameters: Iterable[Json] = (),
    body: Json | None = None,
    body_required: bool = True,
    function: str | None = None,
) -> Json:
    """One operation; ``errors`` lists the 4xx it answers (500 and 503 are added).

    ``x-function`` names the function serving it: ``function``, or ``operation_id`` when they agree.
    """
    op: Json = {
        "operationId": operation_id,
        "x-function": function or operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
        "security": security,
        "responses": {**error_responses(errors), **responses},
    }
    params = list(parameters)
    if params:
        op["parameters"] = params
    if body is not None:
        op["requestBody"] = {"required": body_required, "content": json_content(body)}
    return op


def obj(properties: Mapping[str, Json], *, required: Iterable[str] = (), description: str | None = None,
        closed: bool = True) -> Json:
    """An object schema; ``closed`` (the default for answers) refuses undeclared properties."""
    schema: Json = {"type": "object", "properties": dict(properties)}
    names = list(required)
    if names:
        schema["required"] = names
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


STRING: Json = {"type": "string"}
DATE_TIME: Json = {"type": "string", "format": "date-time"}
BOOLEAN: Json = {"type": "boolean"}
INTEGER: Json = {"type": "integer", "minimum": 0}


def nullable(schema: Json) -> Json:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Json) -> Json:
    return {"type": "array", "items": items}

"""Helpers to see the app as the Functions host would index it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func


def indexed_functions(app: func.FunctionApp) -> dict[str, Any]:
    """``{name: Function}``; resets ``functions_bindings`` first (``get_functions`` is not idempotent)."""
    app.functions_bindings = {}
    return {f.get_function_name(): f for f in app.get_functions()}


def function_json(function: Any) -> dict[str, Any]:
    """The function.json the worker sends to the host."""
    return json.loads(function.get_function_json())  # type: ignore[no-any-return]


def handler(app: func.FunctionApp, name: str) -> Callable[..., Any]:
    """The plain user function behind ``name``; an HTTP function's answers are checked against the
    OpenAPI document (``tests.openapi_responses``)."""
    user_function: Callable[..., Any] = indexed_functions(app)[name].get_user_function()

    def observed(*args: Any, **kwargs: Any) -> Any:
        response = user_function(*args, **kwargs)
        request = next((a for a in (*args, *kwargs.values()) if isinstance(a, func.HttpRequest)), None)
        if request is not None:
            from tests import openapi_responses

            openapi_responses.CURRENT.see(name, request, response)
        return response

    return observed


def http_request(
    method: str,
    path: str,
    *,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    route_params: dict[str, str] | None = None,
) -> func.HttpRequest:
    """A ``func.HttpRequest`` as the worker builds it; dict bodies become JSON."""
    hdrs = dict(headers or {})
    if isinstance(body, dict):
        raw = json.dumps(body).encode()
        hdrs.setdefault("content-type", "application/json")
    elif isinstance(body, str):
        raw = body.encode("utf-8", "surrogatepass")
    else:
        raw = body or b""
    return func.HttpRequest(
        method, f"http://localhost{path}", headers=hdrs, params=params or {}, route_params=route_params or {}, body=raw
    )

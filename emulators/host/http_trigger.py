"""HTTP triggers: the route table, and conversion between aiohttp and ``func.HttpRequest``/``HttpResponse``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from aiohttp import web
from multidict import CIMultiDict, MultiMapping

from .expressions import resolve
from .loader import FunctionSpec
from .routing import RouteTemplate


@dataclass(frozen=True)
class HttpRoute:
    """An HTTP-triggered function with its resolved route, methods and auth level."""

    spec: FunctionSpec
    template: RouteTemplate
    methods: frozenset[str] | None
    auth_level: str

    @classmethod
    def from_spec(cls, spec: FunctionSpec, settings: Mapping[str, str]) -> HttpRoute:
        trigger = spec.trigger
        route = resolve(str(trigger.get("route") or spec.name), settings)
        methods = trigger.get("methods")
        return cls(
            spec=spec,
            template=RouteTemplate.compile(route),
            methods=frozenset(str(m).upper() for m in methods) if methods else None,
            auth_level=str(trigger.get("authLevel") or "function").lower(),
        )

    @property
    def route(self) -> str:
        return self.template.template

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of a lookup: a route and its parameters, or 404 / 405."""

    route: HttpRoute | None
    route_params: dict[str, str]
    status: int


class RouteTable:
    """Routes ordered as ASP.NET orders them: literal segments before parameters before catch-alls."""

    def __init__(self, routes: list[HttpRoute]) -> None:
        self.routes = sorted(routes, key=lambda r: r.template.precedence)

    def match(self, path: str, method: str) -> RouteMatch:
        """``path`` is relative to the route prefix and starts with ``/``."""
        path_matched = False
        for route in self.routes:
            params = route.template.match(path)
            if params is None:
                continue
            path_matched = True
            if route.allows(method):
                return RouteMatch(route, params, 200)
        return RouteMatch(None, {}, 405 if path_matched else 404)


def _joined(values: MultiMapping[str]) -> dict[str, str]:
    """Repeated keys joined with commas, as the host's StringValues.ToString() does."""
    joined: dict[str, str] = {}
    for key in values:
        if key not in joined:
            joined[key] = ",".join(values.getall(key))
    return joined


def to_function_request(request: web.Request, body: bytes, route_params: dict[str, str]) -> func.HttpRequest:
    """The ``func.HttpRequest`` the worker would build for this request."""
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=_joined(request.headers),
        params=_joined(request.query),
        route_params=route_params,
        body=body,
    )


def to_web_response(value: Any, outputs: Mapping[str, Any], bindings: list[dict[str, Any]]) -> web.Response:
    """Map the function's HTTP output (``$return`` or an ``Out`` http binding) to an aiohttp response."""
    for binding in bindings:
        if binding.get("type") == "http" and binding.get("name") != "$return":
            value = outputs.get(str(binding["name"]), value)
    if value is None:
        return web.Response(status=204)
    if isinstance(value, str | bytes):
        value = func.HttpResponse(value)
    if not isinstance(value, func.HttpResponse):
        raise TypeError(f"an HTTP function must return func.HttpResponse, str or bytes, got {type(value).__name__}")
    headers: CIMultiDict[str] = CIMultiDict()
    for name, header in value.headers.items():
        headers.add(name, header)
    if "content-type" not in headers:
        mimetype = value.mimetype
        headers["Content-Type"] = f"{mimetype}; charset={value.charset}" if mimetype.startswith("text/") else mimetype
    return web.Response(status=value.status_code, headers=headers, body=value.get_body())

"""HTTP functions: every auth level, route templates, sync and async handlers, a failing one."""

from __future__ import annotations

import json

import azure.functions as func

from .recorder import record, release_blocked

bp = func.Blueprint()


def _json(value: object, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(value), status_code=status, mimetype="application/json")


@bp.route(route="hello", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def hello(req: func.HttpRequest) -> func.HttpResponse:
    response = _json(
        {
            "method": req.method,
            "url": req.url,
            "params": dict(req.params),
            "x_test": req.headers.get("x-test"),
            "body": req.get_body().decode(),
        }
    )
    response.headers.add("Set-Cookie", "a=1")
    response.headers.add("Set-Cookie", "b=2")
    return response


@bp.route(route="items/{id:int}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def get_item(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"id": req.route_params["id"]})


@bp.route(route="items/special", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def special_item(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"special": True})


@bp.route(route="files/{*path}", auth_level=func.AuthLevel.ANONYMOUS)
def files(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"path": req.route_params.get("path")})


@bp.route(route="greet/{name?}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def greet(req: func.HttpRequest) -> str:
    return f"hi {req.route_params.get('name', 'nobody')}"


@bp.route(route="ops/{op}", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def admin_op(req: func.HttpRequest) -> func.HttpResponse:
    return _json({"op": req.route_params["op"]})


@bp.route(route="echo", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def echo(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body(), status_code=201, mimetype="application/octet-stream")


@bp.route(route="boom", auth_level=func.AuthLevel.ANONYMOUS)
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom")


@bp.route(route="block", auth_level=func.AuthLevel.ANONYMOUS)
def block(req: func.HttpRequest) -> func.HttpResponse:
    """Holds a worker thread until a test releases it (proves sync handlers do not block the loop)."""
    record("blocked")
    released = release_blocked.wait(timeout=30)
    return _json({"released": released})


@bp.route(route="%SAMPLE_ROUTE%/ping", auth_level=func.AuthLevel.ANONYMOUS)
def configured_route(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    record("context", function_name=context.function_name, invocation_id=context.invocation_id)
    return _json({"pong": context.function_name})

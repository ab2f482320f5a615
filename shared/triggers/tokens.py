"""The token service's routes: ``/api/token`` (GET, POST), ``/api/token/revoke``, ``DELETE /api/users/{identity}``.

They are ``ANONYMOUS`` at the host on purpose: end users call them with a bearer JWT and
have no function key, so the handler authenticates every caller itself (a trusted backend
with its own key, ``TOKEN_BACKEND_KEY``, sent as ``x-functions-key`` or ``?code=``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import azure.functions as func

from .. import telemetry
from ..container import AppContainer
from ..http import handle_errors, json_response, read_json_object
from ..token_service import parse_expires_in, parse_format, parse_scopes, request_options
from . import new_blueprint

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
Route = Callable[[func.HttpRequest], func.HttpResponse]


def challenge(route: Route) -> Route:
    """Add ``WWW-Authenticate: Bearer`` to 401 answers (RFC 6750), so clients know how to sign in."""

    @functools.wraps(route)
    def wrapper(req: func.HttpRequest) -> func.HttpResponse:
        response = route(req)
        if response.status_code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' \
                if req.headers.get("authorization") else "Bearer"
        return response

    return wrapper


def build_blueprint(container: AppContainer) -> func.Blueprint:
    bp = new_blueprint()

    @bp.function_name("token")
    @bp.route(route="token", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def token(req: func.HttpRequest) -> func.HttpResponse:
        caller = container.callers.authenticate(req.headers, req.params)
        body = read_json_object(req) if req.method == "POST" else {}
        options = request_options(body, req.params)
        answer = parse_format(options["format"])
        grant = container.tokens.issue_token(
            caller,
            identity=options["identity"],
            scopes=parse_scopes(options["scopes"]),
            expires_in=parse_expires_in(options["expiresInMinutes"]),
        )
        telemetry.token_issued(route="token", caller_kind=caller.kind.value)
        if answer == "text":
            return func.HttpResponse(grant.token, mimetype="text/plain", charset="utf-8", headers=NO_STORE)
        return json_response(grant.to_twilio_json() if answer == "twilio" else grant.to_json(), headers=NO_STORE)

    @bp.function_name("token_revoke")
    @bp.route(route="token/revoke", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def token_revoke(req: func.HttpRequest) -> func.HttpResponse:
        caller = container.callers.authenticate(req.headers, req.params)
        body = read_json_object(req)
        acs_user_id = container.tokens.revoke_tokens(caller, identity=body.get("identity"))
        return json_response({"communicationUserId": acs_user_id, "revoked": True})

    @bp.function_name("user_delete")
    @bp.route(route="users/{identity}", methods=["DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def user_delete(req: func.HttpRequest) -> func.HttpResponse:
        caller = container.callers.authenticate(req.headers, req.params)
        container.tokens.delete_user(caller, req.route_params.get("identity"))
        return func.HttpResponse(status_code=204)

    return bp

"""The token service's routes: ``/api/token`` (GET, POST), ``/api/token/revoke``, ``DELETE /api/users/{identity}``.

They are ``ANONYMOUS`` at the host on purpose: end users call them with a bearer JWT and
have no function key, so the handler authenticates every caller itself (a trusted backend
with its own key, ``TOKEN_BACKEND_KEY``, sent as ``x-functions-key`` or ``?code=``).
"""

from __future__ import annotations

import azure.functions as func

from .. import telemetry
from ..container import AppContainer
from ..errors import BadRequestError
from ..http import NO_STORE, challenge, handle_errors, json_response, read_json_object
from ..inputs import only_fields
from ..token_service import parse_expires_in, parse_format, parse_scopes, request_options
from . import new_blueprint


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
        only_fields(body, ("identity",), what="the revoke request")
        acs_user_id = container.tokens.revoke_tokens(caller, identity=body.get("identity"))
        return json_response({"communicationUserId": acs_user_id, "revoked": True})

    @bp.function_name("user_erase")
    @bp.route(route="users/erase", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def user_erase(req: func.HttpRequest) -> func.HttpResponse:
        """Erasure with the identity in the body: works for every identity, ``/`` and ``%`` included."""
        caller = container.callers.authenticate(req.headers, req.params)
        body = read_json_object(req)
        only_fields(body, ("identity",), what="the erase request")
        if "identity" not in body:
            raise BadRequestError("Name the identity to erase: {\"identity\": \"...\"}.", target="identity")
        container.tokens.delete_user(caller, body["identity"])
        return func.HttpResponse(status_code=204)

    @bp.function_name("user_delete")
    @bp.route(route="users/{identity}", methods=["DELETE"], auth_level=func.AuthLevel.ANONYMOUS)
    @challenge
    @handle_errors
    def user_delete(req: func.HttpRequest) -> func.HttpResponse:
        caller = container.callers.authenticate(req.headers, req.params)
        container.tokens.delete_user(caller, req.route_params.get("identity"))
        return func.HttpResponse(status_code=204)

    return bp

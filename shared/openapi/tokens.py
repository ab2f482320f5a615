"""The token service: ``/api/token``, ``/api/token/revoke``, erasure (``POST /api/users/erase``, ``DELETE``)."""

from __future__ import annotations

from .common import (
    CALLER,
    DATE_TIME,
    STRING,
    Json,
    answer,
    array,
    header,
    obj,
    operation,
    path_param,
    query_param,
    ref,
)

SCOPES = ["chat", "voip", "chat.join", "chat.join.limited", "voip.join"]
_SCOPES: Json = {"description": "Scope names as a list, or a comma-separated string.",
                 "anyOf": [array({"type": "string", "enum": SCOPES}), STRING]}
_FORMAT: Json = {"type": "string", "enum": ["acs", "twilio", "text"], "default": "acs"}
_EXPIRES: Json = {"description": "Whole minutes, 60 to 1440.",
                  "anyOf": [{"type": "integer", "minimum": 60, "maximum": 1440}, STRING]}
_NO_STORE = {"Cache-Control": header("no-store: tokens are never cached.")}
_CHALLENGE = "401 answers carry WWW-Authenticate: Bearer."

SCHEMAS: Json = {
    "TokenRequest": obj({
        "identity": {**STRING, "description": "The identity to act for; users may only name their own."},
        "scopes": _SCOPES, "expiresInMinutes": _EXPIRES, "format": _FORMAT,
    }),
    "AcsToken": obj({
        "token": STRING, "expiresOn": DATE_TIME, "communicationUserId": STRING,
        "endpoint": {**STRING, "description": "The ACS endpoint the client SDKs talk to."}, "identity": STRING,
    }, required=["token", "expiresOn", "communicationUserId", "endpoint", "identity"]),
    "TwilioToken": obj({"identity": STRING, "token": STRING}, required=["identity", "token"],
                       description="The shape Twilio starter apps read from their token server."),
    "RevokeRequest": obj({"identity": STRING}),
    "EraseRequest": obj({"identity": STRING}, required=["identity"]),
    "Revoked": obj({"communicationUserId": STRING, "revoked": {"const": True}},
                   required=["communicationUserId", "revoked"]),
}

_TOKEN_ANSWERS: Json = {
    "200": {
        "description": "An ACS user access token for the identity (its ACS user is created on first use).",
        "headers": _NO_STORE,
        "content": {
            "application/json": {"schema": {"oneOf": [ref("AcsToken"), ref("TwilioToken")]}},
            "text/plain": {"schema": {**STRING, "description": "The bare token (format=text)."}},
        },
    },
}
_QUERY = [
    query_param("identity", "As the body's identity."),
    query_param("scopes", "Comma-separated scope names."),
    query_param("expiresInMinutes", "Whole minutes, 60 to 1440."),
    query_param("format", "acs (default), twilio or text.", _FORMAT),
]

PATHS: Json = {
    "/token": {
        "get": operation(
            "token_get", function="token", tag="tokens", summary="Issue an ACS token (query string)",
            description="Options in the query string. The caller is a signed-in user (bearer JWT or App Service "
                        "principal) acting for themselves, or the trusted backend acting for anyone. " + _CHALLENGE,
            security=CALLER, parameters=_QUERY, responses=_TOKEN_ANSWERS, errors=(400, 401, 403, 409, 429),
        ),
        "post": operation(
            "token_post", function="token", tag="tokens", summary="Issue an ACS token",
            description="Options in a JSON body (the query string fills what the body leaves out). " + _CHALLENGE,
            security=CALLER, parameters=_QUERY, body=ref("TokenRequest"), body_required=False,
            responses=_TOKEN_ANSWERS, errors=(400, 401, 403, 409, 413, 415, 429),
        ),
    },
    "/token/revoke": {"post": operation(
        "token_revoke", tag="tokens", summary="Revoke every token of an identity",
        description="Users revoke their own tokens; the backend names any identity. " + _CHALLENGE,
        security=CALLER, body=ref("RevokeRequest"), body_required=False,
        responses={"200": answer("Revoked.", ref("Revoked"))}, errors=(400, 401, 403, 404, 413, 415),
    )},
    "/users/erase": {"post": operation(
        "user_erase", tag="tokens", summary="Erase an identity named in the body",
        description="As DELETE /api/users/{identity}, for every identity a token can be issued for: use it for "
                    "identities holding /, \\, %, ? or #, which a URL path cannot carry intact. Trusted backend "
                    "only. " + _CHALLENGE,
        security=CALLER, body=ref("EraseRequest"),
        responses={"204": answer("Erased (also when there was nothing to erase).")},
        errors=(400, 401, 403, 413, 415),
    )},
    "/users/{identity}": {"delete": operation(
        "user_delete", tag="tokens", summary="Erase an identity",
        description="Deletes the identity's mapping, then its ACS user (and with it the user's tokens). An "
                    "identity holding / cannot reach this route: use POST /api/users/erase. " + _CHALLENGE,
        security=CALLER, parameters=[path_param("identity", "The identity, URL-encoded.")],
        responses={"204": answer("Erased.")}, errors=(400, 401, 403, 404),
    )},
}


"""Identity 2023-10-01: create users, issue and revoke tokens, delete users (HMAC-signed calls)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from .call import Call, Reply
from .emulator import Emulator
from .errors import ApiError, error_body
from .formats import identity_time
from .state import User
from .tokens import SCOPES

DEFAULT_MINUTES = 1440


def _validation(message: str, target: str) -> ApiError:
    return ApiError(400, error_body("ValidationError", message, target))


def _body(call: Call) -> dict[str, Any]:
    if not call.body.strip():
        return {}
    try:
        value = json.loads(call.body)
    except ValueError:
        raise ApiError(400, error_body("InvalidRequestBody", "The request body is not valid JSON.")) from None
    if not isinstance(value, dict):
        raise ApiError(400, error_body("InvalidRequestBody", "The request body must be a JSON object."))
    return value


def _minutes(body: dict[str, Any]) -> int:
    raw = body.get("expiresInMinutes")
    if raw is None:
        return DEFAULT_MINUTES
    if not isinstance(raw, int) or isinstance(raw, bool) or not 60 <= raw <= 1440:
        raise _validation(
            f"ExpiresInMinutes value {raw} is invalid. Value must be within the [60, 1440] interval.",
            "ExpiresInMinutes",
        )
    return raw


def _scopes(raw: Any, target: str) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise _validation("At least one scope must be provided.", target)
    for scope in raw:
        if scope not in SCOPES:
            raise _validation(f"Scope '{scope}' is invalid. Valid scopes are: {', '.join(SCOPES)}.", target)
    return [str(s) for s in dict.fromkeys(raw)]


def issue_token(emu: Emulator, user_id: str, scopes: list[str], minutes: int) -> dict[str, str]:
    """Mint a token and remember its precise issue time (for revocation)."""
    now = time.time()
    expires = emu.now() + timedelta(minutes=minutes)
    token = emu.minter.mint(user_id, scopes, int(now), int(expires.timestamp()))
    emu.store.token_issue_times[token.rsplit(".", 1)[1]] = now
    return {"token": token, "expiresOn": identity_time(expires)}


def _existing(emu: Emulator, call: Call) -> User:
    user = emu.store.users.get(call.params["id"])
    if user is None:
        raise ApiError(404, error_body("IdentityNotFound", f"Identity '{call.params['id']}' was not found."))
    return user


def create(emu: Emulator, call: Call) -> Reply:
    """POST /identities: a new user, and a token when ``createTokenWithScopes`` is given."""
    body = _body(call)
    scopes_raw = body.get("createTokenWithScopes")
    scopes = _scopes(scopes_raw, "CreateTokenWithScopes") if scopes_raw else []
    minutes = _minutes(body)
    emu.limiter.check("identity_create")
    user = User(emu.ids.user(), emu.now())
    emu.store.users[user.id] = user
    result: dict[str, Any] = {"identity": {"id": user.id}}
    if scopes:
        result["accessToken"] = issue_token(emu, user.id, scopes, minutes)
    return Reply(201, result)


def issue(emu: Emulator, call: Call) -> Reply:
    """POST /identities/{id}/:issueAccessToken."""
    body = _body(call)
    scopes = _scopes(body.get("scopes"), "Scopes")
    minutes = _minutes(body)
    user = _existing(emu, call)
    emu.limiter.check("identity_issue")
    return Reply(200, issue_token(emu, user.id, scopes, minutes))


def revoke(emu: Emulator, call: Call) -> Reply:
    """POST /identities/{id}/:revokeAccessTokens: every token issued until now stops working."""
    user = _existing(emu, call)
    emu.limiter.check("identity_revoke")
    user.revoked_before = time.time()
    return Reply(204)


def delete(emu: Emulator, call: Call) -> Reply:
    """DELETE /identities/{id}: the user and its tokens are gone."""
    user = _existing(emu, call)
    emu.limiter.check("identity_delete")
    del emu.store.users[user.id]
    return Reply(204)


def exchange_teams_token(emu: Emulator, call: Call) -> Reply:
    """POST /teamsUser/:exchangeAccessToken: not emulated; a clear 501 says so."""
    emu.limiter.check("identity_exchange")
    raise ApiError(
        501,
        error_body(
            "NotImplemented",
            "The ACS emulator cannot validate Microsoft Entra ID tokens, so Teams user token exchange "
            "is not emulated. Use create_user_and_token for local runs.",
        ),
    )

"""App Service principal (only when trusted), the trusted backend's key, and which scopes each may ask for."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from harness.local_issuer import LocalIssuer
from tests.tokens.conftest import BACKEND_KEY, TokenApp, backend, bearer, body_of, error_of

OID_URI = "http://schemas.microsoft.com/identity/claims/objectidentifier"


def principal(claims: list[dict[str, str]]) -> str:
    payload = {"auth_typ": "aad", "claims": claims, "name_typ": "name", "role_typ": "roles"}
    return base64.b64encode(json.dumps(payload).encode()).decode()


def acs_scopes(token: str) -> list[str]:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["acsScope"]).split(",")


# --- X-MS-CLIENT-PRINCIPAL ---------------------------------------------------------------------------------------

def test_the_app_service_principal_is_ignored_unless_the_setting_says_so(token_app: TokenApp) -> None:
    header = principal([{"typ": "sub", "val": "alice"}])
    response = token_app.token(headers={"X-MS-CLIENT-PRINCIPAL": header})
    assert response.status_code == 401
    assert "TOKEN_TRUST_APP_SERVICE_AUTH" in error_of(response)["message"]
    assert token_app.container.identity_map.find_identity("alice") is None


def test_the_app_service_principal_identifies_the_user_when_trusted(make_app: Callable[..., TokenApp]) -> None:
    app = make_app(TOKEN_TRUST_APP_SERVICE_AUTH="true", TOKEN_IDENTITY_CLAIM="oid")
    header = principal([{"typ": "name", "val": "Alice"}, {"typ": OID_URI, "val": "oid-of-alice"}])
    response = app.token(headers={"X-MS-CLIENT-PRINCIPAL": header})
    assert response.status_code == 200, response.get_body()
    assert body_of(response)["identity"] == "oid-of-alice"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("not base64 at all!", "not base64-encoded JSON"),
        (base64.b64encode(b"\xff\xfe").decode(), "not base64-encoded JSON"),
        (base64.b64encode(b"[1, 2]").decode(), "no claims list"),
        (principal([{"typ": "name", "val": "Alice"}]), "no 'sub' claim"),
    ],
)
def test_a_bad_principal_is_a_401_when_trusted(make_app: Callable[..., TokenApp], header: str, expected: str) -> None:
    app = make_app(TOKEN_TRUST_APP_SERVICE_AUTH="true")
    response = app.token(headers={"X-MS-CLIENT-PRINCIPAL": header})
    assert response.status_code == 401
    assert expected in error_of(response)["message"]


# --- the trusted backend -----------------------------------------------------------------------------------------

def test_the_backend_key_in_the_header_or_the_code_query_may_ask_for_any_identity(token_app: TokenApp) -> None:
    by_header = token_app.token(headers=backend(), body={"identity": "user-1"})
    by_query = token_app.token(params={"code": BACKEND_KEY, "identity": "user-2"}, method="GET")
    assert by_header.status_code == 200
    assert by_query.status_code == 200
    assert body_of(by_header)["identity"] == "user-1"
    assert body_of(by_query)["identity"] == "user-2"


@pytest.mark.parametrize("key", ["wrong", BACKEND_KEY[:-1], BACKEND_KEY + "x", "", BACKEND_KEY.upper()])
def test_a_wrong_backend_key_is_a_401_and_never_falls_back_to_other_credentials(
    token_app: TokenApp, issuer: LocalIssuer, key: str
) -> None:
    response = token_app.token(headers={**backend(key), **bearer(issuer.token("alice"))}, body={"identity": "x"})
    assert response.status_code == 401
    assert error_of(response)["message"] == "The backend key is not valid."


def test_no_backend_is_trusted_when_the_key_setting_is_absent(make_app: Callable[..., TokenApp]) -> None:
    app = make_app(TOKEN_BACKEND_KEY=None)
    response = app.token(headers=backend(), body={"identity": "x"})
    assert response.status_code == 401


def test_the_backend_must_name_the_identity(token_app: TokenApp) -> None:
    response = token_app.token(headers=backend())
    assert response.status_code == 400
    assert error_of(response)["target"] == "identity"


# --- scopes ------------------------------------------------------------------------------------------------------

def test_users_get_chat_by_default_and_nothing_beyond_their_allowed_scopes(
    token_app: TokenApp, issuer: LocalIssuer
) -> None:
    ok = token_app.token(headers=bearer(issuer.token("scoped-user")))
    assert acs_scopes(body_of(ok)["token"]) == ["chat"]
    refused = token_app.token(headers=bearer(issuer.token("scoped-user")), body={"scopes": ["chat", "voip"]})
    assert refused.status_code == 403
    error = error_of(refused)
    assert error["target"] == "scopes"
    assert "'voip' is not allowed for a user" in error["message"]


def test_the_backend_may_ask_for_every_acs_scope(token_app: TokenApp) -> None:
    scopes = ["chat", "voip", "chat.join", "chat.join.limited", "voip.join"]
    for scope in scopes:
        response = token_app.token(headers=backend(), body={"identity": f"scope-{scope}", "scopes": [scope]})
        assert response.status_code == 200, (scope, response.get_body())
        assert acs_scopes(body_of(response)["token"]) == [scope]
    both = token_app.token(headers=backend(), body={"identity": "video-client", "scopes": "chat,voip"})
    assert acs_scopes(body_of(both)["token"]) == ["chat", "voip"]


def test_scope_settings_widen_or_narrow_what_each_caller_may_ask_for(
    make_app: Callable[..., TokenApp], issuer: LocalIssuer
) -> None:
    app = make_app(TOKEN_USER_SCOPES="chat,voip", TOKEN_BACKEND_SCOPES="chat.join")
    user = app.token(headers=bearer(issuer.token("video-user")), body={"scopes": ["voip"]})
    assert user.status_code == 200
    assert acs_scopes(body_of(user)["token"]) == ["voip"]
    refused = app.token(headers=backend(), body={"identity": "guest", "scopes": ["chat"]})
    assert refused.status_code == 403
    assert app.container.identity_map.find_identity("guest") is None


def test_a_user_may_not_ask_for_someone_else(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("alice")), body={"identity": "bob"})
    assert response.status_code == 403
    assert "only for themselves" in error_of(response)["message"]
    assert token_app.container.identity_map.find_identity("bob") is None
    same = token_app.token(headers=bearer(issuer.token("alice")), body={"identity": "alice"})
    assert same.status_code == 200

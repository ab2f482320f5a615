"""Bearer JWTs: every refusal is a 401 JSON error naming the problem, never echoing the token."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import jwt
import pytest

from harness.local_issuer import LocalIssuer, SigningKey
from tests.tokens.conftest import TokenApp, bearer, error_of


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(app: TokenApp, token: str, expected: str) -> None:
    response = app.token(headers=bearer(token))
    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] in ("InvalidToken", "InvalidCredentials")
    assert expected in error["message"]
    text = response.get_body().decode()
    for part in token.split("."):
        if len(part) > 8:
            assert part not in text


def test_an_expired_token_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    now = time.time()
    token = issuer.token("alice", issued_at=now - 7200, not_before=now - 7200, lifetime=-3600)
    _refused(token_app, token, "has expired")


def test_a_token_expired_within_the_leeway_still_passes(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("alice-leeway", lifetime=-5)))
    assert response.status_code == 200


def test_a_not_yet_valid_token_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    token = issuer.token("alice", not_before=time.time() + 600, lifetime=7200)
    _refused(token_app, token, "not valid yet")


def test_a_token_issued_in_the_future_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    token = issuer.token("alice", issued_at=time.time() + 600, lifetime=7200)
    _refused(token_app, token, "not valid yet")


def test_a_token_for_another_audience_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    _refused(token_app, issuer.token("alice", audience="api://some-other-app"), "another audience")


def test_a_token_from_another_issuer_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    _refused(token_app, issuer.token("alice", issuer="https://login.example.net/"), "issuer this app does not trust")


def test_alg_none_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "mallory", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, "", algorithm="none", headers={"kid": issuer.key.kid})
    _refused(token_app, token, "algorithm this app does not accept")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': issuer.key.kid})}.{_b64(claims)}."
    _refused(token_app, unsigned, "algorithm this app does not accept")


def test_hs256_signed_with_the_public_key_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    """The classic key-confusion forgery: HMAC keyed with the (public) RSA key from the JWKS."""
    import hashlib
    import hmac

    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "mallory", "exp": int(time.time()) + 600}
    signing_input = f"{_b64({'alg': 'HS256', 'typ': 'JWT', 'kid': issuer.key.kid})}.{_b64(claims)}"
    for secret in (issuer.key.public_pem(), json.dumps(issuer.key.public_jwk()).encode()):
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
        _refused(token_app, token, "algorithm this app does not accept")


def test_a_key_id_missing_from_the_jwks_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    stranger = SigningKey()
    _refused(token_app, issuer.token("alice", key=stranger), "signing key (kid) the identity provider does not publish")


def test_a_published_kid_with_a_signature_from_another_key_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    forged = issuer.token("alice", key=SigningKey(kid=issuer.key.kid))
    _refused(token_app, forged, "signature that does not verify")


def test_a_token_without_kid_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "alice", "exp": int(time.time()) + 600}
    token = jwt.encode(claims, issuer.key.private_key, algorithm="RS256")
    _refused(token_app, token, "no key id")


def test_a_token_without_exp_is_refused(token_app: TokenApp, issuer: LocalIssuer) -> None:
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "alice"}
    token = jwt.encode(claims, issuer.key.private_key, algorithm="RS256", headers={"kid": issuer.key.kid})
    _refused(token_app, token, "'exp'")


def test_a_token_without_the_identity_claim_is_refused(make_app: Callable[..., TokenApp], issuer: LocalIssuer) -> None:
    app = make_app(TOKEN_IDENTITY_CLAIM="oid")
    _refused(app, issuer.token("alice"), "no 'oid' claim")
    ok = app.token(headers=bearer(issuer.token("ignored-sub", claims={"oid": "0000-oid-of-alice"})))
    assert ok.status_code == 200
    assert json.loads(ok.get_body())["identity"] == "0000-oid-of-alice"


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        ("Basic YWxpY2U6cGFzc3dvcmQ=", "must be 'Bearer <token>'"),
        ("Bearer", "must be 'Bearer <token>'"),
        ("Bearer    ", "must be 'Bearer <token>'"),
        ("Token abc.def.ghi", "must be 'Bearer <token>'"),
        ("Bearer not-a-jwt", "not a well-formed JWT"),
        ("Bearer a.b.c", "not a well-formed JWT"),
        ("Bearer " + "x" * 20000, "longer than"),
        ("Bearer ....", "not a well-formed JWT"),
    ],
)
def test_malformed_authorization_headers_are_refused(token_app: TokenApp, authorization: str, expected: str) -> None:
    response = token_app.token(headers={"Authorization": authorization})
    assert response.status_code == 401
    assert expected in error_of(response)["message"]


def test_no_credentials_at_all_is_a_401_saying_how_to_sign_in(token_app: TokenApp) -> None:
    response = token_app.token()
    assert response.status_code == 401
    assert "Authorization: Bearer" in error_of(response)["message"]


def test_bearer_tokens_are_refused_when_no_identity_provider_is_configured(
    make_app: Callable[..., TokenApp], issuer: LocalIssuer
) -> None:
    app = make_app(TOKEN_JWT_ISSUER=None, TOKEN_JWT_AUDIENCE=None, TOKEN_JWKS_URL=None)
    response = app.token(headers=bearer(issuer.token("alice")))
    assert response.status_code == 401
    assert "does not accept bearer tokens" in error_of(response)["message"]


def test_an_unreachable_jwks_is_a_503_not_a_401(make_app: Callable[..., TokenApp], issuer: LocalIssuer) -> None:
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = make_app(TOKEN_JWKS_URL=f"http://127.0.0.1:{port}/.well-known/jwks.json")
    response = app.token(headers=bearer(issuer.token("alice")))
    assert response.status_code == 503
    assert "TOKEN_JWKS_URL" in error_of(response)["message"]


def test_the_jwks_is_fetched_once_and_cached(make_app: Callable[..., TokenApp], issuer: LocalIssuer) -> None:
    app = make_app()
    before = issuer.jwks_requests
    for n in range(3):
        assert app.token(headers=bearer(issuer.token(f"cache-{n}"))).status_code == 200
    assert issuer.jwks_requests - before == 1


def _raw_jwt(header: dict[str, object], issuer: LocalIssuer) -> str:
    now = int(time.time())
    payload = {"sub": "alice", "iss": issuer.issuer, "aud": issuer.audience, "exp": now + 600}
    return f"{_b64(header)}.{_b64(payload)}.{base64.urlsafe_b64encode(b'x' * 64).rstrip(b'=').decode()}"


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "kid": 5},  # PyJWT: "Key ID header parameter must be a string"
        {"alg": "RS256", "kid": None},
        {"alg": "RS256", "kid": ["a"]},
        {"alg": "RS256", "kid": "k", "crit": ["exp"]},  # PyJWT refuses unknown critical extensions
        {"alg": "RS256", "kid": "k", "crit": "exp"},
        {"alg": "RS256", "kid": "k", "crit": []},
        {"alg": "RS256", "kid": "k", "b64": False, "crit": ["b64"]},
        {"alg": ["RS256"], "kid": "k"},
        {"alg": "RS256", "kid": "k", "jku": "https://evil.example/jwks"},
        {"alg": "RS256", "kid": "k", "typ": 5},
        {"alg": "RS256", "kid": "k" * 5000},
    ],
    ids=lambda h: json.dumps(h)[:60],
)
def test_every_malformed_header_is_a_401_never_a_500(
    token_app: TokenApp, issuer: LocalIssuer, header: dict[str, object]
) -> None:
    response = token_app.token(headers=bearer(_raw_jwt(header, issuer)))
    assert response.status_code == 401, response.get_body()
    assert error_of(response)["code"] == "InvalidToken"

"""TOKEN_* settings: defaults, and every bad value named at start without echoing it."""

from __future__ import annotations

import pytest

from shared.settings import Secret, SettingsError, load_settings


def test_defaults_accept_no_bearer_tokens_and_trust_no_backend(app_environ: dict[str, str]) -> None:
    tokens = load_settings(app_environ).tokens
    assert not tokens.accepts_jwt
    assert tokens.backend_key is None
    assert tokens.trust_app_service_auth is False
    assert tokens.user_scopes == ("chat",)
    assert tokens.backend_scopes == ("chat", "voip", "chat.join", "chat.join.limited", "voip.join")
    assert tokens.jwt_algorithms == ("RS256",)
    assert tokens.identity_claim == "sub"
    assert tokens.default_expires_in_minutes == 60


def test_a_full_configuration_loads(app_environ: dict[str, str]) -> None:
    tokens = load_settings({
        **app_environ,
        "TOKEN_JWT_ISSUER": "https://login.microsoftonline.com/tenant/v2.0",
        "TOKEN_JWT_AUDIENCE": "api://app",
        "TOKEN_JWKS_URL": "https://login.microsoftonline.com/tenant/discovery/v2.0/keys",
        "TOKEN_IDENTITY_CLAIM": "oid",
        "TOKEN_JWT_ALGORITHMS": "RS256, PS256",
        "TOKEN_TRUST_APP_SERVICE_AUTH": "true",
        "TOKEN_BACKEND_KEY": "k" * 40,
        "TOKEN_USER_SCOPES": "chat,voip",
        "TOKEN_DEFAULT_EXPIRES_IN_MINUTES": "1440",
    }).tokens
    assert tokens.accepts_jwt
    assert tokens.jwt_algorithms == ("RS256", "PS256")
    assert tokens.backend_key == Secret("k" * 40)
    assert "k" * 40 not in repr(tokens)
    assert tokens.trust_app_service_auth
    assert tokens.user_scopes == ("chat", "voip")


@pytest.mark.parametrize(
    ("changes", "bad"),
    [
        ({"TOKEN_JWT_ALGORITHMS": "HS256"}, "TOKEN_JWT_ALGORITHMS"),
        ({"TOKEN_JWT_ALGORITHMS": "RS256,none"}, "TOKEN_JWT_ALGORITHMS"),
        ({"TOKEN_JWT_ALGORITHMS": "none"}, "TOKEN_JWT_ALGORITHMS"),
        ({"TOKEN_JWKS_URL": "http://idp.example.com/keys", "TOKEN_JWT_ISSUER": "i", "TOKEN_JWT_AUDIENCE": "a"},
         "TOKEN_JWKS_URL"),
        ({"TOKEN_JWKS_URL": "file:///etc/passwd", "TOKEN_JWT_ISSUER": "i", "TOKEN_JWT_AUDIENCE": "a"},
         "TOKEN_JWKS_URL"),
        ({"TOKEN_JWT_ISSUER": "https://idp.example.com"}, "TOKEN_JWT_AUDIENCE"),
        ({"TOKEN_JWT_AUDIENCE": "api://x"}, "TOKEN_JWKS_URL"),
        ({"TOKEN_BACKEND_KEY": "short-key-value"}, "TOKEN_BACKEND_KEY"),
        ({"TOKEN_USER_SCOPES": "chat,pstn"}, "TOKEN_USER_SCOPES"),
        ({"TOKEN_BACKEND_SCOPES": ","}, "TOKEN_BACKEND_SCOPES"),
        ({"TOKEN_TRUST_APP_SERVICE_AUTH": "maybe"}, "TOKEN_TRUST_APP_SERVICE_AUTH"),
        ({"TOKEN_DEFAULT_EXPIRES_IN_MINUTES": "59"}, "TOKEN_DEFAULT_EXPIRES_IN_MINUTES"),
        ({"TOKEN_DEFAULT_EXPIRES_IN_MINUTES": "1441"}, "TOKEN_DEFAULT_EXPIRES_IN_MINUTES"),
        ({"TOKEN_JWT_LEEWAY_SECONDS": "-1"}, "TOKEN_JWT_LEEWAY_SECONDS"),
    ],
)
def test_bad_token_settings_are_named_without_their_values(
    app_environ: dict[str, str], changes: dict[str, str], bad: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**app_environ, **changes})
    assert bad in caught.value.names
    for value in changes.values():
        if len(value) > 4:  # (short words such as "none" appear in the expectations themselves)
            assert value not in str(caught.value)

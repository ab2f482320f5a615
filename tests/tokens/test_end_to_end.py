"""Through the local Functions host stand-in over HTTP: anonymous routes, the handler's own authentication."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from emulators.host import LocalHost, local_host_in_thread
from harness.local_issuer import LocalIssuer
from scripts.demo_tokens import run_token_demo
from tests.functions import function_json, indexed_functions
from tests.tokens.conftest import BACKEND_KEY, TokenApp


@pytest.fixture
def host(token_app: TokenApp) -> Iterator[LocalHost]:
    with local_host_in_thread(token_app.app, queues=False, function_key="host-function-key") as running:
        yield running


def test_the_token_routes_are_anonymous_at_the_host_and_authenticate_in_the_handler(token_app: TokenApp) -> None:
    bindings = {name: function_json(f)["bindings"][0] for name, f in indexed_functions(token_app.app).items()}
    assert bindings["token"]["authLevel"] == "ANONYMOUS"
    assert bindings["token"]["route"] == "token"
    assert sorted(bindings["token"]["methods"]) == ["GET", "POST"]
    assert bindings["token_revoke"]["route"] == "token/revoke"
    assert bindings["user_delete"] == {
        "direction": "IN", "type": "httpTrigger", "name": "req", "methods": ["DELETE"],
        "authLevel": "ANONYMOUS", "route": "users/{identity}",
    }


def test_sign_in_revoke_and_erase_over_http(host: LocalHost, issuer: LocalIssuer, token_app: TokenApp) -> None:
    session = requests.Session()
    identity = "e2e user@example.com"
    jwt = issuer.token(identity)

    refused = session.post(f"{host.url}/api/token", timeout=30)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "InvalidCredentials"
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    stale = issuer.token("x", lifetime=-600)
    expired = session.post(f"{host.url}/api/token", headers={"Authorization": f"Bearer {stale}"}, timeout=30)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'

    issued = session.post(f"{host.url}/api/token", headers={"Authorization": f"Bearer {jwt}"},
                          json={"scopes": ["chat"]}, timeout=30)
    assert issued.status_code == 200, issued.text
    assert issued.headers["Content-Type"].startswith("application/json")
    assert issued.json()["identity"] == identity

    twilio = session.get(f"{host.url}/api/token", params={"format": "twilio", "identity": identity,
                                                          "code": BACKEND_KEY}, timeout=30)
    assert twilio.status_code == 200
    assert twilio.json()["identity"] == identity

    # the host's own function key is not the backend key: the handler decides, not the host
    not_backend = session.get(f"{host.url}/api/token", params={"identity": identity},
                              headers={"x-functions-key": "host-function-key"}, timeout=30)
    assert not_backend.status_code == 401

    revoked = session.post(f"{host.url}/api/token/revoke", headers={"Authorization": f"Bearer {jwt}"}, timeout=30)
    assert revoked.status_code == 200
    assert revoked.json()["communicationUserId"] == issued.json()["communicationUserId"]

    url = f"{host.url}/api/users/{quote(identity, safe='')}"
    for _ in range(2):
        erased = session.delete(url, headers={"x-functions-key": BACKEND_KEY}, timeout=30)
        assert erased.status_code == 204
    assert token_app.container.identity_map.find_identity(identity) is None


def test_the_demo_signs_in_with_a_local_issuer_token(host: LocalHost, issuer: LocalIssuer) -> None:
    result = run_token_demo(host_url=host.url, issuer=issuer, identity="demo-user@example.com")
    assert result["identity"] == "demo-user@example.com"
    assert result["communicationUserId"].startswith("8:acs:")
    assert result["token"].count(".") == 2

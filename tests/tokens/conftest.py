"""Fixtures for the token service: a local issuer (JWKS on loopback), the app on the ACS stand-in, helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import azure.functions as func
import pytest
import requests

from harness.local_issuer import LocalIssuer, running_local_issuer
from harness.process import RunningService
from shared.container import AppContainer
from shared.triggers import tokens
from tests.functions import handler, http_request

BACKEND_KEY = "backend-key-for-tests-0123456789abcdef"


@pytest.fixture(scope="session")
def issuer() -> Iterator[LocalIssuer]:
    with running_local_issuer() as running:
        yield running


@pytest.fixture
def token_environ(standin_environ: dict[str, str], issuer: LocalIssuer) -> dict[str, str]:
    """The app's settings on Azurite and the stand-ins, trusting the local issuer and a backend key."""
    return {**standin_environ, **issuer.app_settings(), "TOKEN_BACKEND_KEY": BACKEND_KEY}


@dataclass
class TokenApp:
    """The token routes of one app container, called as the worker calls them."""

    container: AppContainer
    app: func.FunctionApp

    def call(self, name: str, method: str, path: str, **kwargs: Any) -> func.HttpResponse:
        response: func.HttpResponse = handler(self.app, name)(http_request(method, path, **kwargs))
        return response

    def token(self, *, headers: dict[str, str] | None = None, body: Any = None, params: dict[str, str] | None = None,
              method: str = "POST") -> func.HttpResponse:
        return self.call("token", method, "/api/token", headers=headers, body=body, params=params)

    def revoke(self, *, headers: dict[str, str], body: Any = None) -> func.HttpResponse:
        return self.call("token_revoke", "POST", "/api/token/revoke", headers=headers, body=body)

    def delete(self, identity: str, *, headers: dict[str, str]) -> func.HttpResponse:
        return self.call("user_delete", "DELETE", f"/api/users/{identity}", headers=headers,
                         route_params={"identity": identity})


def build_app(environ: dict[str, str]) -> TokenApp:
    container = AppContainer.from_environ(environ)
    assert container.settings_error is None, container.settings_error
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(tokens.build_blueprint(container))
    return TokenApp(container, app)


@pytest.fixture
def token_app(token_environ: dict[str, str]) -> TokenApp:
    return build_app(token_environ)


@pytest.fixture
def make_app(token_environ: dict[str, str]) -> Callable[..., TokenApp]:
    """A token app with some settings changed (``None`` removes a setting)."""

    def make(**changes: str | None) -> TokenApp:
        environ = dict(token_environ)
        for name, value in changes.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        return build_app(environ)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def backend(key: str = BACKEND_KEY) -> dict[str, str]:
    return {"x-functions-key": key}


def body_of(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


def error_of(response: func.HttpResponse) -> dict[str, Any]:
    data = body_of(response)
    assert set(data) == {"error"}, data
    return data["error"]  # type: ignore[no-any-return]


class AcsAdmin:
    """The ACS stand-in's admin routes (loopback, no auth)."""

    def __init__(self, service: RunningService) -> None:
        self.base = str(service.info["admin"])
        self.verify = str(service.info["ca_bundle"])
        self.session = requests.Session()

    def user_ids(self) -> set[str]:
        response = self.session.get(f"{self.base}/snapshot", verify=self.verify, timeout=30)
        response.raise_for_status()
        return {u["id"] for u in response.json()["users"]}


@pytest.fixture(scope="session")
def acs_admin(acs_standin: RunningService) -> AcsAdmin:
    return AcsAdmin(acs_standin)


def identity_counts(admin: AcsAdmin) -> dict[str, int]:
    """How many ACS users the stand-in has created and deleted (successful calls) so far."""
    response = admin.session.get(f"{admin.base}/counters", verify=admin.verify, timeout=30)
    response.raise_for_status()
    counters: dict[str, dict[str, int]] = response.json()["counters"]
    created = sum(v.get("201", 0) for k, v in counters.items()
                  if k.split()[:1] == ["POST"] and k.endswith("/identities"))
    deleted = sum(v.get("204", 0) for k, v in counters.items()
                  if k.split()[:1] == ["DELETE"] and "/identities/" in k)
    return {"created": created, "deleted": deleted}

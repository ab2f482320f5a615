"""Attachments: a workspace migrated through the real SDKs into the ACS stand-in and Azurite, then opened
through ``/api/attachments`` as the worker calls it (bearer JWTs from a local issuer, the backend key)."""

from __future__ import annotations

import base64
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import httpx
import pytest

from harness.local_issuer import LocalIssuer, running_local_issuer
from harness.process import RunningService
from shared.container import AppContainer
from shared.export import MigrationRequest
from shared.triggers import attachments
from tests.export.seeding import SeededConversation, TwilioSeeder
from tests.functions import handler, http_request
from tests.standins import ACS_TIME_SCALE

BACKEND_KEY = "backend-key-for-attachment-tests-0123456789"
PUBLIC_BASE_URL = "https://chat-history.example.test"


@pytest.fixture(scope="session")
def issuer() -> Iterator[LocalIssuer]:
    with running_local_issuer() as running:
        yield running


@pytest.fixture
def attachment_environ(standin_environ: dict[str, str], issuer: LocalIssuer) -> dict[str, str]:
    return {**standin_environ, **issuer.app_settings(), "TOKEN_BACKEND_KEY": BACKEND_KEY,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "EXPORT_RATE_TIME_SCALE": ACS_TIME_SCALE, "EXPORT_FLUSH_EVERY": "5"}


@dataclass
class AttachmentApp:
    """The attachment route of one container, called as the Functions worker calls it."""

    container: AppContainer
    app: func.FunctionApp = field(init=False)

    def __post_init__(self) -> None:
        self.app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
        self.app.register_functions(attachments.build_blueprint(self.container))

    def get(self, url_or_path: str, *, headers: dict[str, str] | None = None,
            params: dict[str, str] | None = None) -> func.HttpResponse:
        path = url_or_path.removeprefix(PUBLIC_BASE_URL)
        parts = path.split("/")
        route = {"conversation": parts[3], "media": parts[4]} if len(parts) == 5 else {}
        response: func.HttpResponse = handler(self.app, "attachment_get")(
            http_request("GET", path, headers=headers, params=params, route_params=route))
        return response


def build(environ: dict[str, str]) -> AttachmentApp:
    container = AppContainer.from_environ(environ)
    assert container.settings_error is None, container.settings_error
    return AttachmentApp(container)


def bearer(issuer: LocalIssuer, identity: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token(identity)}"}


def principal(identity: str) -> dict[str, str]:
    """``X-MS-CLIENT-PRINCIPAL`` as App Service Authentication sets it."""
    raw = json.dumps({"auth_typ": "aad", "claims": [{"typ": "sub", "val": identity}]}).encode()
    return {"X-MS-CLIENT-PRINCIPAL": base64.b64encode(raw).decode()}


def error_of(response: func.HttpResponse) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.get_body())
    return data["error"]  # type: ignore[no-any-return]


@pytest.fixture
def seeder(twilio_standin: RunningService) -> Iterator[TwilioSeeder]:
    info = twilio_standin.info
    seeder = TwilioSeeder(str(info["url"]), str(info["account_sid"]), str(info["auth_token"]))
    yield seeder
    seeder.close()


def migrate(container: AppContainer, seeder: TwilioSeeder) -> dict[str, str]:
    engine = container.export_engine
    try:
        report = engine.runner.run(MigrationRequest(services=(seeder.service_sid,)))
    finally:
        engine.close()
    return {o.conversation_sid: o.status for o in report.outcomes}


def thread_of(container: AppContainer, conv: SeededConversation) -> str:
    thread_id = container.conversations.get_conversation(conv.sid).thread_id
    assert thread_id is not None
    return thread_id


@pytest.fixture
def acs_admin_http(acs_standin: RunningService) -> Iterator[httpx.Client]:
    """The ACS stand-in's admin routes: what the thread really holds."""
    trust = ssl.create_default_context(cafile=str(acs_standin.info["ca_bundle"]))
    with httpx.Client(base_url=str(acs_standin.info["admin"]), verify=trust, timeout=30) as client:
        yield client

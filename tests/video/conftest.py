"""Fixtures for the video routes: the app on Azurite and the session ACS stand-in, a local issuer, helpers."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import azure.functions as func
import httpx
import pytest

from harness.local_issuer import LocalIssuer, running_local_issuer
from harness.process import RunningService
from shared.container import AppContainer
from shared.triggers import video
from tests.functions import handler, http_request

BACKEND_KEY = "video-backend-key-for-tests-0123456789abcdef"


@pytest.fixture(scope="session")
def video_issuer() -> Iterator[LocalIssuer]:
    with running_local_issuer() as running:
        yield running


@pytest.fixture
def video_environ(standin_environ: dict[str, str], video_issuer: LocalIssuer) -> dict[str, str]:
    """The app on Azurite and the ACS stand-in; users may ask for voip tokens and make rooms by joining (as
    on Twilio with client-side room creation), the backend has a key."""
    return {**standin_environ, **video_issuer.app_settings(), "TOKEN_BACKEND_KEY": BACKEND_KEY,
            "TOKEN_USER_SCOPES": "chat,voip", "VIDEO_USERS_CREATE_ROOMS": "true"}


@dataclass
class VideoApp:
    """The video routes of one container, called as the worker calls them."""

    container: AppContainer
    app: func.FunctionApp
    issuer: LocalIssuer

    def call(self, name: str, method: str, path: str, **kwargs: Any) -> func.HttpResponse:
        response: func.HttpResponse = handler(self.app, name)(http_request(method, path, **kwargs))
        return response

    def token(self, body: Any, *, user: str | None = None, claims: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None) -> func.HttpResponse:
        sent = dict(headers or {})
        if user is not None:
            sent["Authorization"] = f"Bearer {self.issuer.token(user, claims=claims)}"
        elif not sent:
            sent["x-functions-key"] = BACKEND_KEY
        return self.call("video_token", "POST", "/api/video/token", body=body, headers=sent)

    def create(self, body: Any) -> func.HttpResponse:
        return self.call("video_rooms_create", "POST", "/api/video/rooms", body=body)

    def get(self, name: str) -> func.HttpResponse:
        return self.call("video_rooms_get", "GET", f"/api/video/rooms/{name}", route_params={"name": name})

    def delete(self, name: str) -> func.HttpResponse:
        return self.call("video_rooms_delete", "DELETE", f"/api/video/rooms/{name}", route_params={"name": name})

    def put_participants(self, name: str, body: Any) -> func.HttpResponse:
        return self.call("video_rooms_participants", "PUT", f"/api/video/rooms/{name}/participants", body=body,
                         route_params={"name": name})


def build_video_app(environ: dict[str, str], issuer: LocalIssuer) -> VideoApp:
    container = AppContainer.from_environ(environ)
    assert container.settings_error is None, container.settings_error
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(video.build_blueprint(container))
    return VideoApp(container, app, issuer)


@pytest.fixture
def video_app(video_environ: dict[str, str], video_issuer: LocalIssuer) -> VideoApp:
    return build_video_app(video_environ, video_issuer)


@pytest.fixture
def make_video_app(video_environ: dict[str, str], video_issuer: LocalIssuer) -> Callable[..., VideoApp]:
    """A video app with some settings changed (same tables as ``video_app``)."""

    def make(**changes: str) -> VideoApp:
        return build_video_app({**video_environ, **changes}, video_issuer)

    return make


def body_of(response: func.HttpResponse) -> Any:
    return json.loads(response.get_body())


class AcsRooms:
    """The ACS stand-in's room admin view (loopback, no auth)."""

    def __init__(self, service: RunningService) -> None:
        self.client = httpx.Client(base_url=str(service.info["admin"]), timeout=30,
                                   verify=ssl.create_default_context(cafile=str(service.info["ca_bundle"])))

    def rooms(self) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in self.client.get("/rooms").json()["rooms"]}

    def roster(self, room_id: str) -> dict[str, str]:
        return {p["rawId"]: p["role"] for p in self.rooms()[room_id]["participants"]}


@pytest.fixture(scope="session")
def acs_rooms(acs_standin: RunningService) -> AcsRooms:
    return AcsRooms(acs_standin)

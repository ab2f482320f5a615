from __future__ import annotations

import json

import azure.functions as func

from shared.container import AppContainer
from shared.triggers import health
from tests.functions import handler, http_request


def _call(container: AppContainer) -> tuple[int, dict[str, object]]:
    app = func.FunctionApp()
    app.register_functions(health.build_blueprint(container))
    response = handler(app, "health")(http_request("GET", "/api/health"))
    return response.status_code, json.loads(response.get_body())


def test_health_reports_version_settings_and_storage_without_secrets(app_environ: dict[str, str]) -> None:
    status, body = _call(AppContainer.from_environ(app_environ))
    assert status == 200
    assert body["status"] == "healthy"
    assert body["settings"] == {"loaded": True}
    assert body["storage"] == {"reachable": True}
    rendered = json.dumps(body)
    assert "127.0.0.1" not in rendered
    assert "test-auth-token-value" not in rendered
    assert "AccountKey" not in rendered


def test_health_names_bad_settings_and_answers_503(app_environ: dict[str, str]) -> None:
    env = dict(app_environ, ACS_CONNECTION_STRING="endpoint=nope")
    del env["TWILIO_AUTH_TOKEN"]
    status, body = _call(AppContainer.from_environ(env))
    assert status == 503
    assert body["settings"] == {"loaded": False, "invalid": ["TWILIO_AUTH_TOKEN", "ACS_CONNECTION_STRING"]}
    assert body["storage"] == {"reachable": False}


def test_health_reports_unreachable_storage(app_environ: dict[str, str]) -> None:
    dead = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;"
        "BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"
    )
    status, body = _call(AppContainer.from_environ(dict(app_environ, AzureWebJobsStorage=dead)))
    assert status == 503
    assert body["storage"] == {"reachable": False}

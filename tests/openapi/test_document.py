"""``GET /api/openapi.json``: a valid OpenAPI 3.1 document describing every HTTP route of the app."""

from __future__ import annotations

import json
import re
from typing import Any

import azure.functions as func
import pytest
from openapi_spec_validator import validate

from function_app import create_app
from shared.container import AppContainer
from shared.openapi import build_document
from tests.functions import function_json, handler, http_request, indexed_functions
from tests.openapi_responses import check_answer, described_route

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@pytest.fixture
def app(app_environ: dict[str, str]) -> func.FunctionApp:
    return create_app(AppContainer.from_environ(app_environ))


def http_functions(app: func.FunctionApp) -> dict[str, dict[str, Any]]:
    """``{function name: its httpTrigger binding}`` as the host indexes the app."""
    found = {}
    for name, function in indexed_functions(app).items():
        trigger = next(b for b in function_json(function)["bindings"] if b["direction"].lower() == "in")
        if trigger["type"] == "httpTrigger":
            found[name] = trigger
    return found


def test_the_document_is_valid_openapi_3_1() -> None:
    document = build_document(version="9.9.9", server_url="https://app.example/api")
    validate(document)  # raises naming the first problem
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "https://app.example/api"}]
    assert set(document["components"]["securitySchemes"]) == {
        "functionKey", "functionKeyQuery", "bearerJwt", "appServicePrincipal", "backendKey", "backendKeyQuery"}


def test_every_http_route_and_method_is_described_and_nothing_else(app: func.FunctionApp) -> None:
    document = build_document()
    described = {
        (path, method.upper()): op
        for path, item in document["paths"].items() for method, op in item.items() if method in METHODS
    }
    served = set()
    missing = []
    for name, trigger in http_functions(app).items():
        path = described_route(trigger["route"])
        for method in trigger.get("methods") or []:
            served.add((path, method.upper()))
            op = described.get((path, method.upper()))
            if op is None:
                missing.append(f"{method.upper()} /api{path} ({name})")
            else:
                assert op["x-function"] == name, f"{method} {path} names {op['x-function']}, served by {name}"
    assert not missing, "HTTP routes without a description in shared/openapi: " + ", ".join(missing)
    assert set(described) == served, f"described but not served: {sorted(set(described) - served)}"


def test_every_operation_says_what_it_does_how_it_is_secured_and_how_it_fails(app: func.FunctionApp) -> None:
    triggers = http_functions(app)
    for path, item in build_document()["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary"), f"{where} needs a summary"
            assert len(op.get("description", "")) >= 20, f"{where} needs a description"
            assert "security" in op, f"{where} must state its security"
            level = triggers[op["x-function"]].get("authLevel", "function").lower()
            schemes = {name for requirement in op["security"] for name in requirement}
            if level == "function":
                assert schemes == {"functionKey", "functionKeyQuery"}, where
            else:
                assert "functionKey" not in schemes, where
            assert {"500", "503"} <= set(op["responses"]), where
            assert any(code.startswith("2") for code in op["responses"]), where
            for param in re.findall(r"\{(\w+)\}", path):
                assert any(p["in"] == "path" and p["name"] == param for p in op.get("parameters", [])), \
                    f"{where}: path parameter {param} is not described"


def test_the_route_serves_the_document_with_this_hosts_url(app: func.FunctionApp) -> None:
    response = handler(app, "openapi_document")(http_request("GET", "/api/openapi.json"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert body["servers"] == [{"url": "http://localhost/api"}]
    assert body["paths"] == build_document()["paths"]


def test_a_wrong_answer_is_caught_by_the_checker() -> None:
    """The checker that guards every route test finds a missing field, an undocumented status and media type."""
    bad = func.HttpResponse(json.dumps({"value": [{"id": "sub_" + "0" * 24}]}), status_code=200,
                            mimetype="application/json")
    problems = check_answer("subscriptions_list", "GET", bad)
    assert len(problems) == 6, problems  # url, format, eventTypes, includeMigrated, enabled, createdAt
    assert problems[0] == "GET /subscriptions (subscriptions_list) answered 200: value/0: 'url' is a required property"
    teapot = func.HttpResponse("", status_code=418)
    assert check_answer("subscriptions_list", "GET", teapot) == [
        "GET /subscriptions (subscriptions_list) answered 418: status not described "
        "(described: 200, 500, 503)"]
    html = func.HttpResponse("<p>", status_code=200, mimetype="text/html")
    assert "media type 'text/html' not described" in check_answer("subscriptions_list", "GET", html)[0]
    extra = func.HttpResponse(json.dumps({"value": [], "secret": "x"}), status_code=200, mimetype="application/json")
    assert "Additional properties are not allowed ('secret' was unexpected)" in \
        check_answer("subscriptions_list", "GET", extra)[0]

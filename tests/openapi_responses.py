"""Every answer a route test sees is checked against ``GET /api/openapi.json`` (a pytest plugin).

Two places see answers: ``tests.functions.handler`` (handlers called directly) and the local
host (``emulators.host.server.HTTP_OBSERVERS``). Each answer of a function the document
describes must have a documented status, media type, headers and a body that validates
against the schema; the test that saw a mismatch fails at teardown, naming it.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from emulators.host import server as host_server
from shared.openapi import build_document

DOCUMENT = build_document()
_BASE = "urn:openapi"
_REGISTRY: Registry[Any] = Registry().with_resource(_BASE, Resource(DOCUMENT, specification=DRAFT202012))
_PARAM = re.compile(r"\{([^}:?*]+)[^}]*\}")


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _operations() -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    found: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "x-function" in op:
                found.setdefault(op["x-function"], []).append((path, method, op))
    return found


OPERATIONS = _operations()


def described_route(route: str) -> str:
    """A host route template (``migrations/{runId}``, ``items/{id:int}``) as an OpenAPI path."""
    return "/" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", route.strip("/"))


def check_answer(function: str, method: str, response: func.HttpResponse, *, route: str | None = None) -> list[str]:
    """What is wrong with ``response`` as an answer of ``function`` to ``method``; [] when it conforms."""
    candidates = OPERATIONS.get(function)
    if not candidates:
        return []  # not one of the app's routes (stand-in sample apps); test_document checks completeness
    if route is not None and all(path != described_route(route) for path, _, _ in candidates):
        return []
    chosen = [(p, m, op) for p, m, op in candidates if m == method.lower()]
    if not chosen:
        return [f"{function}: {method} is not described"]
    path, op_method, op = chosen[0]
    where = f"{method.upper()} {path} ({function}) answered {response.status_code}"
    responses = op["responses"]
    key = str(response.status_code)
    if key not in responses:
        return [f"{where}: status not described (described: {', '.join(sorted(responses))})"]
    described = responses[key]
    pointer_parts: tuple[str, ...] = ("paths", path, op_method, "responses", key)
    if "$ref" in described:
        name = described["$ref"].rsplit("/", 1)[1]
        described = DOCUMENT["components"]["responses"][name]
        pointer_parts = ("components", "responses", name)
    problems: list[str] = []
    sent = {str(name).lower() for name in dict(response.headers)}
    for name in described.get("headers", {}):
        if name.lower() not in sent:
            problems.append(f"{where}: header {name} is described but missing")
    body = response.get_body() or b""
    content = described.get("content")
    if not content:
        if body:
            problems.append(f"{where}: the description has no body, the answer has {len(body)} bytes")
        return problems
    headers = {str(k).lower(): str(v) for k, v in dict(response.headers).items()}
    mimetype = (headers.get("content-type") or response.mimetype or "").split(";")[0].strip().lower()
    if mimetype not in content and "*/*" not in content:
        return [*problems, f"{where}: media type {mimetype!r} not described ({', '.join(content)})"]
    if mimetype != "application/json" or mimetype not in content:
        return problems
    try:
        value = json.loads(body)
    except ValueError:
        return [*problems, f"{where}: the body is not JSON"]
    schema_ref = f"{_BASE}#/" + _pointer(*pointer_parts, "content", mimetype, "schema")
    validator = Draft202012Validator({"$ref": schema_ref}, registry=_REGISTRY)
    for error in validator.iter_errors(value):
        location = "/".join(str(p) for p in error.absolute_path) or "(body)"
        problems.append(f"{where}: {location}: {error.message[:300]}")
    return problems


@dataclass
class AnswerLog:
    """Answers seen during one test, and what was wrong with them."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def see(self, function: str, request: func.HttpRequest, response: Any, route: str | None = None) -> None:
        if not isinstance(response, func.HttpResponse):
            return
        problems = check_answer(function, request.method, response, route=route)
        with self.lock:
            self.checked += function in OPERATIONS
            self.problems.extend(problems)


CURRENT = AnswerLog()
TOTALS = {"checked": 0}


def _observe(function: str, request: func.HttpRequest, response: Any, route: str | None) -> None:
    CURRENT.see(function, request, response, route)


@pytest.fixture(autouse=True)
def openapi_answers() -> Iterator[AnswerLog]:
    """Fails the test if an answer it saw does not match the OpenAPI document."""
    global CURRENT
    CURRENT = AnswerLog()
    host_server.HTTP_OBSERVERS.append(_observe)
    try:
        yield CURRENT
    finally:
        host_server.HTTP_OBSERVERS.remove(_observe)
    TOTALS["checked"] += CURRENT.checked
    if CURRENT.problems:
        shown = "\n".join(dict.fromkeys(CURRENT.problems))
        pytest.fail("answers that do not match shared/openapi (describe them there):\n" + shown, pytrace=False)

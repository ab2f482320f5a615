"""Every HTTP route against hostile input: a 4xx with a clear JSON error, never a 500, nothing written."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.functions import function_json, indexed_functions

from .cases import BACKEND, FUNCTION, USER, Case, catalogue, sign_twilio
from .conftest import BACKEND_KEY, FUNCTION_KEY, HostileTarget

CASES = catalogue()
SECRETS = (BACKEND_KEY, FUNCTION_KEY)


def _headers(case: Case, target: HostileTarget) -> dict[str, str]:
    headers = dict(case.headers)
    if case.content_type:
        headers["content-type"] = case.content_type
    if case.auth == FUNCTION:
        headers["x-functions-key"] = FUNCTION_KEY
    elif case.auth == BACKEND:
        headers["x-functions-key"] = BACKEND_KEY
    elif case.auth == USER:
        headers["Authorization"] = f"Bearer {target.issuer.token(case.user)}"
    if case.raw_auth is not None:
        headers.update(case.raw_auth(target))
    if case.sign_twilio is not None:
        headers.update(sign_twilio(case, target))
    return headers


def test_every_http_route_is_in_the_catalogue() -> None:
    import function_app

    routes = {
        name for name, f in indexed_functions(function_app.app).items()
        if function_json(f)["bindings"][0]["type"] == "httpTrigger"
    }
    covered = {case.route for case in CASES}
    assert routes - {"health"} <= covered, sorted(routes - covered)
    assert len(CASES) >= 500
    assert len({case.id for case in CASES}) == len(CASES)  # every case says what it is, once


def test_the_count_by_route() -> None:
    """Printed with ``pytest -s``: what the closing note quotes."""
    by_route = Counter(case.route for case in CASES)
    for route, count in sorted(by_route.items()):
        print(f"{route:28} {count:4}")
    print(f"{'total':28} {len(CASES):4}")
    assert sum(by_route.values()) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_request(case: Case, hostile: HostileTarget) -> None:
    before = hostile.storage_snapshot()
    response = hostile.http.request(case.method, case.path, content=case.body, headers=_headers(case, hostile))
    status, code = case.expect
    assert response.status_code == status, (response.status_code, response.text[:500])
    if code is not None:
        assert response.headers.get("content-type", "").startswith("application/json"), response.text[:200]
        error = json.loads(response.content)["error"]
        assert error["code"] == code, error
        assert isinstance(error["message"], str)
        assert len(error["message"]) > 10
    for secret in SECRETS:
        assert secret not in response.text
    assert hostile.storage_snapshot() == before

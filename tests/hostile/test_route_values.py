"""Route values the host stand-in cannot deliver intact (encoded slashes, lone surrogates), given straight to
the handlers as the real host would route them."""

from __future__ import annotations

import json

import pytest

from function_app import create_app
from tests.functions import handler, http_request

from .conftest import BACKEND_KEY, FUNCTION_KEY, HostileTarget

HOSTILE_VALUES = ["../../etc/passwd", "..\\..\\windows\\system32", "a/../../b", "\ud800", "x\u202ey", "a\x00b",
                  "' or PartitionKey ne '", "x" * 3000]


ROUTES = [
    ("user_delete", "DELETE", "identity", BACKEND_KEY, (400, "BadRequest")),  # refused by the identity rules
    ("get_migration", "GET", "runId", FUNCTION_KEY, (404, "RunNotFound")),  # no run id has that shape
    ("subscriptions_get", "GET", "id", FUNCTION_KEY, (404, "SubscriptionNotFound")),
]
# Quotes are legal in identities (O'Brien): for user_delete an injection-looking identity is an ordinary,
# idempotent erase of an unknown identity (204), and the last test shows it touches nothing else.
COMBINATIONS = [(*route, value) for route in ROUTES for value in HOSTILE_VALUES
                if not (route[0] == "user_delete" and value.startswith("'"))]


@pytest.mark.parametrize(("name", "method", "param", "key", "expect", "value"), COMBINATIONS,
                         ids=[f"{c[0]}-{c[5]!r:.30}" for c in COMBINATIONS])
def test_route_values_get_their_exact_4xx_and_write_nothing(
    hostile: HostileTarget, name: str, method: str, param: str, key: str, expect: tuple[int, str], value: str
) -> None:
    app = create_app(hostile.container)
    before = hostile.storage_snapshot()
    response = handler(app, name)(http_request(method, f"/api/{name}", route_params={param: value},
                                               headers={"x-functions-key": key}))
    error = json.loads(response.get_body())["error"]
    assert (response.status_code, error["code"]) == expect, error
    assert len(error["message"]) > 10
    assert hostile.storage_snapshot() == before


def test_an_identity_that_looks_like_odata_injection_erases_nothing_else(hostile: HostileTarget) -> None:
    from shared.state import IdentityMapping

    hostile.container.identity_map.create_identity(IdentityMapping("victim", "8:acs:victim"))
    app = create_app(hostile.container)
    for attack in ("' or PartitionKey ne '", "victim' or 'a' eq 'a"):
        response = handler(app, "user_delete")(http_request(
            "DELETE", "/api/users/x", route_params={"identity": attack}, headers={"x-functions-key": BACKEND_KEY}))
        assert response.status_code == 204
    assert hostile.container.identity_map.get_identity("victim").acs_user_id == "8:acs:victim"
    hostile.container.identity_map.delete_identity("victim")

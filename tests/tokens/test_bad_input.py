"""Bad input: 400 (or 413/415) naming the problem, never 500, nothing written (no mapping, no ACS user)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from harness.local_issuer import LocalIssuer
from tests.tokens.conftest import AcsAdmin, TokenApp, backend, bearer, error_of


@pytest.fixture
def nothing_written(token_app: TokenApp, acs_admin: AcsAdmin) -> Iterator[None]:
    users_before = acs_admin.user_ids()
    yield
    assert acs_admin.user_ids() == users_before
    assert list(token_app.container.identity_map.list_identities()) == []


@pytest.mark.parametrize(
    ("body", "target", "expected"),
    [
        ({"scopes": ["chat", "pstn"]}, "scopes", "Unknown scope 'pstn'"),
        ({"scopes": []}, "scopes", "scopes is empty"),
        ({"scopes": [1]}, "scopes", "list of scope names"),
        ({"scopes": {"chat": True}}, "scopes", "list of scope names"),
        ({"scopes": ["\u0000chat"]}, "scopes", "(unprintable or long)"),
        ({"expiresInMinutes": 59}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": 1441}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": 0}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": -60}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": 90.5}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": True}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": "soon"}, "expiresInMinutes", "from 60 to 1440"),
        ({"expiresInMinutes": "9" * 400}, "expiresInMinutes", "from 60 to 1440"),
        ({"format": "xml"}, "format", "format must be one of"),
        ({"color": "blue"}, None, "Unknown field 'color'"),
    ],
)
def test_bad_options_from_a_user_are_400_naming_the_field(
    token_app: TokenApp, issuer: LocalIssuer, body: dict[str, Any], target: str | None, expected: str,
    nothing_written: None,
) -> None:
    response = token_app.token(headers=bearer(issuer.token("bad-input-user")), body=body)
    assert response.status_code == 400, response.get_body()
    error = error_of(response)
    assert error["code"] == "BadRequest"
    assert expected in error["message"]
    assert error.get("target") == target


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("a" * 257, "257 characters long; the limit is 256"),
        ("bell\u0007", "a control character (U+0007 at position 4)"),
        ("new\nline", "a control character (U+000A at position 3)"),
        ("nul\u0000", "a control character (U+0000"),
        ("c1\u0085", "a control character (U+0085"),
        ("half\ud800", "a lone surrogate (U+D800 at position 4)"),
        ("\udfffhalf", "a lone surrogate (U+DFFF at position 0)"),
        ("sep\u2028", "a line separator"),
        ("non\uffff", "a Unicode noncharacter"),
        (42, "must be a string"),
        (["alice"], "must be a string"),
    ],
)
def test_bad_identities_from_the_backend_are_400_naming_the_problem(
    token_app: TokenApp, identity: object, expected: str, nothing_written: None
) -> None:
    raw = json.dumps({"identity": identity})  # lone surrogates travel as \\udxxx escapes, as JSON allows
    response = token_app.token(headers={**backend(), "content-type": "application/json"}, body=raw)
    assert response.status_code == 400, response.get_body()
    error = error_of(response)
    assert expected in error["message"]
    assert error["target"] == "identity"


def test_a_bad_identity_claim_in_a_valid_token_is_400(
    token_app: TokenApp, issuer: LocalIssuer, nothing_written: None
) -> None:
    response = token_app.token(headers=bearer(issuer.token("evil\u001b[31m")))
    assert response.status_code == 400
    assert "sub claim contains a control character" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "expected"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"[1, 2]", "application/json", 400, "must be a JSON object"),
        (b"\xff\xfe\x00", "application/json", 400, "not valid UTF-8"),
        (b"identity=alice", "application/x-www-form-urlencoded", 415, "application/json"),
        (b'{"identity": "x"}', "text/plain", 415, "application/json"),
        (b"{" + b" " * (1024 * 1024) + b"}", "application/json", 413, "the limit is"),
    ],
)
def test_malformed_bodies_are_refused_with_their_status(
    token_app: TokenApp, raw: bytes, content_type: str, status: int, expected: str, nothing_written: None
) -> None:
    response = token_app.token(headers={**backend(), "content-type": content_type}, body=raw)
    assert response.status_code == status
    assert expected in error_of(response)["message"]


def test_a_trailing_comma_in_scopes_is_tolerated(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("comma")), body={"scopes": "chat,"})
    assert response.status_code == 200


def test_an_unauthenticated_bad_request_is_a_401_first(token_app: TokenApp, nothing_written: None) -> None:
    response = token_app.token(headers={"content-type": "application/json"}, body=b"{not json")
    assert response.status_code == 401

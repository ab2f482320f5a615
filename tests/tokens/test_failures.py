"""ACS failing, ACS users gone behind the map's back, and secrets kept out of logs and answers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.local_issuer import LocalIssuer
from shared.auth import check_identity
from shared.errors import BadRequestError
from shared.state.keys import KeyTooLongError, escape_key, unescape_key
from tests.tokens.conftest import BACKEND_KEY, AcsAdmin, TokenApp, backend, bearer, body_of, error_of


@pytest.fixture
def acs_faults(acs_admin: AcsAdmin) -> Iterator[AcsAdmin]:
    """The stand-in's fault rules, cleared again after the test (the stand-in is shared)."""
    yield acs_admin
    acs_admin.session.put(f"{acs_admin.base}/faults", json={"rules": []}, verify=acs_admin.verify, timeout=30)


def test_acs_refusing_to_issue_is_a_503_not_a_500(
    token_app: TokenApp, issuer: LocalIssuer, acs_faults: AcsAdmin
) -> None:
    headers = bearer(issuer.token("acs-down"))
    assert token_app.token(headers=headers).status_code == 200
    rule = "status:code=429,retry_after=none,ops=CommunicationIdentity_IssueAccessToken"
    acs_faults.session.put(f"{acs_faults.base}/faults", json={"spec": rule}, verify=acs_faults.verify,
                           timeout=30).raise_for_status()
    response = token_app.token(headers=headers)
    assert response.status_code == 503
    assert "try again" in error_of(response)["message"]


def test_an_acs_user_deleted_behind_the_maps_back_is_a_409_naming_the_way_out(
    token_app: TokenApp, issuer: LocalIssuer, token_environ: dict[str, str]
) -> None:
    headers = bearer(issuer.token("orphaned"))
    acs_user = body_of(token_app.token(headers=headers))["communicationUserId"]
    CommunicationIdentityClient.from_connection_string(
        token_environ["ACS_CONNECTION_STRING"], connection_verify=token_environ["ACS_CA_BUNDLE"]
    ).delete_user(CommunicationUserIdentifier(acs_user))
    response = token_app.token(headers=headers)
    assert response.status_code == 409
    assert "DELETE /api/users/" in error_of(response)["message"]
    assert token_app.delete("orphaned", headers=backend()).status_code == 204
    assert body_of(token_app.token(headers=headers))["communicationUserId"] != acs_user


def test_credentials_never_reach_logs_or_answers(
    token_app: TokenApp, issuer: LocalIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    jwt = issuer.token("secretive", audience="api://other")
    wrong_key = BACKEND_KEY[:-4] + "zzzz"
    answers = [
        token_app.token(headers=bearer(jwt)),
        token_app.token(headers=backend(wrong_key), body={"identity": "x"}),
        token_app.token(params={"code": wrong_key, "identity": "x"}, method="GET"),
    ]
    good = token_app.token(headers=backend(), body={"identity": "secretive"})
    acs_token = body_of(good)["token"]
    for response in answers:
        assert response.status_code == 401
        text = response.get_body().decode()
        assert jwt not in text
        assert wrong_key not in text
    for secret in (jwt, jwt.split(".")[2], wrong_key, BACKEND_KEY, acs_token):
        assert secret not in caplog.text


def _stored_bytes(identity: str) -> int:
    """UTF-16 bytes of the identity's forward key ``i:<escaped>``: an escaped character is ``~XXXX``."""
    escaped = sum(5 if c in "/\\#?~" or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
                  or ord(c) in (0xFFFE, 0xFFFF) else len(c.encode("utf-16-le", "surrogatepass")) // 2
                  for c in identity)
    return 2 * (2 + escaped)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
@example("\U0001F600" * 256)  # 1024 bytes alone; 1028 with the key's prefix
@example("/" * 200)  # escaped to 1000 characters
@example("a" * 256)
def test_every_identity_is_accepted_unchanged_or_refused_with_a_400(value: str) -> None:
    refused: BadRequestError | None = None
    try:
        accepted = check_identity(value)
    except BadRequestError as error:
        refused = error
    if refused is not None:
        assert value not in refused.message or len(value) < 2
        return
    assert accepted == value
    assert 0 < len(value) <= 256
    if _stored_bytes(accepted) > 1024:
        with pytest.raises(KeyTooLongError):  # the trigger answers 400 naming the problem
            escape_key(accepted, what="identity", prefix="i:")
    else:
        assert unescape_key(escape_key(accepted, what="identity", prefix="i:")[2:]) == accepted

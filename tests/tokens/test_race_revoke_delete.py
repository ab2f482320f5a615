"""One ACS user per identity under 50 concurrent first requests; revoke and delete through the real SDKs."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from azure.communication.chat import ChatClient, CommunicationTokenCredential
from azure.communication.identity import CommunicationIdentityClient, CommunicationUserIdentifier
from azure.core.exceptions import ClientAuthenticationError, ResourceNotFoundError

from harness.local_issuer import LocalIssuer
from tests.tokens.conftest import (
    AcsAdmin,
    TokenApp,
    backend,
    bearer,
    body_of,
    build_app,
    error_of,
    identity_counts,
)


def chat_works(environ: dict[str, str], token: str) -> bool:
    """True when the chat SDK, holding ``token``, may create a thread; False on 401."""
    client = ChatClient(environ_endpoint(environ), CommunicationTokenCredential(token),
                        connection_verify=environ["ACS_CA_BUNDLE"])
    try:
        client.create_chat_thread("token service test")  # type: ignore[misc]  # the SDK's own annotation
    except ClientAuthenticationError:
        return False
    return True


def environ_endpoint(environ: dict[str, str]) -> str:
    return environ["ACS_CONNECTION_STRING"].split(";")[0].removeprefix("endpoint=").rstrip("/")


def test_fifty_concurrent_first_requests_end_with_one_acs_user(
    token_environ: dict[str, str], acs_admin: AcsAdmin, issuer: LocalIssuer
) -> None:
    identity = f"race-{uuid.uuid4().hex[:8]}@example.com"
    instances = [build_app(token_environ) for _ in range(5)]  # five app instances sharing one identity table
    users_before = acs_admin.user_ids()
    counts_before = identity_counts(acs_admin)
    start = threading.Barrier(50)
    jwt = issuer.token(identity)

    def first_request(n: int) -> str:
        app = instances[n % len(instances)]
        start.wait()
        response = app.token(headers=bearer(jwt))
        assert response.status_code == 200, response.get_body()
        return str(body_of(response)["communicationUserId"])

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(first_request, range(50)))

    winner = instances[0].container.identity_map.get_identity(identity).acs_user_id
    assert set(answers) == {winner}
    assert acs_admin.user_ids() - users_before == {winner}
    counts = identity_counts(acs_admin)
    created = counts["created"] - counts_before["created"]
    deleted = counts["deleted"] - counts_before["deleted"]
    assert created > 1, "the requests did not race; the test proves nothing"
    assert deleted == created - 1  # every loser deleted the ACS user it created
    assert instances[0].container.identity_map.get_identity_for_acs_user(winner).identity == identity


def test_revoke_makes_earlier_tokens_fail_on_a_chat_call(
    token_app: TokenApp, token_environ: dict[str, str], issuer: LocalIssuer
) -> None:
    headers = bearer(issuer.token("revoke-me"))
    old = body_of(token_app.token(headers=headers))["token"]
    assert chat_works(token_environ, old)
    response = token_app.revoke(headers=headers)
    assert response.status_code == 200
    assert body_of(response) == {
        "communicationUserId": token_app.container.identity_map.get_identity("revoke-me").acs_user_id, "revoked": True
    }
    assert not chat_works(token_environ, old)
    fresh = body_of(token_app.token(headers=headers))["token"]
    assert chat_works(token_environ, fresh)


def test_the_backend_revokes_any_identity_and_users_only_their_own(
    token_app: TokenApp, issuer: LocalIssuer, token_environ: dict[str, str]
) -> None:
    token = body_of(token_app.token(headers=backend(), body={"identity": "revoked-by-backend"}))["token"]
    other = token_app.revoke(headers=bearer(issuer.token("someone")), body={"identity": "revoked-by-backend"})
    assert other.status_code == 403
    assert chat_works(token_environ, token)
    assert token_app.revoke(headers=backend(), body={"identity": "revoked-by-backend"}).status_code == 200
    assert not chat_works(token_environ, token)


def test_revoking_an_identity_that_never_got_a_token_is_404(token_app: TokenApp) -> None:
    response = token_app.revoke(headers=backend(), body={"identity": "never-seen"})
    assert response.status_code == 404
    assert error_of(response)["target"] == "identity"
    assert token_app.revoke(headers={}).status_code == 401


def test_delete_removes_the_mapping_then_the_acs_user_and_is_idempotent(
    token_app: TokenApp, token_environ: dict[str, str], acs_admin: AcsAdmin, issuer: LocalIssuer
) -> None:
    first = body_of(token_app.token(headers=bearer(issuer.token("erase-me"))))
    acs_user = first["communicationUserId"]
    assert acs_user in acs_admin.user_ids()

    assert token_app.delete("erase-me", headers=backend()).status_code == 204
    assert token_app.container.identity_map.find_identity("erase-me") is None
    assert acs_user not in acs_admin.user_ids()
    identity_client = CommunicationIdentityClient.from_connection_string(
        token_environ["ACS_CONNECTION_STRING"], connection_verify=token_environ["ACS_CA_BUNDLE"]
    )
    with pytest.raises(ResourceNotFoundError):
        identity_client.get_token(CommunicationUserIdentifier(acs_user), ["chat"])
    assert not chat_works(token_environ, first["token"])

    again = token_app.delete("erase-me", headers=backend())
    assert again.status_code == 204
    never = token_app.delete("never-existed", headers=backend())
    assert never.status_code == 204

    # signing in again after erasure starts over with a new ACS user
    second = body_of(token_app.token(headers=bearer(issuer.token("erase-me"))))
    assert second["communicationUserId"] != acs_user


def test_only_the_backend_may_delete_users(token_app: TokenApp, issuer: LocalIssuer) -> None:
    body_of(token_app.token(headers=bearer(issuer.token("keep-me"))))
    by_user = token_app.delete("keep-me", headers=bearer(issuer.token("keep-me")))
    assert by_user.status_code == 403
    assert token_app.delete("keep-me", headers={}).status_code == 401
    assert token_app.delete("keep-me", headers=backend("wrong-key")).status_code == 401
    assert token_app.container.identity_map.find_identity("keep-me") is not None
    bad = token_app.delete("bad\u0007identity", headers=backend())
    assert bad.status_code == 400

"""The token path's in-process identity cache never serves an erased identity or a revoked token.

Two app instances share one identity table and one ACS resource, as two Functions
instances do: each has its own cache, so an erase or revoke through one is what the
other's cache could go stale on.
"""

from __future__ import annotations

import uuid

from harness.local_issuer import LocalIssuer
from tests.tokens.conftest import AcsAdmin, backend, bearer, body_of, build_app
from tests.tokens.test_race_revoke_delete import chat_works


def test_an_identity_erased_through_another_instance_gets_a_new_acs_user(
    token_environ: dict[str, str], acs_admin: AcsAdmin, issuer: LocalIssuer
) -> None:
    identity = f"cache-{uuid.uuid4().hex[:8]}@example.com"
    first, second = build_app(token_environ), build_app(token_environ)
    jwt = issuer.token(identity)
    issued = first.token(headers=bearer(jwt))
    assert issued.status_code == 200
    old_user = str(body_of(issued)["communicationUserId"])
    assert first.token(headers=bearer(jwt)).status_code == 200  # the mapping is now cached in ``first``

    assert second.delete(identity, headers=backend()).status_code == 204
    assert old_user not in acs_admin.user_ids()

    again = first.token(headers=bearer(jwt))
    assert again.status_code == 200
    new_user = str(body_of(again)["communicationUserId"])
    assert new_user != old_user  # never the erased user from the cache
    assert new_user in acs_admin.user_ids()
    assert chat_works(token_environ, str(body_of(again)["token"])) is True


def test_an_identity_erased_through_the_same_instance_is_dropped_from_its_cache(
    token_environ: dict[str, str], acs_admin: AcsAdmin, issuer: LocalIssuer
) -> None:
    identity = f"cache-{uuid.uuid4().hex[:8]}@example.com"
    app = build_app(token_environ)
    jwt = issuer.token(identity)
    old_user = str(body_of(app.token(headers=bearer(jwt)))["communicationUserId"])
    assert app.delete(identity, headers=backend()).status_code == 204
    again = app.token(headers=bearer(jwt))
    assert again.status_code == 200
    assert str(body_of(again)["communicationUserId"]) not in (old_user, "")


def test_a_revoke_through_another_instance_is_not_undone_by_the_cache(
    token_environ: dict[str, str], issuer: LocalIssuer
) -> None:
    identity = f"cache-{uuid.uuid4().hex[:8]}@example.com"
    first, second = build_app(token_environ), build_app(token_environ)
    jwt = issuer.token(identity)
    before = body_of(first.token(headers=bearer(jwt)))
    assert second.revoke(headers=bearer(jwt)).status_code in (200, 204)
    after = body_of(first.token(headers=bearer(jwt)))
    assert after["communicationUserId"] == before["communicationUserId"]  # revoking keeps the user
    assert after["token"] != before["token"]  # a fresh token, not a cached one
    assert chat_works(token_environ, str(before["token"])) is False
    assert chat_works(token_environ, str(after["token"])) is True

"""Regressions of issue 17's findings on the token routes: long identities leak no ACS user (4), every identity
a token can be issued for can be erased (8), and users act only for identities of their own kind (9)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from harness.local_issuer import LocalIssuer
from shared import acs_clients
from shared.acs_users import AcsUserService
from shared.state import IdentityMapping, IdentityMapStore
from tests.tokens.conftest import AcsAdmin, TokenApp, backend, bearer, body_of, error_of, identity_counts

NEAR_LIMIT = "\U0001F600" * 256  # 256 characters, 1024 bytes of UTF-16: fits alone, not with the key's prefix


def test_an_identity_too_long_for_its_key_is_a_400_and_creates_no_acs_user(
    token_app: TokenApp, acs_admin: AcsAdmin
) -> None:
    users_before = acs_admin.user_ids()
    counts_before = identity_counts(acs_admin)
    for _ in range(5):
        response = token_app.token(headers=backend(), body={"identity": NEAR_LIMIT})
        assert response.status_code == 400, response.get_body()
        assert error_of(response) == {"code": "BadRequest",
                                      "message": "The identity is too long to store (at most 1024 bytes once escaped)."}
    assert identity_counts(acs_admin) == counts_before  # refused before any ACS user was made
    assert acs_admin.user_ids() == users_before
    assert list(token_app.container.identity_map.list_identities()) == []


class _RefusingStore(IdentityMapStore):
    """Table Storage refusing the mapping (a full table, a throttled account): the row is never written."""

    def create_identity(self, mapping: IdentityMapping) -> IdentityMapping:
        raise HttpResponseError(message="storage refused the row")


def test_the_new_acs_user_is_deleted_whenever_its_mapping_cannot_be_stored(
    token_app: TokenApp, acs_admin: AcsAdmin
) -> None:
    settings = token_app.container.settings
    service = AcsUserService(
        store=_RefusingStore(token_app.container.storage.tables, settings.names.identity_table),
        client=acs_clients.identity_client(settings.acs),
    )
    users_before = acs_admin.user_ids()
    counts_before = identity_counts(acs_admin)
    for _ in range(5):
        with pytest.raises(HttpResponseError):
            service.ensure_user("refused-by-storage")
    counts = identity_counts(acs_admin)
    assert counts["created"] - counts_before["created"] == 5
    assert counts["deleted"] - counts_before["deleted"] == 5
    assert acs_admin.user_ids() == users_before


@pytest.mark.parametrize("identity", ["a/b", "a%2Fb", "a%252Fb", "o'brien/x", "\\\\server\\share", "x?y#z"])
def test_every_identity_a_token_was_issued_for_can_be_erased_by_the_body_form(
    token_app: TokenApp, acs_admin: AcsAdmin, identity: str
) -> None:
    issued = token_app.token(headers=backend(), body={"identity": identity})
    assert issued.status_code == 200, issued.get_body()
    acs_user = body_of(issued)["communicationUserId"]
    erased = token_app.call("user_erase", "POST", "/api/users/erase", headers=backend(),
                            body={"identity": identity})
    assert erased.status_code == 204, erased.get_body()
    assert token_app.container.identity_map.find_identity(identity) is None
    assert acs_user not in acs_admin.user_ids()
    again = token_app.call("user_erase", "POST", "/api/users/erase", headers=backend(), body={"identity": identity})
    assert again.status_code == 204  # idempotent, like DELETE


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "BadRequest"),
        ({"identity": ""}, 400, "BadRequest"),
        ({"identity": 5}, 400, "BadRequest"),
        ({"identity": "a", "extra": 1}, 400, "BadRequest"),
        ({"identity": NEAR_LIMIT}, 400, "BadRequest"),
    ],
)
def test_the_erase_form_refuses_bad_bodies_exactly(
    token_app: TokenApp, body: dict[str, Any], status: int, code: str
) -> None:
    response = token_app.call("user_erase", "POST", "/api/users/erase", headers=backend(), body=body)
    assert response.status_code == status
    assert error_of(response)["code"] == code


def test_a_user_cannot_erase_through_the_body_form(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.call("user_erase", "POST", "/api/users/erase", headers=bearer(issuer.token("eve")),
                              body={"identity": "eve"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "Forbidden"


@pytest.mark.parametrize("claim", ["sms:+15551230001", "whatsapp:+15551230002", "SMS:+15551230003"])
def test_a_user_whose_claim_names_a_migrated_participant_gets_nothing(
    token_app: TokenApp, issuer: LocalIssuer, acs_admin: AcsAdmin, claim: str
) -> None:
    migrated = token_app.container.acs_users.ensure_user(claim.lower(), kind=claim.split(":")[0].lower())
    users_before = acs_admin.user_ids()
    for route in ("token", "token_revoke"):
        path = "/api/token" if route == "token" else "/api/token/revoke"
        response = token_app.call(route, "POST", path, headers=bearer(issuer.token(claim)), body={})
        assert response.status_code == 403, response.get_body()
        assert error_of(response)["code"] == "IdentityKindForbidden"
        assert migrated.acs_user_id not in response.get_body().decode()
    assert acs_admin.user_ids() == users_before
    # the backend still acts for them (the export and the team's own tools)
    granted = token_app.token(headers=backend(), body={"identity": claim.lower()})
    assert body_of(granted)["communicationUserId"] == migrated.acs_user_id


def test_a_user_cannot_claim_the_migrations_own_identity(
    token_app: TokenApp, issuer: LocalIssuer
) -> None:
    app_user = token_app.container.acs_users.ensure_user("twilio-migration", kind="app")
    response = token_app.token(headers=bearer(issuer.token("twilio-migration")))
    assert response.status_code == 403
    assert error_of(response)["code"] == "IdentityKindForbidden"
    assert app_user.acs_user_id not in response.get_body().decode()

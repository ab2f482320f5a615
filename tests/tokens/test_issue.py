"""Issuing tokens: the response shapes, the shared identity map, GET for simple clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from azure.communication.identity import CommunicationIdentityClient

from harness.local_issuer import LocalIssuer
from shared.state import IdentityMapping
from tests.tokens.conftest import TokenApp, backend, bearer, body_of


def test_a_signed_in_user_gets_an_acs_token_for_themselves(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("alice@example.com")))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = body_of(response)
    assert set(data) == {"token", "expiresOn", "communicationUserId", "endpoint", "identity"}
    assert data["identity"] == "alice@example.com"
    assert data["communicationUserId"].startswith("8:acs:")
    assert data["endpoint"] == token_app.container.settings.acs.endpoint
    expires = datetime.fromisoformat(data["expiresOn"].replace("Z", "+00:00"))
    # the default lifetime (TOKEN_DEFAULT_EXPIRES_IN_MINUTES, 60) within a generous margin
    assert timedelta(minutes=55) < expires - datetime.now(UTC) <= timedelta(minutes=61)
    mapping = token_app.container.identity_map.get_identity("alice@example.com")
    assert mapping.acs_user_id == data["communicationUserId"]


def test_later_requests_reuse_the_mapping(token_app: TokenApp, issuer: LocalIssuer) -> None:
    first = body_of(token_app.token(headers=bearer(issuer.token("bob"))))
    second = body_of(token_app.token(headers=bearer(issuer.token("bob")), body={"expiresInMinutes": 1440}))
    assert first["communicationUserId"] == second["communicationUserId"]
    assert first["token"] != second["token"] or first["expiresOn"] != second["expiresOn"]


def test_a_migrated_author_signing_in_gets_the_acs_user_that_authored_their_history(
    token_app: TokenApp, issuer: LocalIssuer, token_environ: dict[str, str]
) -> None:
    # the export engine mapped this Twilio identity when it copied their messages
    identity_client = CommunicationIdentityClient.from_connection_string(
        token_environ["ACS_CONNECTION_STRING"], connection_verify=token_environ["ACS_CA_BUNDLE"]
    )
    author = identity_client.create_user().properties["id"]
    token_app.container.identity_map.create_identity(IdentityMapping("carol@example.com", author, kind="chat"))
    data = body_of(token_app.token(headers=bearer(issuer.token("carol@example.com"))))
    assert data["communicationUserId"] == author


def test_format_twilio_answers_the_shape_twilio_starter_apps_read(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("dave")), params={"format": "twilio"})
    assert response.status_code == 200
    data = body_of(response)
    assert set(data) == {"identity", "token"}
    assert data["identity"] == "dave"
    assert data["token"].count(".") == 2


def test_format_text_answers_the_bare_token(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(headers=bearer(issuer.token("erin")), params={"format": "text"}, method="GET")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_body().decode().count(".") == 2


def test_get_serves_simple_clients_with_query_options(token_app: TokenApp, issuer: LocalIssuer) -> None:
    response = token_app.token(
        method="GET", headers=backend(), params={"identity": "frank", "scopes": "chat,voip", "expiresInMinutes": "120"}
    )
    assert response.status_code == 200, response.get_body()
    data = body_of(response)
    assert data["identity"] == "frank"
    expires = datetime.fromisoformat(data["expiresOn"].replace("Z", "+00:00"))
    assert timedelta(minutes=115) < expires - datetime.now(UTC) <= timedelta(minutes=121)

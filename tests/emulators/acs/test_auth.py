"""HMAC refusal, user-token refusal, scopes and chat permissions, as the service answers them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from azure.communication.chat import ChatParticipant
from azure.communication.identity import CommunicationIdentityClient, CommunicationTokenScope
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from .conftest import Acs
from .wire import bearer, hmac_headers, rfc1123, signed

API = "?api-version=2023-10-01"
CHAT = "?api-version=2024-03-07"


def test_wrong_access_key_is_refused_by_the_sdk(acs: Acs) -> None:
    wrong = base64.b64encode(b"not-the-key" * 4).decode()
    conn = acs.connection_string.split(";accesskey=")[0] + ";accesskey=" + wrong
    with pytest.raises(ClientAuthenticationError):
        CommunicationIdentityClient.from_connection_string(conn).create_user()


def test_correct_signature_is_accepted(acs: Acs) -> None:
    response = signed(acs, "POST", "/identities" + API, {"createTokenWithScopes": ["chat"]})
    assert response.status_code == 201
    assert set(response.json()) == {"identity", "accessToken"}


def test_tampered_body_is_refused(acs: Acs) -> None:
    body = json.dumps({"createTokenWithScopes": ["chat"]}).encode()
    headers = hmac_headers(acs, "POST", "/identities" + API, body)
    tampered = json.dumps({"createTokenWithScopes": ["voip"]}).encode()
    import requests

    response = requests.post(
        acs.endpoint + "/identities" + API, data=tampered, headers=headers, verify=acs.bundle, timeout=30
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "Unauthorized"


def test_tampered_content_hash_and_path_are_refused(acs: Acs) -> None:
    import requests

    body = b""
    headers = hmac_headers(acs, "POST", "/identities" + API, body)
    headers["x-ms-content-sha256"] = headers["x-ms-content-sha256"][:-4] + "AAA="
    assert (
        requests.post(
            acs.endpoint + "/identities" + API, data=body, headers=headers, verify=acs.bundle, timeout=30
        ).status_code
        == 401
    )
    headers = hmac_headers(acs, "POST", "/identities" + API, body)
    other = "/identities?api-version=2022-10-01"
    assert (
        requests.post(acs.endpoint + other, data=body, headers=headers, verify=acs.bundle, timeout=30).status_code
        == 401
    )


@pytest.mark.parametrize("skew", [timedelta(minutes=-16), timedelta(minutes=16)])
def test_stale_or_future_date_is_refused(acs: Acs, skew: timedelta) -> None:
    response = signed(acs, "POST", "/identities" + API, None, date=rfc1123(datetime.now(UTC) + skew))
    assert response.status_code == 401


def test_missing_authorization_is_refused(acs: Acs) -> None:
    import requests

    response = requests.post(acs.endpoint + "/identities" + API, verify=acs.bundle, timeout=30)
    assert response.status_code == 401


def _token(acs: Acs, **body: object) -> dict[str, str]:
    return acs.admin("POST", "/tokens", json=body)


def test_expired_token_is_refused(acs: Acs) -> None:
    minted = _token(acs, expiresInSeconds=-5)
    with pytest.raises(ClientAuthenticationError):
        acs.chat(minted["token"]).create_chat_thread("expired")


def test_revoked_tokens_stop_working_and_new_ones_work(acs: Acs) -> None:
    user, token = acs.user()
    chat = acs.chat(token)
    chat.create_chat_thread("before revoke")
    acs.identity().revoke_tokens(user)
    with pytest.raises(ClientAuthenticationError):
        chat.create_chat_thread("after revoke")
    fresh = acs.identity().get_token(user, [CommunicationTokenScope.CHAT])
    assert acs.chat(fresh.token).create_chat_thread("fresh token").chat_thread.id


def test_deleted_user_token_is_refused(acs: Acs) -> None:
    user, token = acs.user()
    acs.identity().delete_user(user)
    with pytest.raises(ClientAuthenticationError):
        list(acs.chat(token).list_chat_threads())


def test_voip_only_token_is_refused_for_chat(acs: Acs) -> None:
    _, token = acs.user(["voip"])
    with pytest.raises(ClientAuthenticationError):
        acs.chat(token).create_chat_thread("voip")


def test_forged_token_is_refused(acs: Acs) -> None:
    _, token = acs.user()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.b64decode(payload + "=="))
    claims["exp"] += 3600
    forged_payload = base64.b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    response = bearer(acs, f"{header}.{forged_payload}.{signature}", "GET", "/chat/threads" + CHAT)
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "Unauthorized", "message": "Request is not authorized."}}
    assert bearer(acs, "not-a-jwt", "GET", "/chat/threads" + CHAT).status_code == 401


def test_token_claims_match_the_real_service(acs: Acs) -> None:
    user, token = acs.user(["chat", "voip"])
    payload = token.split(".")[1]
    assert "-" not in payload
    assert "_" not in payload
    claims = json.loads(base64.b64decode(payload + "=="))
    assert {"skypeid", "scp", "acsScope", "exp", "resourceId", "iat"} <= set(claims)
    assert "8:" + claims["skypeid"] == user.properties["id"]
    assert claims["acsScope"] == "chat,voip"
    assert claims["resourceId"] == acs.info["resource_id"]


def test_join_scopes_cannot_manage_threads(acs: Acs) -> None:
    _owner, owner_token = acs.user()
    joiner, join_token = acs.user(["chat.join"])
    limited, limited_token = acs.user(["chat.join.limited"])
    extra, _ = acs.user()
    with pytest.raises(HttpResponseError) as caught:
        acs.chat(join_token).create_chat_thread("not allowed")
    assert caught.value.status_code == 403
    thread_id = (
        acs.chat(owner_token)
        .create_chat_thread(
            "managed", thread_participants=[ChatParticipant(identifier=joiner), ChatParticipant(identifier=limited)]
        )
        .chat_thread.id
    )
    join_client = acs.chat(join_token).get_chat_thread_client(thread_id)
    join_client.send_message("a join-scoped user can write")
    join_client.add_participants([ChatParticipant(identifier=extra)])
    with pytest.raises(HttpResponseError):
        join_client.update_topic("no")
    limited_client = acs.chat(limited_token).get_chat_thread_client(thread_id)
    limited_client.send_message("so can a limited one")
    with pytest.raises(HttpResponseError) as caught:
        limited_client.remove_participant(extra)
    assert caught.value.status_code == 403
    limited_client.remove_participant(limited)  # leaving is always allowed


def test_only_participants_read_or_write_and_only_the_sender_edits(acs: Acs) -> None:
    _owner, owner_token = acs.user()
    member, member_token = acs.user()
    _, outsider_token = acs.user()
    thread_id = (
        acs.chat(owner_token)
        .create_chat_thread("private", thread_participants=[ChatParticipant(identifier=member)])
        .chat_thread.id
    )
    owner_client = acs.chat(owner_token).get_chat_thread_client(thread_id)
    mine = owner_client.send_message("owner's").id
    outsider = acs.chat(outsider_token).get_chat_thread_client(thread_id)
    for call in (outsider.get_properties, lambda: outsider.send_message("x"), lambda: list(outsider.list_messages())):
        with pytest.raises(HttpResponseError) as caught:
            call()
        assert caught.value.status_code == 403
    member_client = acs.chat(member_token).get_chat_thread_client(thread_id)
    with pytest.raises(HttpResponseError) as caught:
        member_client.update_message(mine, content="hijack")
    assert caught.value.status_code == 403
    with pytest.raises(HttpResponseError) as caught:
        member_client.delete_message(mine)
    assert caught.value.status_code == 403
    assert owner_client.get_message(mine).content.message == "owner's"


def test_unknown_thread_is_404_with_the_recorded_body(acs: Acs) -> None:
    _, token = acs.user()
    response = bearer(acs, token, "GET", "/chat/threads/19:nope@thread.v2/participants" + CHAT)
    assert response.status_code == 404
    assert response.json()["CommunicationError"] == {"Code": "NotFound", "Details": []}


def test_message_over_28_kb_is_refused(acs: Acs) -> None:
    _, token = acs.user()
    client = acs.chat(token).get_chat_thread_client(acs.chat(token).create_chat_thread("big").chat_thread.id)
    client.send_message("x" * (28 * 1024))
    with pytest.raises(HttpResponseError) as caught:
        client.send_message("x" * (28 * 1024 + 1))
    assert caught.value.status_code == 400
    assert "Message size exceeded." in str(caught.value)

"""HTTP Basic with Account SID + Auth Token or API Key + secret; Twilio's 401 body otherwise."""

from __future__ import annotations

import httpx
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient

from .standin import StandIn


def test_wrong_token_gets_twilios_401_on_fetch_and_list(twilio: StandIn) -> None:
    bad = twilio.client(password="not-the-token")
    with pytest.raises(TwilioRestException) as err:
        bad.conversations.v1.conversations("CH" + "0" * 32).fetch()
    assert err.value.status == 401
    assert err.value.code == 20003
    with pytest.raises(TwilioException) as listed:
        bad.conversations.v1.conversations.list()
    response = listed.value.args[1]
    assert response.status_code == 401
    body = httpx.Response(401, content=response.text).json()
    assert body["code"] == 20003
    assert body["status"] == 401
    assert body["more_info"] == "https://www.twilio.com/docs/errors/20003"


def test_missing_and_bearer_credentials(twilio: StandIn) -> None:
    anonymous = httpx.get(f"{twilio.url}/v1/Conversations")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    bearer = httpx.get(f"{twilio.url}/v1/Services", headers={"Authorization": "Bearer abc"})
    assert bearer.status_code == 401
    assert bearer.json()["code"] == 20003
    wrong_sid = httpx.get(f"{twilio.url}/v1/Services", auth=("AC" + "f" * 32, twilio.auth_token))
    assert wrong_sid.status_code == 401


def test_api_key_auth_sync_and_admin_created_key(twilio: StandIn) -> None:
    keyed = twilio.client(twilio.api_key_sid, twilio.api_key_secret, account_sid=twilio.account_sid)
    conv = keyed.conversations.v1.conversations.create(friendly_name="via api key")
    assert conv.account_sid == twilio.account_sid
    new_key = twilio.admin("POST", "api-keys")
    other = twilio.client(new_key["sid"], new_key["secret"], account_sid=twilio.account_sid)
    assert other.conversations.v1.conversations(conv.sid).fetch().sid == conv.sid
    wrong = twilio.client(new_key["sid"], "bad-secret", account_sid=twilio.account_sid)
    with pytest.raises(TwilioRestException) as err:
        wrong.conversations.v1.conversations(conv.sid).fetch()
    assert err.value.status == 401
    # API keys cannot drive the admin routes.
    assert httpx.get(f"{twilio.url}/_admin/counters", auth=(new_key["sid"], new_key["secret"])).status_code == 401


@pytest.mark.asyncio
async def test_api_key_auth_async(twilio: StandIn) -> None:
    async with AsyncTwilioHttpClient() as http:
        client = twilio.async_client(http, twilio.api_key_sid, twilio.api_key_secret, account_sid=twilio.account_sid)
        conv = await client.conversations.v1.conversations.create_async(friendly_name="async key")
        assert (await client.conversations.v1.conversations(conv.sid).fetch_async()).sid == conv.sid
        bad = twilio.async_client(http, twilio.api_key_sid, "wrong", account_sid=twilio.account_sid)
        with pytest.raises(TwilioException):
            await bad.conversations.v1.conversations.list_async()


def test_unknown_route_is_twilio_404_and_405(twilio: StandIn) -> None:
    with httpx.Client(auth=(twilio.account_sid, twilio.auth_token)) as http:
        missing = http.get(f"{twilio.url}/v1/Nope")
        assert missing.status_code == 404
        assert missing.json()["code"] == 20404
        wrong_method = http.put(f"{twilio.url}/v1/Conversations")
        assert wrong_method.status_code == 405
        assert wrong_method.json()["status"] == 405

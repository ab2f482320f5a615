"""Properties of the pure parts: tokens the SDK always parses, HMAC verify, time formats."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from azure.communication.chat import CommunicationTokenCredential
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.acs.formats import identity_time, parse_time, rest_time
from emulators.acs.hmac_auth import SignatureError, content_hash, sign, string_to_sign, verify
from emulators.acs.tokens import SCOPES, TokenError, TokenMinter

USER_CHARS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(
    opaque=USER_CHARS,
    scopes=st.lists(st.sampled_from(SCOPES), min_size=1, max_size=5, unique=True),
    seed=st.integers(0, 2**32),
    lifetime=st.integers(60, 86400),
)
def test_minted_tokens_always_parse_in_the_sdk_and_verify(
    opaque: str, scopes: list[str], seed: int, lifetime: int
) -> None:
    minter = TokenMinter(b"k" * 32, "00000000-1111-2222-3333-444444444444", random.Random(seed))
    now = 1_800_000_000
    user = f"8:acs:00000000-1111-2222-3333-444444444444_{opaque}"
    token = minter.mint(user, scopes, now, now + lifetime)
    payload = token.split(".")[1]
    assert "-" not in payload
    assert "_" not in payload
    assert CommunicationTokenCredential(token).get_token().expires_on == now + lifetime
    claims = minter.verify(token, now)
    assert claims.user_id == user
    assert claims.scopes == tuple(scopes)
    with pytest.raises(TokenError):
        minter.verify(token, now + lifetime)
    other = TokenMinter(b"x" * 32, "00000000-1111-2222-3333-444444444444", random.Random(seed))
    with pytest.raises(TokenError):
        other.verify(token, now)


@settings(max_examples=100, deadline=None)
@given(
    body=st.binary(max_size=512),
    path=st.from_regex(r"/identities(/[a-z0-9:%]{1,20})?\?api-version=2023-10-01", fullmatch=True),
)
def test_hmac_accepts_its_own_signature_and_refuses_any_change(body: bytes, path: str) -> None:
    key = b"0123456789abcdef" * 4
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    date = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    hashed = content_hash(body)
    signature = sign(key, string_to_sign("POST", path, date, "localhost:4000", hashed))
    headers = {
        "x-ms-date": date,
        "x-ms-content-sha256": hashed,
        "Host": "localhost:4000",
        "Authorization": f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}",
    }
    verify(key, "POST", path, headers, body, now=now)
    for method, changed_path, changed_body, changed_key in (
        ("DELETE", path, body, key),
        ("POST", path + "&x=1", body, key),
        ("POST", path, body + b"!", key),
        ("POST", path, body, key[::-1]),
    ):
        with pytest.raises(SignatureError):
            verify(changed_key, method, changed_path, headers, changed_body, now=now)
    with pytest.raises(SignatureError):
        verify(key, "POST", path, headers, body, now=now + timedelta(minutes=16))


def test_wire_time_formats() -> None:
    moment = datetime(2024, 2, 16, 23, 46, 37, 123456, tzinfo=UTC)
    assert rest_time(moment) == "2024-02-16T23:46:37Z"
    assert identity_time(moment) == "2024-02-16T23:46:37.1234560+00:00"
    assert parse_time("2023-10-20T12:47:38.5076575+00:00") == datetime(2023, 10, 20, 12, 47, 38, 507657, tzinfo=UTC)
    assert parse_time("2020-01-01T00:00:00.000Z") == datetime(2020, 1, 1, tzinfo=UTC)

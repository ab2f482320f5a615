"""The hostile-input catalogue: every HTTP route, every way a client can get a request wrong or malicious.

Each ``Case`` is one request with its one expected answer: the exact status and, for the app's own
JSON errors, the exact error code (``code=None`` where the host itself answers, or for a bodiless
success such as an idempotent erase of nobody). The suite sends every case through the host
stand-in and also checks that nothing was written and that no answer is a 5xx. Cases aimed at the
store carry the credential that lets them reach it (the backend key, a function key, a user allowed
``voip``), so they cannot pass by being refused earlier for another reason.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from twilio.request_validator import RequestValidator

# Auth is filled in at run time (tokens need the live issuer); a case names which credential it carries.
USER, BACKEND, FUNCTION, NONE = "user", "backend", "function", "none"
Answer = tuple[int, str | None]

BAD: Answer = (400, "BadRequest")
TOO_LARGE: Answer = (413, "PayloadTooLarge")
MEDIA_TYPE: Answer = (415, "UnsupportedMediaType")
FORBIDDEN: Answer = (403, "Forbidden")
NO_CREDENTIALS: Answer = (401, "InvalidCredentials")
BAD_TOKEN: Answer = (401, "InvalidToken")
HOST_NO_KEY: Answer = (401, None)  # the host refuses a function-key route before the app sees it
HOST_NO_ROUTE: Answer = (404, None)  # an encoded slash splits the path: no route matches
UNSAFE: Answer = (400, "UnsafeTarget")
KIND: Answer = (403, "IdentityKindForbidden")
ERASED: Answer = (204, None)  # erasing an identity that has nothing: idempotent, and it writes nothing


@dataclass(frozen=True)
class Case:
    route: str  # the function name the request is aimed at
    what: str
    method: str
    path: str
    auth: str = NONE
    body: bytes | None = None
    expect: Answer = BAD
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    raw_auth: Callable[[Any], dict[str, str]] | None = None  # custom credential (forged tokens)
    sign_twilio: str | None = None  # "valid", "valid-other-url", "wrong-token", "other-body", "attacker-host"
    user: str = "alice"  # the subject of the USER credential

    @property
    def id(self) -> str:
        return f"{self.route}: {self.what}"


BIG = 1024 * 1024 + 1
# Raw JSON bodies that no route may answer with a 500.
MALFORMED_JSON: list[tuple[str, bytes]] = [
    ("truncated object", b'{"a":'),
    ("unclosed array", b"[1, 2"),
    ("bare word", b"nul"),
    ("trailing garbage", b'{"a": 1} garbage'),
    ("invalid UTF-8", b'{"a": "\xff\xfe"}'),
    ("UTF-8 BOM", b'\xef\xbb\xbf{}'),
    ("nested 100000 deep", b"[" * 100000 + b"]" * 100000),
    ("integer of 5000 digits", b'{"a": ' + b"9" * 5000 + b"}"),
    ("NaN literal", b'{"expiresInMinutes": NaN, "services": NaN}'),
    ("top-level array", b"[]"),
    ("top-level string", b'"hello"'),
    ("top-level number", b"42"),
    ("top-level null", b"null"),
    ("duplicate keys", b'{"dryRun": true, "dryRun": "yes", "format": "x", "format": 1}'),
]
WRONG_CONTENT_TYPES = [
    "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
]
UNICODE_EDGES: list[tuple[str, str]] = [
    ("lone high surrogate", "\\ud800"),
    ("lone low surrogate", "\\udfff"),
    ("right-to-left override", "\\u202eevil"),
    ("NUL", "a\\u0000b"),
    ("BOM inside", "\\ufeffa"),
    ("noncharacter", "\\uffff"),
]
ODATA_INJECTIONS = [
    "' or PartitionKey ne '",
    "x' or 1 eq 1 or 'a' eq 'a",
    "') or (RowKey ne '",
]
TRAVERSALS = ["..%2F..%2Fetc%2Fpasswd", "..%5C..%5Cwindows", "%2e%2e%2f%2e%2e%2f", "a%00b", "x" * 3000]
# A full-width, circled or IDN spelling is normalised (IDNA) before the SSRF guard judges it (finding 5).
SSRF_URLS: list[tuple[str, Answer]] = [
    ("http://127.0.0.1/hook", UNSAFE), ("https://127.0.0.1/hook", UNSAFE), ("https://localhost/hook", UNSAFE),
    ("https://LOCALHOST./hook", UNSAFE), ("https://169.254.169.254/latest/meta-data/", UNSAFE),
    ("https://[fd00:ec2::254]/latest/meta-data/", UNSAFE), ("https://metadata.localhost/computeMetadata/v1/", UNSAFE),
    ("https://[::1]/hook", UNSAFE), ("https://[::ffff:127.0.0.1]/hook", UNSAFE), ("https://[::ffff:7f00:1]/", UNSAFE),
    ("https://10.1.2.3/hook", UNSAFE), ("https://172.16.0.1/hook", UNSAFE), ("https://192.168.1.1/hook", UNSAFE),
    ("https://100.64.0.1/hook", UNSAFE), ("https://0.0.0.0/hook", UNSAFE), ("https://2130706433/hook", UNSAFE),
    ("https://0x7f.0.0.1/hook", UNSAFE), ("https://0177.0.0.1/hook", UNSAFE), ("https://[fe80::1]/hook", UNSAFE),
    ("https://[fd12:3456::1]/hook", UNSAFE), ("https://224.0.0.1/hook", UNSAFE),
    ("https://168.63.129.16/machine", UNSAFE), ("https://[64:ff9b::7f00:1]/", UNSAFE),
    ("https://[2002:7f00:1::]/", UNSAFE), ("https://255.255.255.255/", UNSAFE),
    ("file:///etc/passwd", UNSAFE), ("gopher://127.0.0.1:25/", UNSAFE), ("javascript:alert(1)", UNSAFE),
    ("ftp://example.com/x", UNSAFE), ("https://user:pass@127.0.0.1/hook", BAD),
    ("https://example.com:99999/hook", BAD), ("https:///nohost", BAD), ("not a url", BAD),
    ("https://example.com/#frag", BAD), ("https://[::1/hook", BAD),
    ("https://\uff11\uff12\uff17.\uff10.\uff10.\uff11/hook", UNSAFE),  # full-width 127.0.0.1
    ("https://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/hook", UNSAFE),  # full-width localhost
    ("https://\u2460\u2461\u2466.0.0.1/hook", UNSAFE),  # circled 127.0.0.1
    ("https://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/", UNSAFE),  # metadata
    ("https://b\u00fccher.localhost/hook", UNSAFE),  # an IDN under .localhost
    ("https://exa\u00admple.com/hook", BAD),  # a soft hyphen: invisible, refused
    ("https://ex\uff0fample.com/hook", BAD),  # a full-width solidus would change the host: refused
    ("https://\u200b.example/hook", BAD),  # a zero-width space
    ("https://xn--a.example\u3002\u3002/hook", BAD),  # empty labels once IDNA maps the ideographic stops
]

BODY_ROUTES: list[tuple[str, str, str, str]] = [
    ("token", "POST", "/api/token", USER),
    ("token_revoke", "POST", "/api/token/revoke", USER),
    ("user_erase", "POST", "/api/users/erase", BACKEND),
    ("start_migration", "POST", "/api/migrations", FUNCTION),
    ("subscriptions_create", "POST", "/api/subscriptions", FUNCTION),
    ("subscriptions_update", "PATCH", "/api/subscriptions/sub_" + "0" * 24, FUNCTION),
    ("deliveries_replay", "POST", "/api/deliveries/replay", FUNCTION),
    ("video_token", "POST", "/api/video/token", USER),
    ("video_rooms_create", "POST", "/api/video/rooms", FUNCTION),
    ("video_rooms_participants", "PUT", "/api/video/rooms/lobby/participants", FUNCTION),
]
TOKEN_ROUTES: list[tuple[str, str, str]] = [
    ("token", "POST", "/api/token"), ("token_revoke", "POST", "/api/token/revoke"),
    ("user_delete", "DELETE", "/api/users/alice"), ("user_erase", "POST", "/api/users/erase"),
    ("video_token", "POST", "/api/video/token"),
]
FUNCTION_ROUTES: list[tuple[str, str, str]] = [
    ("start_migration", "POST", "/api/migrations"), ("list_migrations", "GET", "/api/migrations"),
    ("get_migration", "GET", "/api/migrations/0000000000001-0000abcd"),
    ("subscriptions_create", "POST", "/api/subscriptions"), ("subscriptions_list", "GET", "/api/subscriptions"),
    ("subscriptions_get", "GET", "/api/subscriptions/sub_" + "0" * 24),
    ("subscriptions_delete", "DELETE", "/api/subscriptions/sub_" + "0" * 24),
    ("subscriptions_update", "PATCH", "/api/subscriptions/sub_" + "0" * 24),
    ("openapi_document", "GET", "/api/openapi.json"),
    ("health_deep", "GET", "/api/health/deep"),
    ("deliveries_dead", "GET", "/api/deliveries/dead"), ("deliveries_replay", "POST", "/api/deliveries/replay"),
    ("video_rooms_create", "POST", "/api/video/rooms"), ("video_rooms_get", "GET", "/api/video/rooms/a"),
    ("video_rooms_delete", "DELETE", "/api/video/rooms/a"),
    ("video_rooms_participants", "PUT", "/api/video/rooms/lobby/participants"),
]
# Seeded by the fixture (tests/hostile/conftest.py): the state the admission policy cases meet.
ROSTERED_ROOM = "board-meeting"  # made by the backend; its roster is "chair" only
CLOSED_ROOM = "retired"  # made by the backend, then closed
MIGRATED_SMS = "sms:+15550100001"  # an identity the export made for an SMS participant
NEAR_KEY_LIMIT = "\U0001F600" * 256  # 256 characters (the identity limit) but 1028 bytes once the key is prefixed
# Values ``str.isdigit`` accepts and ``int`` refuses, or that only look like a whole number (finding 6).
BAD_NUMBERS = ["\u00b2", "\u2460", "\u0663", "\uff15", "1e3", "-1", "0", "+5", " 5", "5 ", "0x10", "1_000", "",
               "9" * 40, "1.0", "NaN"]
# Instants near the ends of the calendar, where applying the offset overflows (finding 6).
BAD_INSTANTS = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                "2024-01-01T25:00:00Z", "2024-01-01T00:00:00+24:00", "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",
                "2026-01-01T00:00:00.1234567890123456789012345Z", "tomorrow"]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _body_cases() -> Iterator[Case]:
    for route, method, path, auth in BODY_ROUTES:
        for what, body in MALFORMED_JSON:
            yield Case(route, f"malformed JSON ({what})", method, path, auth, body)
        for content_type in WRONG_CONTENT_TYPES:
            yield Case(route, f"content type {content_type.split(';')[0]}", method, path, auth, b"{}",
                       MEDIA_TYPE, content_type)
        yield Case(route, "body over 1 MB", method, path, auth, b'{"x": "' + b"a" * BIG + b'"}', TOO_LARGE)
        yield Case(route, "unknown field", method, path, auth, _json({"surprise": 1}))


def _field_cases() -> Iterator[Case]:
    """Unicode edge cases and OData injections in each route's string fields, with credentials that reach them."""
    for what, escaped in UNICODE_EDGES:
        text = f'"{escaped}"'.encode()
        yield Case("token", f"identity with {what}", "POST", "/api/token", BACKEND, b'{"identity": ' + text + b"}")
        yield Case("token_revoke", f"identity with {what}", "POST", "/api/token/revoke", BACKEND,
                   b'{"identity": ' + text + b"}")
        yield Case("user_erase", f"identity with {what}", "POST", "/api/users/erase", BACKEND,
                   b'{"identity": ' + text + b"}")
        yield Case("start_migration", f"conversation SID with {what}", "POST", "/api/migrations", FUNCTION,
                   b'{"conversations": [' + text + b"]}")
        yield Case("start_migration", f"since with {what}", "POST", "/api/migrations", FUNCTION,
                   b'{"since": ' + text + b"}")
        yield Case("subscriptions_create", f"url with {what}", "POST", "/api/subscriptions", FUNCTION,
                   b'{"url": ' + text + b', "format": "twilio", "secret": "0123456789abcdef0123"}')
        yield Case("deliveries_replay", f"delivery id with {what}", "POST", "/api/deliveries/replay", FUNCTION,
                   b'{"deliveryIds": [' + text + b"]}", (404, "DeadLetterNotFound"))  # escaped, looked up, absent
    for attack in ODATA_INJECTIONS:
        # the store is reached with the injection as a literal key: nobody by that name
        yield Case("token_revoke", f"OData injection in identity {attack!r}", "POST", "/api/token/revoke",
                   BACKEND, _json({"identity": attack}), (404, "IdentityNotFound"))
        yield Case("token", f"OData injection in the query identity {attack!r}", "GET",
                   "/api/token?" + urlencode({"identity": attack}), USER, expect=FORBIDDEN)  # users name nobody
        yield Case("user_erase", f"OData injection in identity {attack!r}", "POST", "/api/users/erase", BACKEND,
                   _json({"identity": attack}), ERASED)
        yield Case("start_migration", f"OData injection in services {attack!r}", "POST", "/api/migrations",
                   FUNCTION, _json({"services": [attack]}))
        yield Case("deliveries_replay", f"OData injection in subscriptionId {attack!r}", "POST",
                   "/api/deliveries/replay", FUNCTION, _json({"subscriptionId": attack}))
        yield Case("deliveries_replay", f"OData injection in a delivery id {attack!r}", "POST",
                   "/api/deliveries/replay", FUNCTION, _json({"deliveryIds": [attack]}), (404, "DeadLetterNotFound"))
        yield Case("deliveries_dead", f"OData injection in subscriptionId {attack!r}", "GET",
                   "/api/deliveries/dead?" + urlencode({"subscriptionId": attack}), FUNCTION)
        yield Case("get_migration", f"OData injection in run id {attack!r}", "GET",
                   "/api/migrations/" + quote(attack, safe=""), FUNCTION, expect=(404, "RunNotFound"))
        yield Case("subscriptions_get", f"OData injection in subscription id {attack!r}", "GET",
                   "/api/subscriptions/" + quote(attack, safe=""), FUNCTION, expect=(404, "SubscriptionNotFound"))
        yield Case("subscriptions_delete", f"OData injection in subscription id {attack!r}", "DELETE",
                   "/api/subscriptions/" + quote(attack, safe=""), FUNCTION, expect=(404, "SubscriptionNotFound"))
    yield Case("token", "scope that does not exist", "POST", "/api/token", USER, _json({"scopes": ["admin"]}))
    yield Case("token", "scopes not a list", "POST", "/api/token", USER, _json({"scopes": {"chat": True}}))
    yield Case("token", "empty scopes", "POST", "/api/token", USER, _json({"scopes": []}))
    yield Case("token", "a scope a user may not have", "POST", "/api/token", USER, _json({"scopes": ["chat.join"]}),
               FORBIDDEN)
    yield Case("token", "expiry below 60 minutes", "POST", "/api/token", USER, _json({"expiresInMinutes": 59}))
    yield Case("token", "expiry above 1440 minutes", "POST", "/api/token", USER, _json({"expiresInMinutes": 1441}))
    yield Case("token", "expiry a fraction", "POST", "/api/token", USER, _json({"expiresInMinutes": 90.5}))
    yield Case("token", "expiry true", "POST", "/api/token", USER, _json({"expiresInMinutes": True}))
    yield Case("token", "format that does not exist", "POST", "/api/token", USER, _json({"format": "xml"}))
    yield Case("token", "a user asking for someone else", "POST", "/api/token", USER, _json({"identity": "mallory"}),
               FORBIDDEN)
    yield Case("token", "identity of 300 characters", "POST", "/api/token", BACKEND, _json({"identity": "x" * 300}))
    yield Case("token", "backend naming no identity", "POST", "/api/token", BACKEND, _json({}))
    yield Case("token_revoke", "a user naming someone else", "POST", "/api/token/revoke", USER,
               _json({"identity": "mallory"}), FORBIDDEN)
    yield Case("token_revoke", "a user who never got a token", "POST", "/api/token/revoke", USER, _json({}),
               (404, "IdentityNotFound"))
    yield Case("user_erase", "no identity", "POST", "/api/users/erase", BACKEND, _json({}))
    yield Case("user_erase", "identity not a string", "POST", "/api/users/erase", BACKEND, _json({"identity": 5}))
    yield Case("user_erase", "identity empty", "POST", "/api/users/erase", BACKEND, _json({"identity": ""}))
    yield Case("user_erase", "identity with a path traversal", "POST", "/api/users/erase", BACKEND,
               _json({"identity": "a/../b"}))
    yield Case("user_erase", "identity holding a slash (erased as is; nobody)", "POST", "/api/users/erase", BACKEND,
               _json({"identity": "a/b"}), ERASED)
    yield Case("user_erase", "identity holding %2F (erased as is; nobody)", "POST", "/api/users/erase", BACKEND,
               _json({"identity": "a%2Fb"}), ERASED)
    yield Case("user_erase", "a user erasing itself", "POST", "/api/users/erase", USER, _json({"identity": "alice"}),
               FORBIDDEN)
    yield Case("list_migrations", "limit out of range", "GET", "/api/migrations?limit=100000", FUNCTION)
    yield Case("deliveries_dead", "limit not a number", "GET", "/api/deliveries/dead?limit=abc", FUNCTION)


def _finding_cases() -> Iterator[Case]:
    """Issue 17's findings 3, 4, 6 and 9, replayed on every route they touch."""
    for value in BAD_NUMBERS:
        query = urlencode({"limit": value})
        yield Case("list_migrations", f"limit={value!r}", "GET", f"/api/migrations?{query}", FUNCTION)
        yield Case("deliveries_dead", f"limit={value!r}", "GET", f"/api/deliveries/dead?{query}", FUNCTION)
        yield Case("token", f"expiresInMinutes={value!r} in the query", "GET",
                   "/api/token?" + urlencode({"expiresInMinutes": value}), USER)
    for value in BAD_INSTANTS:
        yield Case("start_migration", f"since {value[:32]!r}", "POST", "/api/migrations", FUNCTION,
                   _json({"since": value}))
        yield Case("video_rooms_create", f"validFrom {value[:32]!r}", "POST", "/api/video/rooms", FUNCTION,
                   _json({"name": "a", "validFrom": value}))
        yield Case("video_rooms_create", f"validUntil {value[:32]!r}", "POST", "/api/video/rooms", FUNCTION,
                   _json({"name": "a", "validUntil": value}))
    for what, header in MALFORMED_JWT_HEADERS:
        for route, method, path in TOKEN_ROUTES:
            yield Case(route, f"JWT header {what}", method, path, NONE, b"{}" if method == "POST" else None,
                       BAD_TOKEN, raw_auth=_bearer(lambda t, h=header: _raw_jwt(t, h)))
    # An identity whose table key (with its prefix) is over 1 KiB: a 400 before any ACS user is made.
    yield Case("token", "identity too long for its table key", "POST", "/api/token", BACKEND,
               _json({"identity": NEAR_KEY_LIMIT}))
    yield Case("token_revoke", "identity too long for its table key", "POST", "/api/token/revoke", BACKEND,
               _json({"identity": NEAR_KEY_LIMIT}))
    yield Case("user_erase", "identity too long for its table key", "POST", "/api/users/erase", BACKEND,
               _json({"identity": NEAR_KEY_LIMIT}))
    yield Case("video_token", "identity too long for its table key", "POST", "/api/video/token", BACKEND,
               _json({"room": ROSTERED_ROOM, "identity": NEAR_KEY_LIMIT}))
    yield Case("video_rooms_participants", "participant identity too long for its table key", "PUT",
               f"/api/video/rooms/{ROSTERED_ROOM}/participants", FUNCTION,
               _json({"participants": [{"identity": NEAR_KEY_LIMIT}]}))
    # Users whose identity claim names a migrated SMS/WhatsApp participant, or the migration itself.
    for subject in (MIGRATED_SMS, "whatsapp:+15550100002", "SMS:+15550100003", "twilio-migration"):
        code = KIND
        for route, method, path in (("token", "POST", "/api/token"), ("token_revoke", "POST", "/api/token/revoke"),
                                    ("video_token", "POST", "/api/video/token")):
            body = _json({"room": "never-made"}) if route == "video_token" else b"{}"
            # the migration's own identity has a user-like name: refused once its mapping (kind app) is read
            expected = (404, "RoomNotFound") if route == "video_token" and subject == "twilio-migration" else code
            yield Case(route, f"a user signed in as {subject!r}", method, path, USER, body, expected, user=subject)


MALFORMED_JWT_HEADERS: list[tuple[str, dict[str, object]]] = [
    ("kid a number", {"alg": "RS256", "kid": 5}),
    ("kid null", {"alg": "RS256", "kid": None}),
    ("kid a list", {"alg": "RS256", "kid": ["a"]}),
    ("crit naming exp", {"alg": "RS256", "kid": "k", "crit": ["exp"]}),
    ("crit a string", {"alg": "RS256", "kid": "k", "crit": "exp"}),
    ("crit empty", {"alg": "RS256", "kid": "k", "crit": []}),
    ("b64 false", {"alg": "RS256", "kid": "k", "b64": False, "crit": ["b64"]}),
    ("alg a list", {"alg": ["RS256"], "kid": "k"}),
    ("jku to a stranger", {"alg": "RS256", "kid": "k", "jku": "https://evil.example/jwks"}),
    ("kid of 5000 characters", {"alg": "RS256", "kid": "k" * 5000}),
]


def _raw_jwt(target: Any, header: dict[str, object]) -> str:
    payload = {"sub": "alice", "iss": target.issuer.issuer, "aud": target.issuer.audience,
               "exp": int(time.time()) + 600}
    return f"{_b64(_json(header))}.{_b64(_json(payload))}.{_b64(b'x' * 64)}"


def _path_cases() -> Iterator[Case]:
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        # An encoded slash is decoded before routing by the host stand-in (aiohttp), so the route does not match
        # and the host answers 404 itself; the app's own answer to such identities is tested on the handler.
        host_level = "%2f" in traversal.lower()
        yield Case("user_delete", f"path traversal in identity {shown}", "DELETE", f"/api/users/{traversal}", BACKEND,
                   expect=HOST_NO_ROUTE if host_level else BAD)
        yield Case("get_migration", f"path traversal in run id {shown}", "GET", f"/api/migrations/{traversal}",
                   FUNCTION, expect=HOST_NO_ROUTE if host_level else (404, "RunNotFound"))
        yield Case("subscriptions_get", f"path traversal in subscription id {shown}", "GET",
                   f"/api/subscriptions/{traversal}", FUNCTION,
                   expect=HOST_NO_ROUTE if host_level else (404, "SubscriptionNotFound"))
    yield Case("user_delete", "identity too long for its table key", "DELETE",
               "/api/users/" + quote(NEAR_KEY_LIMIT, safe=""), BACKEND)
    yield Case("user_delete", "an identity nobody has (erased as is)", "DELETE", "/api/users/nobody-at-all",
               BACKEND, expect=ERASED)


def _alg_none_token(subject: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    now = int(time.time())
    payload = base64.urlsafe_b64encode(json.dumps({"sub": subject, "exp": now + 600}).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


def _bearer(make: Callable[[Any], str]) -> Callable[[Any], dict[str, str]]:
    return lambda target: {"Authorization": f"Bearer {make(target)}"}


def _auth_cases() -> Iterator[Case]:
    forged: list[tuple[str, Callable[[Any], str]]] = [
        ("expired JWT", lambda t: t.issuer.token("alice", lifetime=-120)),
        ("not-yet-valid JWT", lambda t: t.issuer.token("alice", not_before=time.time() + 3600)),
        ("JWT for another audience", lambda t: t.issuer.token("alice", audience="api://someone-else")),
        ("JWT from another issuer", lambda t: t.issuer.token("alice", issuer="https://evil.example")),
        ("alg none JWT", lambda t: _alg_none_token("alice")),
        ("HS256 JWT signed with the public key", lambda t: _hs256_with_public_key(t)),
        ("JWT whose kid is not in the JWKS", lambda t: t.issuer.token("alice", headers={"kid": "unknown-kid"})),
        ("JWT signed by a stranger's key", lambda t: _stranger_token(t)),
        ("garbage bearer", lambda t: "a.b.c"),
        ("two dots only", lambda t: ".."),
    ]
    for route, method, path in TOKEN_ROUTES:
        body = b"{}" if method == "POST" else None
        for what, make in forged:
            yield Case(route, what, method, path, NONE, body, BAD_TOKEN, raw_auth=_bearer(make))
        yield Case(route, "no credentials", method, path, NONE, body, NO_CREDENTIALS)
        yield Case(route, "wrong backend key", method, path, NONE, body, NO_CREDENTIALS,
                   headers={"x-functions-key": "not-the-backend-key-0123456789abcdef"})
        yield Case(route, "wrong backend key in the query", method, path + "?code=not-the-backend-key", NONE, body,
                   NO_CREDENTIALS)
        yield Case(route, "a scheme other than Bearer", method, path, NONE, body, NO_CREDENTIALS,
                   headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
        yield Case(route, "forged App Service principal (not trusted)", method, path, NONE, body, NO_CREDENTIALS,
                   headers={"X-MS-CLIENT-PRINCIPAL": base64.b64encode(
                       _json({"claims": [{"typ": "sub", "val": "alice"}]})).decode()})
    yield Case("user_delete", "a user (not the backend) erasing someone", "DELETE", "/api/users/bob", USER,
               expect=FORBIDDEN)
    yield Case("user_delete", "a user erasing itself", "DELETE", "/api/users/alice", USER, expect=FORBIDDEN)
    for route, method, path in FUNCTION_ROUTES:
        body = b"{}" if method in ("POST", "PUT", "PATCH") else None
        yield Case(route, "no function key", method, path, NONE, body, HOST_NO_KEY)
        yield Case(route, "wrong function key", method, path, NONE, body, HOST_NO_KEY,
                   headers={"x-functions-key": "guess"})
        yield Case(route, "the backend key is no function key", method, path, BACKEND, body, HOST_NO_KEY)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(target: Any) -> str:
    """The classic key-confusion forgery: HMAC over the token with the issuer's *public* key as the secret."""
    import hashlib
    import hmac

    header = _b64(_json({"alg": "HS256", "typ": "JWT", "kid": target.issuer.key.kid}))
    payload = _b64(_json({"sub": "alice", "iss": target.issuer.issuer, "aud": target.issuer.audience,
                          "exp": int(time.time()) + 600}))
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(target.issuer.key.public_pem(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _stranger_token(target: Any) -> str:
    from harness.local_issuer import SigningKey

    stranger = SigningKey(kid=target.issuer.key.kid)  # same kid, other key: the signature cannot verify
    return str(target.issuer.token("alice", key=stranger))


TWILIO_FORM = {"EventType": "onMessageAdded", "ConversationSid": "CH" + "1" * 32,
               "ChatServiceSid": "IS" + "1" * 32, "AccountSid": "AC" + "1" * 32}
SEEDED_WEBHOOK = {**TWILIO_FORM, "ConversationSid": "CH" + "2" * 32}  # the fixture delivered this one already


def _twilio_cases() -> Iterator[Case]:
    form = urlencode(TWILIO_FORM).encode()
    path = "/api/twilio/events"
    form_type = "application/x-www-form-urlencoded"
    yield Case("twilio_events", "no signature", "POST", path, NONE, form, FORBIDDEN, form_type)
    yield Case("twilio_events", "signature with the wrong auth token", "POST", path, NONE, form, FORBIDDEN, form_type,
               sign_twilio="wrong-token")
    yield Case("twilio_events", "signature replayed onto another URL", "POST", path, NONE, form, FORBIDDEN,
               form_type, sign_twilio="valid-other-url")
    yield Case("twilio_events", "signature of another body (tampered fields)", "POST", path, NONE, form, FORBIDDEN,
               form_type, sign_twilio="other-body")
    yield Case("twilio_events", "signed for the Host header the attacker sent", "POST", path, NONE, form, FORBIDDEN,
               form_type, headers={"Host": "attacker.example"}, sign_twilio="attacker-host")
    yield Case("twilio_events", "empty signature", "POST", path, NONE, form, FORBIDDEN, form_type,
               headers={"X-Twilio-Signature": ""})
    yield Case("twilio_events", "JSON instead of a form", "POST", path, NONE, b"{}", MEDIA_TYPE, "application/json")
    yield Case("twilio_events", "no content type", "POST", path, NONE, form, MEDIA_TYPE, None)
    yield Case("twilio_events", "form that is not UTF-8", "POST", path, NONE, b"EventType=\xff\xfe", BAD, form_type,
               sign_twilio="valid")
    yield Case("twilio_events", "form over 64 KB", "POST", path, NONE, b"Body=" + b"a" * 70000, BAD, form_type)
    yield Case("twilio_events", "form of 600 fields", "POST", path, NONE, "&".join(f"f{i}=1" for i in range(600))
               .encode(), BAD, form_type)
    yield Case("twilio_events", "signed, but an event live sync does not handle", "POST", path, NONE,
               form.replace(b"onMessageAdded", b"onUserAdded"), BAD, form_type, sign_twilio="valid")
    yield Case("twilio_events", "signed, but the conversation SID is an injection", "POST", path, NONE,
               urlencode({"EventType": "onMessageAdded", "ConversationSid": "CH' or 1 eq 1"}).encode(), BAD,
               form_type, sign_twilio="valid")
    yield Case("twilio_events", "signed, but the service SID is malformed", "POST", path, NONE,
               urlencode({**TWILIO_FORM, "ChatServiceSid": "IS../x"}).encode(), BAD, form_type, sign_twilio="valid")
    yield Case("twilio_events", "an identical replay of a webhook already handled", "POST", path, NONE,
               urlencode(SEEDED_WEBHOOK).encode(), (200, None), form_type, sign_twilio="valid")
    yield Case("twilio_events", "a retry carrying an idempotency token already handled", "POST", path, NONE,
               urlencode({**SEEDED_WEBHOOK, "RetryCount": "1"}).encode(), (200, None), form_type,
               headers={"I-Twilio-Idempotency-Token": "seeded-idempotency-token"}, sign_twilio="valid")


def _ssrf_cases() -> Iterator[Case]:
    for url, expected in SSRF_URLS:
        yield Case("subscriptions_create", f"SSRF subscriber URL {url}", "POST", "/api/subscriptions", FUNCTION,
                   _json({"url": url, "format": "twilio", "secret": "0123456789abcdef0123"}), expected)
    sub = {"url": "https://example.com/hook", "format": "twilio", "secret": "0123456789abcdef0123"}
    for what, change in (("no url", {"url": None}), ("format unknown", {"format": "xml"}),
                         ("secret too short", {"secret": "short"}), ("secret too long", {"secret": "s" * 257}),
                         ("eventTypes not a list", {"eventTypes": "onMessageAdded"}),
                         ("an event type of another format", {"eventTypes": ["room-created"]}),
                         ("includeMigrated not a boolean", {"includeMigrated": "yes"})):
        yield Case("subscriptions_create", what, "POST", "/api/subscriptions", FUNCTION,
                   _json({k: v for k, v in {**sub, **change}.items() if v is not None}))


def _video_cases() -> Iterator[Case]:
    """The Twilio Video routes: room names, roles, windows, rosters, paths, credentials and the admission policy."""
    token, rooms, lobby = "/api/video/token", "/api/video/rooms", "/api/video/rooms/lobby/participants"
    for what, escaped in UNICODE_EDGES:
        text = f'"{escaped}"'.encode()
        yield Case("video_token", f"room with {what}", "POST", token, BACKEND,
                   b'{"identity": "alice", "room": ' + text + b"}")
        yield Case("video_token", f"identity with {what}", "POST", token, BACKEND,
                   b'{"room": "lobby", "identity": ' + text + b"}")
        yield Case("video_rooms_create", f"name with {what}", "POST", rooms, FUNCTION, b'{"name": ' + text + b"}")
        yield Case("video_rooms_participants", f"participant identity with {what}", "PUT", lobby, FUNCTION,
                   b'{"participants": [{"identity": ' + text + b"}]}")
    yield Case("video_token", "no room", "POST", token, USER, _json({}))
    yield Case("video_token", "room not a string", "POST", token, USER, _json({"room": ["a"]}))
    yield Case("video_token", "room of 129 characters", "POST", token, USER, _json({"room": "r" * 129}))
    yield Case("video_token", "format that does not exist", "POST", token, USER, _json({"room": "a", "format": "x"}))
    yield Case("video_token", "format in the query that does not exist", "POST", token + "?format=xml", USER,
               _json({"room": "a"}))
    yield Case("video_token", "a user asking for someone else", "POST", token, USER,
               _json({"room": "a", "identity": "mallory"}), FORBIDDEN)
    yield Case("video_token", "a user choosing its own role", "POST", token, USER,
               _json({"room": "a", "role": "Presenter"}), FORBIDDEN)
    yield Case("video_token", "backend naming no identity", "POST", token, BACKEND, _json({"room": "a"}))
    yield Case("video_token", "backend naming a role that does not exist", "POST", token, BACKEND,
               _json({"room": "a", "identity": "alice", "role": "Organizer"}))
    # The admission policy (finding 1), against the rooms the fixture made.
    yield Case("video_token", "a user not on a backend room's roster", "POST", token, USER,
               _json({"room": ROSTERED_ROOM}), (403, "NotOnRoster"), user="mallory")
    yield Case("video_token", "a user with no ACS user yet, not on the roster", "POST", token, USER,
               _json({"room": ROSTERED_ROOM}), (403, "NotOnRoster"), user="newcomer")
    yield Case("video_token", "a user asking to join a closed room", "POST", token, USER,
               _json({"room": CLOSED_ROOM}), (403, "RoomClosed"))
    yield Case("video_token", "the roster's own member asking to join the closed room", "POST", token, USER,
               _json({"room": CLOSED_ROOM}), (403, "RoomClosed"), user="chair")
    yield Case("video_token", "the backend admitting someone to a closed room", "POST", token, BACKEND,
               _json({"room": CLOSED_ROOM, "identity": "chair"}), (409, "RoomClosed"))
    yield Case("video_rooms_participants", "a roster for a closed room", "PUT", f"{rooms}/{CLOSED_ROOM}/participants",
               FUNCTION, _json({"participants": [{"identity": "chair"}]}), (409, "RoomClosed"))
    yield Case("video_rooms_create", "a room the backend made already", "POST", rooms, FUNCTION,
               _json({"name": ROSTERED_ROOM}), (409, "AlreadyExists"))
    for name in ("spam-1", "never-made", "Board-Meeting"):
        yield Case("video_token", f"a user making room {name!r} by joining (users may not)", "POST", token, USER,
                   _json({"room": name}), (404, "RoomNotFound"))
    yield Case("video_rooms_create", "no name", "POST", rooms, FUNCTION, _json({"validUntil": "2030-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validFrom not a date", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "tomorrow"}))
    yield Case("video_rooms_create", "validUntil without a zone", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2030-01-01T00:00:00"}))
    yield Case("video_rooms_create", "validUntil in the past", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2001-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "window longer than 180 days", "POST", rooms, FUNCTION,
               _json({"name": "a", "validUntil": "2099-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validUntil before validFrom", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "2027-03-02T00:00:00Z", "validUntil": "2027-03-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validFrom a year ahead", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": "2099-01-01T00:00:00Z"}))
    yield Case("video_rooms_create", "validFrom a number", "POST", rooms, FUNCTION,
               _json({"name": "a", "validFrom": 1767225600}))
    yield Case("video_rooms_participants", "participants not a list", "PUT", lobby, FUNCTION,
               _json({"participants": {"alice": "Presenter"}}))
    yield Case("video_rooms_participants", "no participants", "PUT", lobby, FUNCTION, _json({}))
    yield Case("video_rooms_participants", "a participant that is not an object", "PUT", lobby, FUNCTION,
               _json({"participants": ["alice"]}))
    yield Case("video_rooms_participants", "role that does not exist", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice", "role": "Organizer"}]}))
    yield Case("video_rooms_participants", "an identity listed twice", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice"}, {"identity": "alice", "role": "Consumer"}]}))
    yield Case("video_rooms_participants", "351 participants", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": f"u{i}"} for i in range(351)]}))
    yield Case("video_rooms_participants", "participant with an unknown field", "PUT", lobby, FUNCTION,
               _json({"participants": [{"identity": "alice", "rawId": "8:acs:x"}]}))
    for attack in ODATA_INJECTIONS:
        yield Case("video_rooms_get", f"OData injection in room name {attack!r}", "GET",
                   "/api/video/rooms/" + quote(attack, safe=""), FUNCTION, expect=(404, "RoomNotFound"))
        yield Case("video_token", f"OData injection in room {attack!r}", "POST", token, USER, _json({"room": attack}),
                   (404, "RoomNotFound"))  # a valid name nobody made: users may not make it
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        host_level = "%2f" in traversal.lower()
        expected = HOST_NO_ROUTE if host_level else BAD
        yield Case("video_rooms_get", f"path traversal in room name {shown}", "GET", f"{rooms}/{traversal}",
                   FUNCTION, expect=expected)
        yield Case("video_rooms_delete", f"path traversal in room name {shown}", "DELETE", f"{rooms}/{traversal}",
                   FUNCTION, expect=expected)
        yield Case("video_rooms_participants", f"path traversal in room name {shown}", "PUT",
                   f"{rooms}/{traversal}/participants", FUNCTION, _json({"participants": []}), expected)
    yield Case("video_rooms_get", "a room that does not exist", "GET", f"{rooms}/never-made", FUNCTION,
               expect=(404, "RoomNotFound"))
    yield Case("video_rooms_delete", "closing a room that is closed already", "DELETE", f"{rooms}/{CLOSED_ROOM}",
               FUNCTION, expect=(204, None))
    yield Case("video_rooms_delete", "closing a room that never existed", "DELETE", f"{rooms}/never-made", FUNCTION,
               expect=(204, None))


def _attachment_cases() -> Iterator[Case]:
    conversation, media = "CH" + "a" * 32, "ME" + "b" * 32
    good = f"/api/attachments/{conversation}/{media}"
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        expected = HOST_NO_ROUTE if "%2f" in traversal.lower() else BAD
        yield Case("attachment_get", f"path traversal in media {shown}", "GET",
                   f"/api/attachments/{conversation}/{traversal}", USER, expect=expected, content_type=None)
        yield Case("attachment_get", f"path traversal in conversation {shown}", "GET",
                   f"/api/attachments/{traversal}/{media}", USER, expect=expected, content_type=None)
    for what, path, expected in (
        ("media SID of the wrong kind", f"/api/attachments/{conversation}/IM{'b' * 32}", BAD),
        ("upper-case hex", f"/api/attachments/{conversation}/ME{'B' * 32}", BAD),
        ("conversation SID too short", f"/api/attachments/CH{'a' * 31}/{media}", BAD),
        ("unknown format", f"{good}?format=zip", BAD),
        ("an attachment that does not exist", good, (404, "NotFound")),
        ("OData injection as conversation", "/api/attachments/CH'%20or%20'1'%20eq%20'1/" + media, BAD),
    ):
        yield Case("attachment_get", what, "GET", path, USER, expect=expected, content_type=None)
    yield Case("attachment_get", "no credentials", "GET", good, NONE, expect=NO_CREDENTIALS, content_type=None)
    yield Case("attachment_get", "backend naming no identity", "GET", good, BACKEND, content_type=None)
    yield Case("attachment_get", "backend naming an identity with a bidi override", "GET",
               f"{good}?identity=%E2%80%AEevil", BACKEND, content_type=None)
    yield Case("attachment_get", "expired JWT", "GET", good, NONE, expect=BAD_TOKEN, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {t.issuer.token('alice', lifetime=-120)}"})
    yield Case("attachment_get", "alg none JWT", "GET", good, NONE, expect=BAD_TOKEN, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {_alg_none_token('alice')}"})
    yield Case("attachment_get", "forged App Service principal", "GET", good, NONE, expect=NO_CREDENTIALS,
               content_type=None, headers={"X-MS-CLIENT-PRINCIPAL": _b64(b'{"claims":[{"typ":"sub","val":"alice"}]}')})
    yield Case("attachment_get", "a user signed in as a migrated SMS participant", "GET", good, USER,
               expect=(404, "NotFound"), content_type=None, user=MIGRATED_SMS)


def _archive_cases() -> Iterator[Case]:
    conversation = "CH" + "a" * 32
    good = f"/api/archives/{conversation}/transcript.html"
    for traversal in TRAVERSALS:
        shown = traversal[:24]
        expected = HOST_NO_ROUTE if "%2f" in traversal.lower() else BAD
        yield Case("archive_get", f"path traversal in file {shown}", "GET",
                   f"/api/archives/{conversation}/{traversal}", USER, expect=expected, content_type=None)
        yield Case("archive_get", f"path traversal in conversation {shown}", "GET",
                   f"/api/archives/{traversal}/transcript.html", USER, expect=expected, content_type=None)
    for what, path, expected in (
        ("a file that is not a transcript", f"/api/archives/{conversation}/index.html", BAD),
        ("a media SID as file", f"/api/archives/{conversation}/ME{'b' * 32}", BAD),
        ("conversation SID too short", f"/api/archives/CH{'a' * 31}/transcript.jsonl", BAD),
        ("unknown format", f"{good}?format=zip", BAD),
        ("an archive that does not exist", good, (404, "NotFound")),
        ("OData injection as conversation", "/api/archives/CH'%20or%20'1'%20eq%20'1/transcript.html", BAD),
    ):
        yield Case("archive_get", what, "GET", path, USER, expect=expected, content_type=None)
    yield Case("archive_get", "no credentials", "GET", good, NONE, expect=NO_CREDENTIALS, content_type=None)
    yield Case("archive_get", "backend naming no identity", "GET", good, BACKEND, content_type=None)
    yield Case("archive_get", "expired JWT", "GET", good, NONE, expect=BAD_TOKEN, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {t.issuer.token('alice', lifetime=-120)}"})
    yield Case("archive_get", "alg none JWT", "GET", good, NONE, expect=BAD_TOKEN, content_type=None,
               raw_auth=lambda t: {"Authorization": f"Bearer {_alg_none_token('alice')}"})
    yield Case("archive_get", "forged App Service principal", "GET", good, NONE, expect=NO_CREDENTIALS,
               content_type=None, headers={"X-MS-CLIENT-PRINCIPAL": _b64(b'{"claims":[{"typ":"sub","val":"alice"}]}')})
    yield Case("archive_get", "a user signed in as the migration itself", "GET", good, USER,
               expect=(404, "NotFound"), content_type=None, user="twilio-migration")
    for what, body in (("both archive cutoffs", {"archiveBefore": "2024-01-01", "archiveKeepNewest": 5}),
                       ("archiveKeepNewest as a string", {"archiveKeepNewest": "5"}),
                       ("archiveKeepNewest negative", {"archiveKeepNewest": -1}),
                       ("archiveKeepNewest huge", {"archiveKeepNewest": 10**30}),
                       ("archiveBefore not a date", {"archiveBefore": "last year"}),
                       ("archiveBefore with a bidi override", {"archiveBefore": "2024-01-01\u202e"}),
                       *((f"archiveBefore {value[:32]!r}", {"archiveBefore": value}) for value in BAD_INSTANTS)):
        yield Case("start_migration", what, "POST", "/api/migrations", FUNCTION, _json(body))


def _console_cases() -> Iterator[Case]:
    yield Case("console_page", "no function key", "GET", "/api/console", NONE, expect=HOST_NO_KEY, content_type=None)
    yield Case("console_page", "wrong function key", "GET", "/api/console", NONE, expect=HOST_NO_KEY,
               content_type=None, headers={"x-functions-key": "x"})
    for name in ("..%2F..%2Ffunction_app.py", "index.html", "console.js%00", "CONSOLE.JS", "%2e%2e", "console.js.map",
                 "%EF%BF%BF", "a" * 300):
        expected = HOST_NO_ROUTE if "%2F" in name else (404, "NotFound")  # a slash: the host finds no route
        yield Case("console_asset", f"asset name {name[:24]!r}", "GET", f"/api/console/assets/{name}", NONE,
                   expect=expected, content_type=None)


def catalogue() -> list[Case]:
    return [*_body_cases(), *_field_cases(), *_finding_cases(), *_path_cases(), *_auth_cases(), *_twilio_cases(),
            *_ssrf_cases(), *_video_cases(), *_attachment_cases(), *_archive_cases(), *_console_cases()]


def sign_twilio(case: Case, target: Any) -> dict[str, str]:
    """The ``X-Twilio-Signature`` a case carries (valid for its own URL and body unless it is a forgery)."""
    from urllib.parse import parse_qsl

    url = f"{target.host.url}{case.path}"
    token = target.environ["TWILIO_AUTH_TOKEN"]
    try:
        params = dict(parse_qsl((case.body or b"").decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        params = {}
    if case.sign_twilio == "wrong-token":
        token = "not-the-auth-token"
    elif case.sign_twilio == "valid-other-url":
        url = f"{target.host.url}/api/twilio/events?replayed=1"
    elif case.sign_twilio == "other-body":
        params = {**params, "EventType": "onMessageRemoved"}
    elif case.sign_twilio == "attacker-host":
        url = f"http://attacker.example{case.path}"
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}
